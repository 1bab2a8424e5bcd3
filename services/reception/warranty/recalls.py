"""The recall port against the OEM (`GET /recalls?vin=`), cached per VIN for the site's day.

Sites without an OEM endpoint fall back to the in-process campaigns from settings. The caller bounds the call
with `recall_timeout_seconds`; only answers are cached, so a timeout or an error is asked again next time.
"""

from __future__ import annotations

from datetime import date

from services.reception.recalls import Campaign, RecallPort
from services.reception.settings import ReceptionSettings
from services.reception.warranty.oem import OemClient
from shared.clock import utcnow

MAX_CACHED = 10_000


class OemRecalls:
    """Open campaigns by VIN from each site's OEM."""

    def __init__(self, settings: ReceptionSettings, client: OemClient, fallback: RecallPort) -> None:
        self._settings = settings
        self._client = client
        self._fallback = fallback
        self._cache: dict[tuple[str, str, date], list[Campaign]] = {}

    async def open_campaigns(self, vin: str, site_id: str = "", day: date | None = None) -> list[Campaign]:
        """The OEM's open campaigns for the VIN (once per VIN, OEM and day)."""
        profile = self._settings.oem_profile(site_id)
        if not profile.connected:
            return await self._fallback.open_campaigns(vin, site_id, day)
        day = day or utcnow().date()
        key = (profile.base_url, vin.upper(), day)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found = await self._client.campaigns(profile, vin, self._settings.recall_timeout_seconds)
        campaigns = sorted(
            (Campaign(c.campaign_number, c.title, c.op_code or None, c.sold_hours) for c in found),
            key=lambda c: c.number,
        )
        if len(self._cache) >= MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if k[2] >= day}
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
        self._cache[key] = campaigns
        return campaigns

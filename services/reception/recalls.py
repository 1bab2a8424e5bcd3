"""The OEM recall port, an in-process implementation, and a check that never fails a check-in."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Protocol

log = logging.getLogger("pitwall.reception.recalls")

OPEN_CAMPAIGNS = "open_campaigns"
NONE = "none"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Campaign:
    """An open recall or field campaign for a vehicle (with the labour operation and hours the OEM pays for it)."""

    number: str
    title: str = ""
    op_code: str | None = None
    sold_hours: Decimal | None = None

    def stored(self) -> dict[str, str]:
        """As kept with the visit and the RO."""
        found = {"number": self.number, "title": self.title}
        if self.op_code:
            found["op_code"] = self.op_code
        if self.sold_hours is not None:
            found["sold_hours"] = str(self.sold_hours)
        return found


class RecallPort(Protocol):
    """Asks the car maker which campaigns are open for a VIN (for a site, on the site's day)."""

    async def open_campaigns(self, vin: str, site_id: str = "", day: date | None = None) -> list[Campaign]:
        """Open campaigns for the VIN (may be slow or fail)."""
        ...


class InProcessRecalls:
    """Campaigns from configuration, keyed by VIN or VIN prefix, with an optional artificial delay."""

    def __init__(self, campaigns: Mapping[str, list[Mapping[str, str]]], delay_seconds: float = 0.0) -> None:
        self._campaigns = {
            key.strip().upper(): [
                Campaign(
                    str(c["number"]),
                    str(c.get("title", "")),
                    c.get("op_code") or None,
                    Decimal(str(c["sold_hours"])) if c.get("sold_hours") is not None else None,
                )
                for c in found
            ]
            for key, found in campaigns.items()
        }
        self._delay = delay_seconds

    @classmethod
    def from_settings(
        cls, campaigns: Mapping[str, list[Mapping[str, str]]], file: Path | None, delay_seconds: float
    ) -> InProcessRecalls:
        """Campaigns from the settings, plus those of a JSON file when given."""
        merged = {k: list(v) for k, v in campaigns.items()}
        if file is not None:
            for key, found in json.loads(file.read_text()).items():
                merged.setdefault(key, []).extend(found)
        return cls(merged, delay_seconds)

    async def open_campaigns(self, vin: str, site_id: str = "", day: date | None = None) -> list[Campaign]:
        """Campaigns whose key is the VIN or a prefix of it."""
        if self._delay:
            await asyncio.sleep(self._delay)
        found: dict[str, Campaign] = {}
        for key, campaigns in self._campaigns.items():
            if vin.upper().startswith(key):
                found.update({c.number: c for c in campaigns})
        return sorted(found.values(), key=lambda c: c.number)


@dataclass(frozen=True)
class RecallResult:
    """What the check-in records: open_campaigns, none, or unknown (the port did not answer in time)."""

    status: str
    campaigns: list[Campaign]


async def check_recalls(
    port: RecallPort, vin: str, timeout_seconds: float, site_id: str = "", day: date | None = None
) -> RecallResult:
    """Ask the port within the timeout; any failure or timeout is 'unknown', never an error."""
    try:
        campaigns = await asyncio.wait_for(port.open_campaigns(vin, site_id, day), timeout=timeout_seconds)
    except TimeoutError:
        log.warning("recall check for %s timed out after %.1fs", vin, timeout_seconds)
        return RecallResult(UNKNOWN, [])
    except Exception as exc:  # noqa: BLE001 - the OEM being down must not stop a check-in
        log.warning("recall check for %s failed: %s", vin, exc)
        return RecallResult(UNKNOWN, [])
    return RecallResult(OPEN_CAMPAIGNS if campaigns else NONE, campaigns)

"""Settings of the reception service (`PITWALL_RECEPTION_*`, falling back to `PITWALL_*`)."""

from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.reception.warranty.profile import DEV_OEM_API_KEY, OemProfile, OemSiteOverride
from shared.settings import ServiceSettings
from shared.webhooks import DEV_WEBHOOK_SECRET


class ReceptionSettings(ServiceSettings):
    """Settings of the reception service."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_RECEPTION_", extra="ignore")
    service_name: ClassVar[str] = "reception"

    # The in-process recall port: campaigns keyed by VIN or VIN prefix, e.g.
    # {"1HGCM826": [{"number": "R-2026-01", "title": "Airbag inflator"}]}, from here and/or a JSON file.
    # Used for sites without an OEM base URL.
    recall_campaigns: dict[str, list[dict[str, str]]] = Field(default_factory=dict)
    recall_campaigns_file: Path | None = None
    recall_delay_seconds: float = Field(default=0.0, ge=0)
    recall_timeout_seconds: float = Field(default=2.0, gt=0)
    next_free_slots_shown: int = Field(default=3, ge=1)
    slot_search_days: int = Field(default=14, ge=1)
    # Follow-ups (回访): attempts before a customer counts as unreachable; how far back the list looks past the due day.
    follow_up_max_attempts: int = Field(default=3, ge=1, le=20)
    follow_up_lookback_days: int = Field(default=60, ge=1, le=366)

    # The car maker's warranty system (the default OEM profile; `oem_sites` overrides it per site, as JSON:
    # {"SITE": {"base_url": "...", "api_key": "...", "dealer_code": "...", "claim_per": "repair_order"}}).
    oem_base_url: str = ""
    oem_api_key: SecretStr = SecretStr(DEV_OEM_API_KEY)  # the simulator's development key; set it in a deployment
    oem_webhook_secret: SecretStr = SecretStr(DEV_WEBHOOK_SECRET)  # also read from PITWALL_OEM_WEBHOOK_SECRET
    oem_dealer_code: str = ""  # empty: the site id
    oem_claim_per: str = Field(default="job", pattern="^(job|repair_order)$")
    oem_submission_deadline_days: int = Field(default=30, ge=0)
    oem_authorisation_required_above: Decimal | None = Field(default=Decimal("2000"), ge=0)
    oem_currency: str = Field(default="CNY", min_length=3, max_length=3)
    oem_auto_submit: bool = False
    oem_causal_part_waiver: bool = True  # labour-only claims may waive the causal part (with a reason)
    oem_sites: dict[str, OemSiteOverride] = Field(default_factory=dict)
    oem_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    oem_timeout_seconds: float = Field(default=10.0, gt=0)
    oem_webhook_tolerance_seconds: int = Field(default=300, ge=1)

    # The submission queue: retried with doubling backoff on timeouts and 5xx, polled status as a fallback.
    warranty_queue_poll_seconds: float = Field(default=2.0, gt=0)
    warranty_retry_base_seconds: float = Field(default=2.0, gt=0)
    warranty_retry_max_seconds: float = Field(default=300.0, gt=0)
    warranty_status_poll_after_seconds: float = Field(default=900.0, gt=0)
    warranty_batch_size: int = Field(default=20, ge=1)

    def oem_profile(self, site_id: str) -> OemProfile:
        """The OEM integration of a site: the default profile with the site's overrides."""
        base = OemProfile(
            base_url=self.oem_base_url,
            api_key=self.oem_api_key,
            webhook_secret=self.oem_webhook_secret,
            dealer_code=self.oem_dealer_code or site_id,
            claim_per=self.oem_claim_per,
            submission_deadline_days=self.oem_submission_deadline_days,
            authorisation_required_above=self.oem_authorisation_required_above,
            currency=self.oem_currency,
            auto_submit=self.oem_auto_submit,
            causal_part_waiver=self.oem_causal_part_waiver,
        )
        override = self.oem_sites.get(site_id)
        if override is None:
            return base
        # an explicit null limit means "no authorisation needed"; other nulls keep the default
        changes = {
            k: v
            for k, v in override.model_dump(exclude_unset=True).items()
            if v is not None or k == "authorisation_required_above"
        }
        return base.model_copy(update=changes)

    def webhook_secrets(self) -> list[SecretStr]:
        """Every distinct webhook secret configured (the default and the sites')."""
        found = {self.oem_webhook_secret.get_secret_value(): self.oem_webhook_secret}
        for override in self.oem_sites.values():
            if override.webhook_secret is not None:
                found.setdefault(override.webhook_secret.get_secret_value(), override.webhook_secret)
        return list(found.values())

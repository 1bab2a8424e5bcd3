"""How one site talks to its car maker: endpoint, credentials, dealer code and the OEM's claim rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

# the OEM simulator's development key (tools/oem_simulator); never used in a deployment
DEV_OEM_API_KEY = "oem-sim-api-key"

ClaimPer = Literal["job", "repair_order"]


class OemProfile(BaseModel):
    """A site's OEM integration, from settings only (never from a request)."""

    model_config = ConfigDict(frozen=True)

    base_url: str = ""
    api_key: SecretStr
    webhook_secret: SecretStr
    dealer_code: str
    claim_per: ClaimPer = "job"
    submission_deadline_days: int = 30
    authorisation_required_above: Decimal | None = Decimal("2000")
    currency: str = "CNY"
    auto_submit: bool = False
    # labour-only claims: the clerk may waive the causal part of a claim without parts, saying why
    causal_part_waiver: bool = True

    @property
    def connected(self) -> bool:
        """Whether the site has an OEM endpoint at all."""
        return bool(self.base_url)


class OemSiteOverride(BaseModel):
    """What a site changes of the default profile."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    api_key: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    dealer_code: str | None = None
    claim_per: ClaimPer | None = None
    submission_deadline_days: int | None = Field(default=None, ge=0)
    authorisation_required_above: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    auto_submit: bool | None = None
    causal_part_waiver: bool | None = None

"""Settings of the OEM simulator (`PITWALL_OEM_SIM_*`)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.webhooks import DEV_WEBHOOK_SECRET

HERE = Path(__file__).resolve().parent


class OemSimulatorSettings(BaseSettings):
    """How the fake car maker behaves: keys, webhook target, delays, decision rules."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_OEM_SIM_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = 8005
    log_level: str = "INFO"
    api_key: SecretStr = SecretStr("oem-sim-api-key")
    admin_key: SecretStr = SecretStr("oem-sim-admin-key")

    # the dealer's endpoint for status webhooks; empty: no webhooks, status only by polling
    webhook_url: str = ""
    webhook_secret: SecretStr = Field(
        default=SecretStr(DEV_WEBHOOK_SECRET),
        validation_alias=AliasChoices("PITWALL_OEM_SIM_WEBHOOK_SECRET", "PITWALL_OEM_WEBHOOK_SECRET", "webhook_secret"),
    )
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_seconds: float = Field(default=1.0, ge=0)
    webhook_backoff_max_seconds: float = Field(default=60.0, ge=0)

    decision_delay_seconds: float = Field(default=2.0, ge=0)
    payment_delay_seconds: float = Field(default=5.0, ge=0)
    submission_deadline_days: int = Field(default=30, ge=0)
    reject_op_codes: Annotated[list[str], NoDecode] = Field(default_factory=list)
    return_op_codes: Annotated[list[str], NoDecode] = Field(default_factory=list)
    authorisation_required_above: Decimal | None = Decimal("2000")
    warranty_max_mileage: int | None = 150_000
    labour_rate_cap: Decimal | None = None
    # labour-only claims: a claim without parts may waive the causal part with a reason
    causal_part_waiver_allowed: bool = True

    recalls_file: Path = HERE / "recalls.json"

    @field_validator("reject_op_codes", "return_op_codes", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """`A,B` or a JSON list in the environment."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [code.strip() for code in text.split(",") if code.strip()]
        return value

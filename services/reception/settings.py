"""Settings of the reception service (`PITWALL_RECEPTION_*`, falling back to `PITWALL_*`)."""

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReceptionSettings(ServiceSettings):
    """Settings of the reception service."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_RECEPTION_", extra="ignore")
    service_name: ClassVar[str] = "reception"

    # The in-process recall port: campaigns keyed by VIN or VIN prefix, e.g.
    # {"1HGCM826": [{"number": "R-2026-01", "title": "Airbag inflator"}]}, from here and/or a JSON file.
    recall_campaigns: dict[str, list[dict[str, str]]] = Field(default_factory=dict)
    recall_campaigns_file: Path | None = None
    recall_delay_seconds: float = Field(default=0.0, ge=0)
    recall_timeout_seconds: float = Field(default=2.0, gt=0)
    next_free_slots_shown: int = Field(default=3, ge=1)
    slot_search_days: int = Field(default=14, ge=1)

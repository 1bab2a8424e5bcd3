"""Settings of the workshop service (`PITWALL_WORKSHOP_*`, falling back to `PITWALL_*`)."""

from decimal import Decimal
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class WorkshopSettings(ServiceSettings):
    """Settings of the workshop service."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_WORKSHOP_", extra="ignore")
    service_name: ClassVar[str] = "workshop"

    stale_check_seconds: float = Field(60.0, gt=0, description="how often the stale-clock check runs")
    stale_sold_hours_factor: Decimal = Field(
        Decimal("2"), gt=0, description="a job clock is stale past sold hours × this + grace"
    )
    stale_job_grace_minutes: int = Field(30, ge=0)
    shift_overrun_grace_minutes: int = Field(
        30, ge=0, description="a technician still clocked in this long past shift end is flagged"
    )
    default_shift_hours: float = Field(
        9.0, gt=0, description="shift length when neither clock-in nor the site's opening hours say"
    )

"""Settings of the workshop service (`PITWALL_WORKSHOP_*`, falling back to `PITWALL_*`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class WorkshopSettings(ServiceSettings):
    """Settings of the workshop service."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_WORKSHOP_", extra="ignore")
    service_name: ClassVar[str] = "workshop"

"""Settings of the parts service (`PITWALL_PARTS_*`, falling back to `PITWALL_*`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class PartsSettings(ServiceSettings):
    """Settings of the parts service."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_PARTS_", extra="ignore")
    service_name: ClassVar[str] = "parts"

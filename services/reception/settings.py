"""Settings of the reception service (`PITWALL_RECEPTION_*`, falling back to `PITWALL_*`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReceptionSettings(ServiceSettings):
    """Settings of the reception service."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_RECEPTION_", extra="ignore")
    service_name: ClassVar[str] = "reception"

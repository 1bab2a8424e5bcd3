"""Settings of the kpi service (`PITWALL_KPI_*`, falling back to `PITWALL_*`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class KpiSettings(ServiceSettings):
    """Settings of the kpi service."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_KPI_", extra="ignore")
    service_name: ClassVar[str] = "kpi"

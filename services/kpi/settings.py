"""Settings of the kpi service (`PITWALL_KPI_*`, falling back to `PITWALL_*`)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class KpiSettings(ServiceSettings):
    """Settings of the kpi service."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_KPI_", extra="ignore")
    service_name: ClassVar[str] = "kpi"

    metrics_refresh_seconds: float = 5.0  # /metrics is recomputed at least this often (time keeps moving)
    metrics_debounce_seconds: float = 0.02  # after a committed batch, wait this long to gather more before recomputing
    metrics_catch_up_lag: int = 2000  # while the consumer is more events behind than this (a replay), figures wait...
    metrics_catch_up_seconds: float = 5.0  # ...this long (and four times a pass over the sites) between recomputations
    wip_age_threshold_hours: float = 24.0  # an RO in progress longer than this counts as over the threshold
    max_range_days: int = 400  # the longest from/to range the REST API computes

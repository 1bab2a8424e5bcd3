"""Settings from the environment: `PITWALL_<SERVICE>_X` overrides the common `PITWALL_X`."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import SecretStr
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url

DEV_JWT_SECRET = "pitwall-dev-secret-change-me-0123456789abcdef"


def default_consumer_group(service: str) -> str:
    """The Kafka consumer group a service reads in unless configured otherwise."""
    return f"pitwall-{service}"


class ServiceSettings(BaseSettings):
    """What every service needs; subclasses set `service_name` and their env prefix."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_", extra="ignore")
    service_name: ClassVar[str] = "service"

    data_dir: Path = Path(".data")
    database_url: str = ""
    database_password: SecretStr | None = None  # put into database_url escaped: a password may hold `@`, `/` or `:`
    kafka_bootstrap: str = "127.0.0.1:9092"
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    log_level: str = "INFO"
    run_relay: bool = True
    run_consumer: bool = True
    relay_poll_seconds: float = 1.0
    kafka_probe_seconds: float = 2.0
    consumer_group: str = ""
    max_clock_skew_seconds: int = 120
    max_backdate_hours: int = 48
    max_page_size: int = 200
    max_body_bytes: int = 1_000_000

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Service-prefixed variables first, then the common `PITWALL_` ones."""
        common = EnvSettingsSource(settings_cls, env_prefix="PITWALL_")
        return init_settings, env_settings, common, dotenv_settings, file_secret_settings

    def resolved_database_url(self) -> str:
        """The configured URL (with `database_password` if set), or a SQLite file per service under the data dir."""
        if self.database_url and self.database_password is not None:
            url = make_url(self.database_url).set(password=self.database_password.get_secret_value())
            return url.render_as_string(hide_password=False)
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service_name}.db').resolve()}"

    def resolved_consumer_group(self) -> str:
        """The Kafka consumer group of this service."""
        return self.consumer_group or default_consumer_group(self.service_name)

"""Start-up file of the kpi service."""

from fastapi import FastAPI

from services.kpi.db import infra
from services.kpi.settings import KpiSettings
from shared.runtime import Runtime, build_app


def create_app(settings: KpiSettings | None = None) -> FastAPI:
    """The kpi app, wired to its DB and Kafka."""
    settings = settings or KpiSettings()
    runtime = Runtime(settings, infra)
    return build_app(runtime, title="Pitwall kpi", routers=[])

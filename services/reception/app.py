"""Start-up file of the reception service."""

from fastapi import FastAPI

from services.reception.db import infra
from services.reception.settings import ReceptionSettings
from shared.runtime import Runtime, build_app


def create_app(settings: ReceptionSettings | None = None) -> FastAPI:
    """The reception app, wired to its DB and Kafka."""
    settings = settings or ReceptionSettings()
    runtime = Runtime(settings, infra)
    return build_app(runtime, title="Pitwall reception", routers=[])

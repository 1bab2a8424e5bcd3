"""Start-up file of the workshop service."""

from fastapi import FastAPI

from services.workshop.db import infra
from services.workshop.settings import WorkshopSettings
from shared.runtime import Runtime, build_app


def create_app(settings: WorkshopSettings | None = None) -> FastAPI:
    """The workshop app, wired to its DB and Kafka."""
    settings = settings or WorkshopSettings()
    runtime = Runtime(settings, infra)
    return build_app(runtime, title="Pitwall workshop", routers=[])

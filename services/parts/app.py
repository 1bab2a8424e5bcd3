"""Start-up file of the parts service."""

from fastapi import FastAPI

from services.parts.db import infra
from services.parts.settings import PartsSettings
from shared.runtime import Runtime, build_app


def create_app(settings: PartsSettings | None = None) -> FastAPI:
    """The parts app, wired to its DB and Kafka."""
    settings = settings or PartsSettings()
    runtime = Runtime(settings, infra)
    return build_app(runtime, title="Pitwall parts", routers=[])

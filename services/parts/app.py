"""Start-up file of the parts service."""

from fastapi import FastAPI

from services.parts.adapters.tables import infra
from services.parts.api import ROUTERS
from services.parts.handlers import HANDLERS
from services.parts.settings import PartsSettings
from shared.contracts.parts import TOPIC
from shared.runtime import Runtime, build_app


def create_app(settings: PartsSettings | None = None) -> FastAPI:
    """The parts app, wired to its DB and Kafka; it serves the workshop's parts requests."""
    settings = settings or PartsSettings()
    runtime = Runtime(settings, infra, publishes=[TOPIC], handlers=HANDLERS)
    app = build_app(runtime, title="Pitwall parts", routers=ROUTERS)
    return app

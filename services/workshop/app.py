"""Start-up file of the workshop service."""

from fastapi import FastAPI

from services.workshop import __doc__ as README
from services.workshop.adapters.tables import infra
from services.workshop.api import bays, board, jobs, quality, technicians
from services.workshop.handlers import HANDLERS
from services.workshop.settings import WorkshopSettings
from services.workshop.usecases.stale import stale_clock_loop
from shared.contracts.workshop import TOPIC
from shared.runtime import Runtime, build_app


def create_app(settings: WorkshopSettings | None = None) -> FastAPI:
    """The workshop app, wired to its DB, Kafka and the stale-clock loop."""
    settings = settings or WorkshopSettings()
    runtime = Runtime(settings, infra, publishes=[TOPIC], handlers=HANDLERS, loops=[stale_clock_loop])
    app = build_app(
        runtime,
        title="Pitwall workshop",
        routers=[bays.router, technicians.router, jobs.router, quality.router, board.router],
    )
    app.description = README or ""

    return app

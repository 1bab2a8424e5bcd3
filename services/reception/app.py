"""Start-up file of the reception service."""

from fastapi import FastAPI

from services.reception.adapters.tables import infra
from services.reception.api import (
    appointments,
    arrivals,
    complaints,
    day,
    follow_ups,
    lines,
    people,
    repair_orders,
    sites,
)
from services.reception.handlers import HANDLERS
from services.reception.recalls import InProcessRecalls, RecallPort
from services.reception.settings import ReceptionSettings
from services.reception.warranty import api as warranty
from services.reception.warranty.oem import OemClient
from services.reception.warranty.recalls import OemRecalls
from services.reception.warranty.worker import SubmissionWorker
from shared.contracts import reception
from shared.contracts import warranty as warranty_events
from shared.runtime import Runtime, build_app

ROUTERS = [
    sites.router,
    people.router,
    appointments.router,
    arrivals.router,
    repair_orders.router,
    lines.router,
    day.router,
    follow_ups.router,
    complaints.router,
    warranty.router,
]


def create_app(settings: ReceptionSettings | None = None, recalls: RecallPort | None = None) -> FastAPI:
    """The reception app, wired to its DB, Kafka, the OEM (claims queue, recalls) or a given recall port."""
    settings = settings or ReceptionSettings()
    oem = OemClient(settings.oem_connect_timeout_seconds, settings.oem_timeout_seconds)
    worker = SubmissionWorker(settings, oem)
    runtime = Runtime(
        settings, infra, publishes=[reception.TOPIC, warranty_events.TOPIC], handlers=HANDLERS, loops=[worker.run]
    )
    app = build_app(runtime, title="Pitwall reception", routers=ROUTERS)
    app.state.warranty_worker = worker
    app.state.recalls = recalls or OemRecalls(
        settings,
        oem,
        InProcessRecalls.from_settings(
            settings.recall_campaigns, settings.recall_campaigns_file, settings.recall_delay_seconds
        ),
    )
    return app

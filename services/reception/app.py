"""Start-up file of the reception service."""

from fastapi import FastAPI

from services.reception.api import appointments, arrivals, day, lines, people, repair_orders, sites
from services.reception.db import infra
from services.reception.errors import install_domain_errors
from services.reception.handlers import HANDLERS
from services.reception.recalls import InProcessRecalls, RecallPort
from services.reception.settings import ReceptionSettings
from shared.contracts.reception import TOPIC
from shared.runtime import Runtime, build_app

ROUTERS = [sites.router, people.router, appointments.router, arrivals.router, repair_orders.router, lines.router, day.router]


def create_app(settings: ReceptionSettings | None = None, recalls: RecallPort | None = None) -> FastAPI:
    """The reception app, wired to its DB, Kafka and a recall port (in-process from settings by default)."""
    settings = settings or ReceptionSettings()
    runtime = Runtime(settings, infra, publishes=[TOPIC], handlers=HANDLERS)
    app = build_app(runtime, title="Pitwall reception", routers=ROUTERS)
    install_domain_errors(app)
    app.state.recalls = recalls or InProcessRecalls.from_settings(
        settings.recall_campaigns, settings.recall_campaigns_file, settings.recall_delay_seconds
    )
    return app

"""Start-up file of the OEM simulator: a fake car maker's warranty and recall system."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Gauge

from shared.docs import install_docs
from shared.observability import RequestMetrics, install_health
from shared.problems import PROBLEM_RESPONSES, install_problem_handlers, problem_response
from tools.oem_simulator.api import admin, router, simulator_of
from tools.oem_simulator.delivery import WebhookSender
from tools.oem_simulator.engine import Simulator
from tools.oem_simulator.recalls import RecallBook
from tools.oem_simulator.settings import OemSimulatorSettings


def create_app(settings: OemSimulatorSettings | None = None) -> FastAPI:
    """The simulator app; its decision and webhook loops run while its lifespan does."""
    settings = settings or OemSimulatorSettings()
    sender = None
    if settings.webhook_url:
        sender = WebhookSender(
            settings.webhook_url, settings.webhook_secret.get_secret_value(),
            timeout=settings.webhook_timeout_seconds, max_attempts=settings.webhook_max_attempts,
            backoff=settings.webhook_backoff_seconds, backoff_max=settings.webhook_backoff_max_seconds,
        )
    simulator = Simulator(settings, RecallBook.from_file(settings.recalls_file), sender)

    tasks: dict[str, asyncio.Task[None]] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks["decisions"] = asyncio.create_task(simulator.run_jobs(), name="oem-sim-jobs")
        if sender is not None:
            tasks["webhooks"] = asyncio.create_task(sender.run(), name="oem-sim-webhooks")
        try:
            yield
        finally:
            for task in tasks.values():
                task.cancel()
            for task in tasks.values():
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            tasks.clear()

    app = FastAPI(title="Pitwall OEM simulator", version="1.0.0", lifespan=lifespan, responses=PROBLEM_RESPONSES, docs_url=None,
                  redoc_url=None)
    install_docs(app)
    app.state.simulator = simulator
    install_problem_handlers(app)
    # replaces the shared handler: the same problem document, plus `reasons` as the claim rules give them
    app.add_exception_handler(RequestValidationError, _invalid_input)  # type: ignore[arg-type]

    async def ready() -> dict[str, bool]:
        running = {name: not task.done() for name, task in tasks.items()}
        return {"decisions": running.get("decisions", False), "webhooks": running.get("webhooks", sender is None)}

    def pending() -> int:
        return sum(d.state == "pending" for d in sender.deliveries) if sender is not None else 0

    registry = CollectorRegistry(auto_describe=True)
    install_health(app, registry, ready)
    Gauge("pitwall_oem_sim_webhooks_pending", "webhook messages not yet delivered or given up", registry=registry).set_function(pending)
    app.add_middleware(RequestMetrics, registry=registry, service="oem-simulator")
    app.include_router(router)
    app.include_router(admin)
    return app


async def _invalid_input(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
    reasons = [{"field": _field(e["loc"]), "code": e["type"], "message": e["msg"]} for e in errors]
    detail = "; ".join(f"{r['field']}: {r['message']}" for r in reasons)
    if request.method == "POST" and request.url.path == "/claims":
        simulator_of(request).record("claim_submission", request.headers.get("idempotency-key"), None, "invalid", 422)
    return problem_response(422, "Invalid input", detail, request.url.path, type_="/problems/validation", errors=errors, reasons=reasons)


def _field(loc: list[object]) -> str:
    """`["body", "parts", 0, "quantity"]` → `parts.0.quantity`."""
    inner = loc[1:] if loc and loc[0] in ("body", "query", "header", "path") else loc
    return ".".join(str(p) for p in inner) or ".".join(str(p) for p in loc)

"""Start-up file of the kpi service."""

import asyncio

from fastapi import FastAPI

from services.kpi.api import figures, reports, targets
from services.kpi.db import infra
from services.kpi.handlers import batch_handler, handlers
from services.kpi.metrics import KpiMetrics
from services.kpi.settings import KpiSettings
from shared.runtime import Runtime, build_app


async def leave_group_on_stop(runtime: Runtime) -> None:
    """Close the Kafka consumer when the runtime stops.

    Runtime.stop cancels the consumer's task before ConsumerRunner.run reaches its close, which leaves
    the consumer in its group (holding partitions) until the process dies; a restarted consumer in the
    same process then never gets them. Remove once the shared runner closes on cancellation.
    """
    try:
        await asyncio.Event().wait()
    finally:
        if runtime.consumer is not None:
            await runtime.consumer._close()  # noqa: SLF001 - see above


def create_app(settings: KpiSettings | None = None) -> FastAPI:
    """The kpi app: projects every topic into its DB, serves figures on REST and /metrics."""
    settings = settings or KpiSettings()
    holder: list[KpiMetrics] = []

    async def metrics_loop(runtime: Runtime) -> None:
        await holder[0].run()

    on_applied = lambda session, site: holder[0].on_applied(session, site)  # noqa: E731 - the collector needs the engine
    runtime = Runtime(settings, infra, handlers=handlers(on_applied), loops=[metrics_loop, leave_group_on_stop])
    if runtime.consumer is not None:
        runtime.consumer.use_batch_handler(batch_handler(on_applied))
    collector = KpiMetrics(runtime.engine, settings.metrics_refresh_seconds, settings.metrics_debounce_seconds)
    holder.append(collector)
    runtime.metrics.register(collector)
    app = build_app(runtime, title="Pitwall kpi", routers=[figures.router, reports.router, targets.router])
    app.state.kpi_metrics = collector
    return app

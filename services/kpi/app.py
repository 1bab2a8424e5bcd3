"""Start-up file of the kpi service."""

from aiokafka import TopicPartition
from fastapi import FastAPI, Query
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from services.kpi.api import figures, reports, sites, targets
from services.kpi.db import infra
from services.kpi.handlers import batch_handler, changes_of, handlers
from services.kpi.metrics import KpiMetrics
from services.kpi.ownership import Ownership
from services.kpi.state.live import LiveState
from services.kpi.settings import KpiSettings
from shared.observability import render
from shared.runtime import Runtime, build_app


def serve_metrics(app: FastAPI, registry: CollectorRegistry, figures_text: KpiMetrics) -> None:
    """Replace the runtime's /metrics by one that appends the figures as already rendered text.

    The runtime renders every sample of its registry at each scrape, in the event loop: with the figures of a few
    dozen sites that took hundreds of milliseconds, during which the consumer stood still.
    """
    app.router.routes[:] = [route for route in app.router.routes if getattr(route, "path", None) != "/metrics"]

    @app.get("/metrics", tags=["health"], response_class=Response, responses={})
    async def metrics(site: list[str] = Query(default_factory=list, max_length=500,
                                              description="only these sites' figures (a scrape job per group of sites)")) -> Response:
        """Prometheus metrics of this process, and every site's figures (or the sites asked for)."""
        text = await render(registry) + figures_text.exposition(site).encode()
        return Response(text, media_type=CONTENT_TYPE_LATEST)


def create_app(settings: KpiSettings | None = None) -> FastAPI:
    """The kpi app: projects every topic into its DB, serves figures on REST and /metrics."""
    settings = settings or KpiSettings()
    holder: list[KpiMetrics] = []

    async def metrics_loop(runtime: Runtime) -> None:
        await holder[0].run()

    runtime = Runtime(settings, infra, handlers=handlers(), loops=[metrics_loop])
    consumer = runtime.consumer if settings.run_consumer else None
    ownership = Ownership()
    # An instance without a consumer (a REST-only member) holds no rows: others write them, so it reads the database.
    live = LiveState(changes_of, ownership.owns) if consumer is not None else None
    collector = KpiMetrics(runtime.engine, settings.metrics_refresh_seconds, settings.metrics_debounce_seconds,
                           lag=lambda: consumer.lag if consumer is not None else 0, catch_up_lag=settings.metrics_catch_up_lag,
                           catch_up_seconds=settings.metrics_catch_up_seconds, registry=runtime.metrics,
                           owns=ownership.owns, live=live, batch_lock=consumer.batch_lock if consumer is not None else None)
    holder.append(collector)
    if consumer is not None and live is not None:
        held = live
        consumer.use_batch_handler(batch_handler(held), committed=lambda: collector.mark_dirty(*held.committed()),
                                   rolled_back=held.rolled_back)

        def reassigned(assigned: set[TopicPartition], counts: dict[str, int]) -> None:
            ownership.assign(assigned, counts)
            held.reassigned()
            collector.reassigned()

        consumer.watch_assignment(reassigned)
    app = build_app(runtime, title="Pitwall kpi", routers=[sites.router, figures.router, reports.router, targets.router])
    serve_metrics(app, runtime.metrics, collector)
    app.state.kpi_metrics = collector
    return app

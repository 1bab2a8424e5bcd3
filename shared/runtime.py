"""One place that wires a service together: DB, outbox relay, consumer, metrics and the FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.auth import Principal, authenticate_first
from shared.cloudevents import CloudEvent
from shared.consumer import ConsumerMetrics, ConsumerRunner, dead_letter_topic
from shared.contracts.base import Event, EventRegistry
from shared.db import InfraTables, create_engine
from shared.docs import install_docs
from shared.http import declare_page_size, idempotency_of
from shared.kafka_admin import ensure_topics
from shared.logs import configure_logging
from shared.migrations import upgrade_to_head
from shared.observability import BodyLimit, RequestMetrics, install_health
from shared.outbox import OutboxMetrics, OutboxRelay
from shared.problems import PROBLEM_RESPONSES, UnexpectedErrors, install_problem_handlers
from shared.reachability import BrokerProbe
from shared.settings import ServiceSettings
from shared.uow import Idempotency, IdempotentReplay, UnitOfWork

log = logging.getLogger("pitwall.runtime")

EventHandler = Callable[[UnitOfWork, Any], Awaitable[None]]


class Runtime:
    """Everything a running service holds: engine, relay, consumer, metrics."""

    def __init__(
        self,
        settings: ServiceSettings,
        infra: InfraTables,
        *,
        publishes: Iterable[str] = (),
        handlers: Mapping[type[Event], EventHandler] | None = None,
        migrate: Callable[[Any], Awaitable[None]] | None = None,
        loops: Iterable[Callable[[Runtime], Coroutine[Any, Any, None]]] = (),
    ) -> None:
        """`migrate(engine)` defaults to the service's Alembic migrations; `loops` run in the background."""
        self.settings = settings
        self.service = settings.service_name
        self.infra = infra
        self.engine = create_engine(settings.resolved_database_url())
        # SQLite lets one transaction write at a time, and its busy handler sleeps up to 100 ms between tries: requests
        # waiting there waited seconds while the lock stood free. Here they take turns in order instead.
        self.write_turn: asyncio.Lock | None = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None
        self.metrics = CollectorRegistry(auto_describe=True)
        self.relay = OutboxRelay(
            self.engine,
            infra,
            settings.kafka_bootstrap,
            OutboxMetrics(self.metrics, self.service),
            poll_seconds=settings.relay_poll_seconds,
        )
        self.broker = BrokerProbe(
            settings.kafka_bootstrap, self.metrics, self.service, every_seconds=settings.kafka_probe_seconds
        )
        self._publishes = list(publishes)
        self._handlers = dict(handlers or {})
        self.consumer: ConsumerRunner | None = None
        if self._handlers:
            registry = EventRegistry()
            registry.register(*self._handlers)
            group = settings.resolved_consumer_group()
            self.consumer = ConsumerRunner(
                self.engine,
                infra,
                group_id=group,
                topics=sorted({cls.topic for cls in self._handlers}),
                bootstrap=settings.kafka_bootstrap,
                registry=registry,
                handle=self._dispatch,
                metrics=ConsumerMetrics(self.metrics, group),
                after_db_commit=self._after_batch,
            )
        self._batch_published = False  # whether a handler of the consumer's current batch put events in the outbox
        self._tasks: list[asyncio.Task[None]] = []
        self._migrate = migrate or (lambda engine: upgrade_to_head(engine, self.service))
        self._loops = list(loops)

    async def _dispatch(self, session: AsyncSession, cloud_event: CloudEvent, event: Event) -> None:
        uow = UnitOfWork(session, self.infra, self.service)
        await self._handlers[type(event)](uow, event)
        self._batch_published = self._batch_published or bool(uow.published)

    def _after_batch(self) -> None:
        # Most batches publish nothing (all of them, in kpi): a relay pass would cost two queries and, on SQLite, the
        # connection the consumer's next batch waits for. A batch rolled back after publishing wakes it for nothing.
        if self._batch_published:
            self._batch_published = False
            self.relay.wake()

    @property
    def publishes(self) -> list[str]:
        """The topics this service publishes on."""
        return list(self._publishes)

    def unit_of_work(self, idempotency: Idempotency | None = None, turn: asyncio.Lock | None = None) -> UnitOfWork:
        """A fresh unit of work (holding `turn`, already taken, until it ends)."""
        session = AsyncSession(self.engine, expire_on_commit=False)
        return UnitOfWork(
            session, self.infra, self.service, on_commit=self.relay.wake, idempotency=idempotency, turn=turn
        )

    async def start(self) -> None:
        """Migrate the DB, then start the relay and the consumer in the background."""
        configure_logging(self.service, self.settings.log_level)
        await self._migrate(self.engine)
        if self.uses_kafka:
            await self.broker.check()
            self._tasks.append(asyncio.create_task(self.broker.run(), name=f"{self.service}-kafka-probe"))
            self._tasks.append(asyncio.create_task(self._kafka_loops(), name=f"{self.service}-kafka"))
        for loop in self._loops:
            self._tasks.append(
                asyncio.create_task(loop(self), name=f"{self.service}-{getattr(loop, '__name__', 'loop')}")
            )

    async def _kafka_loops(self) -> None:
        topics = list(self._publishes)
        if self.consumer is not None:
            topics += [*{cls.topic for cls in self._handlers}, dead_letter_topic(self.consumer.group_id)]
        backoff = 0.2
        while True:
            try:
                group = self.consumer.group_id if self.consumer is not None and self.settings.run_consumer else None
                await ensure_topics(self.settings.kafka_bootstrap, sorted(set(topics)), group=group)
                break
            except Exception as exc:  # noqa: BLE001 - Kafka may come up after us
                log.warning("kafka not reachable yet (%s); retrying", exc)
                await self.relay.refresh_backlog()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        loops = []
        if self.settings.run_relay:
            loops.append(self.relay.run())
        if self.settings.run_consumer and self.consumer is not None:
            loops.append(self.consumer.run())
        await asyncio.gather(*loops)

    async def stop(self) -> None:
        """Stop the loops and close the DB."""
        await self.relay.stop()
        if self.consumer is not None:
            await self.consumer.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.relay.stop()
        await self.engine.dispose()

    @property
    def uses_kafka(self) -> bool:
        """Whether this process relays or consumes events."""
        return self.settings.run_relay or self.settings.run_consumer

    async def ready(self) -> dict[str, bool]:
        """What serving requests needs: the DB answers (writes wait in the outbox while Kafka is away)."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
            log.warning("database not ready: %s", exc)
            return {"database": False}
        return {"database": True}


def build_app(runtime: Runtime, *, title: str, routers: Iterable[APIRouter], version: str = "1.0.0") -> FastAPI:
    """A FastAPI app with problem+json errors, health, readiness, metrics and request timing."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=title, version=version, lifespan=lifespan, responses=PROBLEM_RESPONSES, docs_url=None, redoc_url=None
    )
    install_docs(app)
    app.state.runtime = runtime
    app.state.settings = runtime.settings
    app.state.jwt_secret = runtime.settings.jwt_secret.get_secret_value()
    install_problem_handlers(app)

    @app.exception_handler(IdempotentReplay)
    async def _replay(request: Request, exc: IdempotentReplay) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status_code, headers={"Idempotent-Replayed": "true"})

    install_health(
        app,
        runtime.metrics,
        runtime.ready,
        lambda: {
            "kafka": {"used": runtime.uses_kafka, "reachable": runtime.broker.reachable if runtime.uses_kafka else None}
        },
    )
    for router in routers:
        app.include_router(router)
    authenticate_first(app)
    declare_page_size(app)
    app.add_middleware(UnexpectedErrors)  # innermost: the 500 it answers is timed and carries the request id
    app.add_middleware(RequestMetrics, registry=runtime.metrics, service=runtime.service)
    app.add_middleware(BodyLimit, max_bytes=runtime.settings.max_body_bytes)
    return app


async def open_uow(request: Request, principal: Principal) -> UnitOfWork:
    """A unit of work for this request under its Idempotency-Key (on SQLite, in its turn); raises IdempotentReplay on a retry."""
    runtime: Runtime = request.app.state.runtime
    idempotency = await idempotency_of(request, principal)
    if runtime.write_turn is not None:
        await runtime.write_turn.acquire()  # on SQLite: the request's turn to write, first come first served
    uow = runtime.unit_of_work(idempotency, turn=runtime.write_turn)
    try:
        await uow.check_replay()
    except BaseException:
        await uow.__aexit__(None, None, None)
        raise
    return uow

"""Transactional outbox: rows written with the business change, relayed to Kafka in order."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from shared.clock import utcnow
from shared.cloudevents import CloudEvent
from shared.contracts.base import Event
from shared.db import InfraTables, dialect_of
from shared.reconcile import already_on_topic
from shared.waiting import woken

__all__ = ["OutboxMetrics", "OutboxRelay", "append_to_outbox", "utcnow"]  # utcnow: still imported from here by kpi

log = logging.getLogger("pitwall.outbox")


async def append_to_outbox(
    session: AsyncSession, tables: InfraTables, service: str, event: Event, *, locked_sites: set[str] | None = None
) -> str:
    """Add the event to the outbox inside the caller's transaction; returns its CloudEvents id.

    `locked_sites`: the sites whose outbox order the caller's transaction already holds (kept by its unit of work).
    """
    aggregate_id = event.aggregate_id()
    await _serialise_site(session, event.site_id, locked_sites)
    sequence = await _next_sequence(session, tables, event.aggregate, aggregate_id)
    event_id = str(uuid.uuid4())
    await session.execute(
        tables.outbox.insert().values(
            event_id=event_id,
            topic=event.topic,
            key=event.site_id,
            type=event.type,
            source=f"/pitwall/{service}/sites/{event.site_id}",
            subject=f"{event.aggregate}/{aggregate_id}",
            aggregate_type=event.aggregate,
            aggregate_id=aggregate_id,
            sequence=sequence,
            time=event.occurred_at,
            data=orjson.dumps(event.model_dump(mode="json")).decode(),
            created_at=utcnow(),
        )
    )
    return event_id


async def _serialise_site(session: AsyncSession, site_id: str, locked: set[str] | None) -> None:
    # Ids must be assigned in commit order within a site, or the relay could send a later row first.
    # SQLite serialises writers already; PostgreSQL gets a transaction-scoped lock per site (taken again harmlessly).
    if dialect_of(session) != "postgresql" or (locked is not None and site_id in locked):
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:site))"), {"site": f"outbox:{site_id}"})
    if locked is not None:
        locked.add(site_id)


async def _next_sequence(session: AsyncSession, tables: InfraTables, aggregate: str, aggregate_id: str) -> int:
    table = tables.outbox_sequence
    insert = sqlite_insert if dialect_of(session) == "sqlite" else pg_insert
    statement = (
        insert(table)
        .values(aggregate_type=aggregate, aggregate_id=aggregate_id, last_sequence=1)
        .on_conflict_do_update(
            index_elements=[table.c.aggregate_type, table.c.aggregate_id],
            set_={"last_sequence": table.c.last_sequence + 1},
        )
        .returning(table.c.last_sequence)
    )
    return int((await session.execute(statement)).scalar_one())


class OutboxMetrics:
    """Backlog, oldest unsent age and publish figures of one service's relay."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.backlog = Gauge(
            "pitwall_outbox_backlog_events", "Events committed but not yet sent", ["service"], registry=registry
        ).labels(service)
        self.oldest_age = Gauge(
            "pitwall_outbox_oldest_unsent_age_seconds", "Age of the oldest unsent event", ["service"], registry=registry
        ).labels(service)
        self.published = Counter(
            "pitwall_outbox_published_events_total", "Events sent to Kafka", ["service"], registry=registry
        ).labels(service)
        self.failures = Counter(
            "pitwall_outbox_publish_failures_total", "Failed attempts to send a batch", ["service"], registry=registry
        ).labels(service)


class OutboxRelay:
    """Sends unsent outbox rows with an idempotent producer, oldest first; wakes on commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: InfraTables,
        bootstrap: str,
        metrics: OutboxMetrics,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self._engine = engine
        self._table = tables.outbox
        self._bootstrap = bootstrap
        self._metrics = metrics
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._stopping = False
        self.connected = False
        self._reconciled = False  # whether the rows in flight when it last stopped or failed were checked against Kafka
        self._lead: AsyncConnection | None = None  # PostgreSQL: the connection holding the relay's advisory lock

    def wake(self) -> None:
        """Tell the relay that a transaction committed outbox rows (call it only then: a pass costs two queries)."""
        self._wake.set()

    async def run(self) -> None:
        """Relay until stopped, retrying with backoff while Kafka is unreachable."""
        backoff = 0.1
        while not self._stopping:
            try:
                sent = await self.relay_once()
                backoff = 0.1
                if sent == 0:
                    await self._idle()
            except asyncio.CancelledError:
                await self._close_producer()
                raise
            except Exception as exc:  # noqa: BLE001 - any send failure means: retry later
                self._metrics.failures.inc()
                self.connected = False
                self._reconciled = False  # Kafka may have taken part of the failed batch
                await self.refresh_backlog()
                log.warning("outbox relay failed, retrying in %.1fs: %s", backoff, exc)
                await self._close_producer()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def relay_once(self) -> int:
        """Send one batch of unsent rows and mark them; returns how many were sent (none while another relay leads)."""
        if not await self._leading():
            return 0
        rows = await self._unsent()
        if rows and not self._reconciled:
            rows = await self._drop_already_sent(rows)
        if rows:
            producer = await self._ensure_producer()
            await self._send(producer, rows)
            await self.mark_sent([row["id"] for row in rows])
            self._metrics.published.inc(len(rows))
        await self._update_backlog()
        return len(rows)

    async def _drop_already_sent(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Mark sent the rows Kafka already holds (sent before a crash or failure, not marked); the others."""
        on_topic = await already_on_topic(self._bootstrap, rows)
        if on_topic:
            await self.mark_sent([row["id"] for row in rows if row["event_id"] in on_topic])
            log.info(
                "%d outbox rows were already on their topics; marked sent without sending them again", len(on_topic)
            )
        self._reconciled = True
        return [row for row in rows if row["event_id"] not in on_topic]

    async def _leading(self) -> bool:
        """Whether this relay is the one that sends this outbox's rows (on SQLite, always: one process writes it).

        Several replicas of a service share one PostgreSQL outbox: each relay would read the same unsent rows and send
        them all. One relay leads, holding a session advisory lock on a connection of its own; the others stand by and
        try again at each pass. The lock goes with the leader's connection (its process killed, or the connection lost),
        and the relay that takes it over first reconciles with the topics what the last one sent without marking.
        """
        if self._engine.dialect.name != "postgresql":
            return True
        if self._lead is not None:
            try:
                await self._lead.execute(text("SELECT 1"))
                return True
            except Exception as exc:  # noqa: BLE001 - the lock went with the connection: stand by and try again
                log.warning("outbox relay lost its lead (%s); trying to take it again", exc)
                await self._release_lead()
        connection = await self._engine.connect()
        try:
            key = f"pitwall-outbox-relay:{self._table.name}"
            leads = (
                await connection.execute(text("SELECT pg_try_advisory_lock(hashtext(:key))"), {"key": key})
            ).scalar()
            await connection.commit()  # a session lock outlives the transaction; the connection is not left in one
        except BaseException:
            await connection.close()
            raise
        if not leads:
            await connection.close()
            return False
        self._lead, self._reconciled = connection, False  # what a previous leader sent without marking is looked up
        return True

    async def _release_lead(self) -> None:
        connection, self._lead = self._lead, None
        if connection is not None:
            try:
                # Closed for good, not returned to the pool: a pooled connection's reset (a rollback) keeps a session lock.
                await connection.invalidate()
                await connection.close()
            except Exception as exc:  # noqa: BLE001 - a lost connection's lock is already gone
                log.debug("closing the relay's lead connection: %s", exc)

    async def mark_sent(self, ids: list[int]) -> None:
        """Mark rows as sent."""
        async with self._engine.begin() as connection:
            await connection.execute(update(self._table).where(self._table.c.id.in_(ids)).values(sent_at=utcnow()))

    async def stop(self) -> None:
        """Stop after the current batch, close the producer and give up the lead."""
        self._stopping = True
        self._wake.set()
        await self._close_producer()
        await self._release_lead()

    async def _idle(self) -> None:
        await woken(self._wake, self._poll_seconds)
        self._wake.clear()

    async def _unsent(self) -> list[dict[str, Any]]:
        statement = (
            select(self._table)
            .where(self._table.c.sent_at.is_(None))
            .order_by(self._table.c.id)
            .limit(self._batch_size)
        )
        async with self._engine.connect() as connection:
            return [dict(row._mapping) for row in await connection.execute(statement)]

    async def _send(self, producer: AIOKafkaProducer, rows: list[dict[str, Any]]) -> None:
        futures = []
        for row in rows:
            cloud_event = CloudEvent(
                id=row["event_id"],
                source=row["source"],
                type=row["type"],
                time=row["time"],
                subject=row["subject"],
                site_id=row["key"],
                sequence=row["sequence"],
                data=orjson.loads(row["data"]),
            )
            futures.append(
                await producer.send(
                    row["topic"], value=cloud_event.value(), key=cloud_event.key(), headers=cloud_event.to_headers()
                )
            )
        await asyncio.wait_for(asyncio.gather(*futures), timeout=30)
        self.connected = True

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                enable_idempotence=True,
                acks="all",
                linger_ms=2,
                request_timeout_ms=15000,
            )
            try:
                await producer.start()
            except Exception:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), timeout=5)
            except Exception as exc:  # noqa: BLE001 - closing a broken producer may fail; nothing to save
                log.debug("closing producer: %s", exc)

    async def refresh_backlog(self) -> None:
        """Update the backlog gauges from the DB, whatever Kafka's state (never raises)."""
        try:
            await self._update_backlog()
        except Exception as exc:  # noqa: BLE001 - a gauge must not take the relay down
            log.debug("backlog gauges not updated: %s", exc)

    async def _update_backlog(self) -> None:
        statement = select(func.count(), func.min(self._table.c.created_at)).where(self._table.c.sent_at.is_(None))
        async with self._engine.connect() as connection:
            count, oldest = (await connection.execute(statement)).one()
        self._metrics.backlog.set(count)
        self._metrics.oldest_age.set((utcnow() - oldest).total_seconds() if oldest else 0)

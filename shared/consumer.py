"""Consumer runner: dedupe, handler writes and partition offsets in one DB transaction."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.structs import ConsumerRecord
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import ValidationError
from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.cloudevents import CloudEvent, MalformedEvent
from shared.contracts.base import Event, EventRegistry
from shared.db import InfraTables, database_down
from shared.logs import event_id_var
from shared.outbox import utcnow

log = logging.getLogger("pitwall.consumer")

Handler = Callable[[AsyncSession, CloudEvent, Event], Awaitable[None]]
# Applies one poll's events (each partition's in their order) inside the caller's transaction (ConsumerRunner.use_batch_handler).
BatchHandler = Callable[[AsyncSession, list[tuple[CloudEvent, Event]]], Awaitable[None]]
# Told the partitions a member holds after each rebalance, with each topic's partition count.
AssignmentWatcher = Callable[[set[TopicPartition], dict[str, int]], None]


# A re-sent event comes again within minutes (a relay retry) or hours (a crash before its mark): its id is kept for far
# longer, and the consumers' projections that could meet it again later (a group reset) are idempotent (docs/reliability.md).
PROCESSED_RETENTION = timedelta(days=30)
PRUNE_EVERY_SECONDS = 3600.0


def dead_letter_topic(group_id: str) -> str:
    """Where a consumer group puts what it cannot parse or handle."""
    return f"{group_id}.dlq"


# Test seam (issue 11, case 3; docs/reliability.md): set to an event id, the process stops itself (SIGSTOP) right after
# the DB commit of the batch holding that event and before Kafka's offset commit, so that a test can SIGKILL it exactly
# there. Never set in a deployment.
FAULT_STOP_AFTER_DB_COMMIT = "PITWALL_FAULT_STOP_AFTER_DB_COMMIT"


def _stop_if_asked(records: list[ConsumerRecord]) -> None:
    wanted = os.environ.get(FAULT_STOP_AFTER_DB_COMMIT)
    if wanted and any(dict(record.headers or ()).get("ce_id") == wanted.encode() for record in records):
        os.kill(os.getpid(), signal.SIGSTOP)


def _lock_id(group_id: str, key: bytes | None) -> int:
    """A key's advisory lock number in a group (64 bits, signed as PostgreSQL's bigint)."""
    digest = hashlib.blake2b(group_id.encode() + b"\0" + (key or b""), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class ConsumerMetrics:
    """Events consumed by outcome, and lag per partition."""

    def __init__(self, registry: CollectorRegistry, group: str) -> None:
        self._events = Counter(
            "pitwall_consumer_events_total", "Events consumed, by outcome", ["group", "topic", "outcome"], registry=registry
        )
        self._lag = Gauge(
            "pitwall_consumer_lag_events", "Events on the partition not yet processed", ["group", "topic", "partition"], registry=registry
        )
        self._group = group

    def count(self, topic: str, outcome: str, n: int = 1) -> None:
        """Count events by outcome: applied, duplicate, ignored, dead_lettered."""
        if n:
            self._events.labels(self._group, topic, outcome).inc(n)

    def prime(self, topic: str) -> None:
        """Create the outcome series at 0, so an alert on increase() sees the first dead letter."""
        for outcome in ("applied", "duplicate", "ignored", "dead_lettered"):
            self._events.labels(self._group, topic, outcome)

    def forget(self, tp: TopicPartition) -> None:
        """Drop the lag of a partition this member no longer owns."""
        try:
            self._lag.remove(self._group, tp.topic, str(tp.partition))
        except KeyError:
            pass

    def lag(self, tp: TopicPartition, value: int) -> None:
        """Set the lag of a partition."""
        self._lag.labels(self._group, tp.topic, str(tp.partition)).set(value)


@dataclass
class Outcome:
    """What became of a batch's records on one topic."""

    applied: int = 0
    duplicate: int = 0
    ignored: int = 0
    dead: int = 0


class _SeekToStoredOffsets(ConsumerRebalanceListener):
    def __init__(self, runner: ConsumerRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        # aiokafka rebalances in its own task: a batch in flight commits before its partitions go...
        async with self._runner.batch_lock:
            for tp in revoked:
                self._runner.forget_partition(tp)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        # ...and the stored offsets are read after it committed (else its records would be fetched and skipped again).
        async with self._runner.batch_lock:
            await self._runner.seek_to_stored(list(assigned))
            self._runner.assignment_changed(set(assigned))


class ConsumerRunner:
    """Consumes topics with manual commits; the DB holds the offsets that count."""

    def __init__(
        self,
        engine: AsyncEngine,
        tables: InfraTables,
        *,
        group_id: str,
        topics: list[str],
        bootstrap: str,
        registry: EventRegistry,
        handle: Handler,
        metrics: ConsumerMetrics,
        max_batch: int = 500,
        after_db_commit: Callable[[], None] | None = None,
        processed_retention: timedelta = PROCESSED_RETENTION,
    ) -> None:
        """`after_db_commit` runs after each committed batch (the relay's wake-up; tests' crash point).

        `processed_retention`: how long an applied event's id is kept to recognise it when it comes again.
        """
        self._engine = engine
        self._tables = tables
        self.group_id = group_id
        self._topics = topics
        self._bootstrap = bootstrap
        self._registry = registry
        self._handle = handle
        self._metrics = metrics
        for topic in topics:
            metrics.prime(topic)
        self._max_batch = max_batch
        self._after_db_commit = after_db_commit
        self._handle_batch: BatchHandler | None = None
        self._committed: Callable[[], None] | None = None
        self._rolled_back: Callable[[], None] | None = None
        self._assignment_watchers: list[AssignmentWatcher] = []
        self.batch_lock = asyncio.Lock()  # held while a batch's transaction runs (rebalances wait for it)
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._stopping = False
        self.connected = False
        self._processed_retention = processed_retention
        self._pruned_at = time.monotonic()
        self._listed_ends: dict[TopicPartition, int] = {}
        self._ends_listed_at = 0.0
        self.lag: int | None = None  # events not yet processed on the assigned partitions as of the last poll (None: not known yet)

    def use_batch_handler(self, handle_batch: BatchHandler, *, committed: Callable[[], None] | None = None,
                          rolled_back: Callable[[], None] | None = None) -> None:
        """Apply a poll's events with one call in one savepoint, instead of `handle` per event.

        Every partition batch of the poll goes through together (each partition's events in their order), in one
        transaction: one dedupe read, one projection write, one commit — where most of a small batch's time went.

        If the batch fails (a bad event, a refused write), its savepoint is rolled back and its events are applied one by
        one, each in its own savepoint (`handle_batch` with one event), so only the bad one is dead-lettered.

        `committed` runs after each poll's transaction commits, `rolled_back` after one failed: what the handler keeps in
        memory follows the database (a savepoint it failed in, the handler undoes itself).
        """
        self._handle_batch = handle_batch
        self._committed, self._rolled_back = committed, rolled_back

    def watch_assignment(self, watcher: AssignmentWatcher) -> None:
        """Call `watcher` with this member's partitions after each rebalance (before any of their records is applied)."""
        self._assignment_watchers.append(watcher)

    def assignment_changed(self, assigned: set[TopicPartition]) -> None:
        """Tell the watchers which partitions this member now holds (nothing when the consumer stops meanwhile)."""
        consumer = self._consumer
        if consumer is None:
            return
        counts = {topic: len(consumer.partitions_for_topic(topic) or ()) for topic in self._topics}
        for watcher in self._assignment_watchers:
            watcher(assigned, {topic: n for topic, n in counts.items() if n})

    async def run(self) -> None:
        """Consume until stopped; reconnect with backoff when Kafka or the DB fails."""
        backoff = 0.2
        while not self._stopping:
            try:
                await self._start()
                backoff = 0.2
                while not self._stopping:
                    await self.poll_once()
            except asyncio.CancelledError:
                await self._close()  # leave the group now, or a restarted consumer waits for our partitions
                raise
            except Exception as exc:  # noqa: BLE001 - retried: offsets in the DB make it safe
                self.connected = False
                log.warning("consumer %s failed, restarting in %.1fs: %s", self.group_id, backoff, exc)
                await self._close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        await self._close()

    async def stop(self) -> None:
        """Finish the current batch and leave the group."""
        self._stopping = True

    async def poll_once(self, timeout_ms: int = 500) -> int:
        """Fetch and process one round of batches; returns how many records were seen."""
        assert self._consumer is not None
        fetched = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=self._max_batch)
        batches = {tp: records for tp, records in fetched.items() if records}
        if batches:
            await self._process(batches)
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_SECONDS:
            await self.prune_processed()
        seen = sum(len(records) for records in batches.values())
        behind: int | None = 0
        ends = await self._ends_not_fetched()
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                highwater = ends.get(tp)
            if highwater is None:  # neither fetched nor listed yet: how far behind is not known
                behind = None
                continue
            lag = max(0, highwater - await self._consumer.position(tp))
            self._metrics.lag(tp, lag)
            behind = None if behind is None else behind + lag
        self.lag = behind
        return seen

    async def _ends_not_fetched(self) -> dict[TopicPartition, int]:
        """The end offsets of assigned partitions no fetch has answered for (listed at most once a second).

        A partition without new records may get no fetch answer for a long time (an empty topic: for ever), and its lag
        would stay unknown: the KPI's figures then waited as if a replay were running.
        """
        assert self._consumer is not None
        unknown = [tp for tp in self._consumer.assignment() if self._consumer.highwater(tp) is None]
        if not unknown:
            self._listed_ends = {}
            return {}
        if time.monotonic() - self._ends_listed_at >= 1.0 or any(tp not in self._listed_ends for tp in unknown):
            try:
                self._listed_ends = await self._consumer.end_offsets(unknown)
            except Exception as exc:  # noqa: BLE001 - the lag stays unknown until the next try
                log.debug("listing end offsets failed: %s", exc)
            self._ends_listed_at = time.monotonic()
        return self._listed_ends

    async def prune_processed(self) -> int:
        """Forget the ids of events applied longer ago than the retention; returns how many were forgotten."""
        self._pruned_at = time.monotonic()
        table = self._tables.processed_event
        cutoff = utcnow() - self._processed_retention
        async with self.batch_lock, self._engine.begin() as conn:
            result = await conn.execute(delete(table).where(table.c.consumer == self.group_id, table.c.processed_at < cutoff))
        return int(result.rowcount or 0)

    def forget_partition(self, tp: TopicPartition) -> None:
        """Stop reporting a partition this member lost in a rebalance."""
        self._metrics.forget(tp)

    async def seek_to_stored(self, partitions: list[TopicPartition]) -> None:
        """Position each partition at the offset stored with the projection (nothing when the consumer stops meanwhile)."""
        consumer = self._consumer
        if consumer is None:
            return
        offsets = await self._stored_offsets()
        # A partition never stored starts at its beginning offset, sought explicitly: seek_to_beginning only asks for a
        # reset that aiokafka applies later, after records may already have been fetched, processed and stored.
        unseen = [tp for tp in partitions if (tp.topic, tp.partition) not in offsets]
        beginnings = await consumer.beginning_offsets(unseen) if unseen else {}
        if self._consumer is not consumer:  # stopped while the offsets were read: its partitions are gone with it
            return
        for tp in partitions:
            stored = offsets.get((tp.topic, tp.partition))
            consumer.seek(tp, beginnings[tp] if stored is None else stored)

    async def _process(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Every partition batch of one poll in one transaction: each committed with its offset, then Kafka's commit."""
        try:
            outcomes = await self.apply(batches)
        except (OperationalError, InterfaceError):
            # The DB, not the event, failed: go back to the stored offsets and try again.
            await self.seek_to_stored(list(batches))
            raise
        for topic, outcome in outcomes.items():
            self._metrics.count(topic, "applied", outcome.applied)
            self._metrics.count(topic, "duplicate", outcome.duplicate)
            self._metrics.count(topic, "ignored", outcome.ignored)
            self._metrics.count(topic, "dead_lettered", outcome.dead)
        assert self._consumer is not None
        try:
            await self._consumer.commit({tp: records[-1].offset + 1 for tp, records in batches.items()})
        except Exception as exc:  # noqa: BLE001 - the DB offset is the truth; Kafka's is for lag tools
            log.info("kafka offset commit failed (DB offset kept): %s", exc)

    async def apply(self, batches: dict[TopicPartition, list[ConsumerRecord]], *, track: bool = True,
                    dead_letter: bool = True, seen: set[str] | None = None) -> dict[str, Outcome]:
        """Apply partition batches in one transaction, as the live consumer applies a poll (a rebuild goes through here).

        `track`: store the processed ids and each partition's next offset with them (a partial rebuild does not);
        `dead_letter`: send what cannot be applied to the group's dead-letter topic (else it is only logged and counted);
        `seen`: ids applied earlier without being stored (a replay's own duplicates), also skipped, and added to.
        """
        dead: list[tuple[ConsumerRecord, str]] = []
        outcomes = {tp.topic: Outcome() for tp in batches}
        every_record = [record for records in batches.values() for record in records]
        async with self.batch_lock, AsyncSession(self._engine, expire_on_commit=False) as session:
            try:
                async with session.begin():
                    await self._lock_keys(session, every_record)
                    await self._apply_all(session, every_record, dead, outcomes, track=track, seen=seen)
                    if track:
                        for tp, records in batches.items():
                            await self._store_offset(session, tp, records[-1].offset + 1)
                    if dead_letter:
                        await self._dead_letter(dead)
                    else:
                        for record, reason in dead:
                            log.warning("skipping %s[%s]@%s: %s", record.topic, record.partition, record.offset, reason)
            except BaseException:
                if self._rolled_back is not None:
                    self._rolled_back()
                raise
            if self._committed is not None:
                self._committed()
            if self._after_db_commit is not None:
                self._after_db_commit()
            _stop_if_asked(every_record)
        return outcomes

    async def _lock_keys(self, session: AsyncSession, records: list[ConsumerRecord]) -> None:
        """On PostgreSQL, hold a lock per record key (a site) for the group until this transaction ends.

        Members of a group own different partitions, but one site's events come on several topics, so two members can
        apply batches of one site at the same time; a handler that reads a row and writes it back would then lose one
        of the two writes (READ COMMITTED). Taken before any read, in one order: the later batch waits, then reads what
        the earlier committed, and no two batches deadlock. SQLite needs none: it runs one write transaction at a time.
        """
        if session.bind.dialect.name != "postgresql":
            return
        keys = sorted({_lock_id(self.group_id, record.key) for record in records})
        await session.execute(text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"), {"keys": keys})

    async def _apply_all(
        self, session: AsyncSession, records: list[ConsumerRecord], dead: list[tuple[ConsumerRecord, str]],
        outcomes: dict[str, Outcome], *, track: bool = True, seen: set[str] | None = None,
    ) -> None:
        # Each partition's records in their order; partitions one after another (no order holds between them anyway).
        parsed: list[tuple[ConsumerRecord, CloudEvent]] = []
        for record in records:
            try:
                parsed.append((record, CloudEvent.from_record(record.headers, record.value)))
            except MalformedEvent as exc:
                dead.append((record, f"malformed: {exc}"))
        done = await self._already_processed(session, [ce.id for _, ce in parsed])
        if seen is not None:
            done.update(ce.id for _, ce in parsed if ce.id in seen)
        fresh: list[tuple[ConsumerRecord, CloudEvent]] = []
        for record, cloud_event in parsed:
            if cloud_event.id in done:
                outcomes[record.topic].duplicate += 1
                continue
            done.add(cloud_event.id)
            fresh.append((record, cloud_event))
        ready: list[tuple[ConsumerRecord, CloudEvent, Event]] = []
        for record, cloud_event in fresh:
            event_class = self._registry.get(cloud_event.type)
            if event_class is None:
                outcomes[record.topic].ignored += 1
                continue
            try:
                ready.append((record, cloud_event, event_class.model_validate(cloud_event.data)))
            except ValidationError as exc:
                dead.append((record, f"invalid data for {cloud_event.type}: {exc.errors(include_url=False)}"))
        if self._handle_batch is not None and len(ready) > 1 and await self._apply_batch(session, ready):
            for record, _, _ in ready:
                outcomes[record.topic].applied += 1
        else:
            for record, cloud_event, event in ready:
                reason = await self._apply_one(session, cloud_event, event)
                if reason is None:
                    outcomes[record.topic].applied += 1
                else:
                    dead.append((record, reason))
        # A dead-lettered event is not recorded as processed: re-driven after a fix (shared/redrive.py), it is applied.
        refused = {id(record) for record, _ in dead}
        processed = [cloud_event.id for record, cloud_event in fresh if id(record) not in refused]
        if seen is not None:
            seen.update(processed)
        if processed and track:
            now = utcnow()
            await session.execute(self._tables.processed_event.insert(), [
                {"consumer": self.group_id, "event_id": event_id, "processed_at": now} for event_id in processed])
        for record, _ in dead:
            outcomes[record.topic].dead += 1

    async def _apply_batch(self, session: AsyncSession, ready: list[tuple[ConsumerRecord, CloudEvent, Event]]) -> bool:
        """All events through the batch handler in one savepoint; False (nothing applied) if that fails."""
        assert self._handle_batch is not None
        handle_batch = self._handle_batch
        items = [(cloud_event, event) for _, cloud_event, event in ready]
        try:
            await self._in_savepoint(session, lambda: handle_batch(session, items))
        except DBAPIError as exc:
            if database_down(exc):
                raise
            log.warning("batch of %d events refused (%s: %s); applying them one by one", len(items), type(exc.orig).__name__, exc.orig)
            return False
        except Exception as exc:  # noqa: BLE001 - one event of the batch is bad: find it, one by one
            log.warning("batch of %d events failed (%s: %s); applying them one by one", len(items), type(exc).__name__, exc)
            return False
        return True

    async def _apply_one(self, session: AsyncSession, cloud_event: CloudEvent, event: Event) -> str | None:
        """One event in its own savepoint; the reason to dead-letter it, or None when it applied."""
        handle_batch = self._handle_batch
        if handle_batch is None:
            call = lambda: self._handle(session, cloud_event, event)  # noqa: E731
        else:
            call = lambda: handle_batch(session, [(cloud_event, event)])  # noqa: E731
        token = event_id_var.set(cloud_event.id)
        try:
            await self._in_savepoint(session, call)
        except DBAPIError as exc:
            if database_down(exc):
                raise
            log.exception("handler's write refused for event %s", cloud_event.id)
            return f"handler failed: {type(exc.orig).__name__}: {exc.orig}"
        except Exception as exc:  # noqa: BLE001 - a handler bug must not stop the partition
            log.exception("handler failed for event %s", cloud_event.id)
            return f"handler failed: {type(exc).__name__}: {exc}"
        finally:
            event_id_var.reset(token)
        return None

    @staticmethod
    async def _in_savepoint(session: AsyncSession, call: Callable[[], Awaitable[None]]) -> None:
        try:
            async with session.begin_nested():
                await call()
        except BaseException:
            session.info.pop("outbox_site_locks", None)  # a rolled-back savepoint released them
            raise

    async def _already_processed(self, session: AsyncSession, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        table = self._tables.processed_event
        statement = select(table.c.event_id).where(table.c.consumer == self.group_id, table.c.event_id.in_(ids))
        return set((await session.execute(statement)).scalars())

    async def _store_offset(self, session: AsyncSession, tp: TopicPartition, next_offset: int) -> None:
        table = self._tables.consumer_offset
        insert = sqlite_insert if session.bind.dialect.name == "sqlite" else pg_insert
        await session.execute(
            insert(table)
            .values(consumer=self.group_id, topic=tp.topic, partition=tp.partition, next_offset=next_offset)
            .on_conflict_do_update(
                index_elements=[table.c.consumer, table.c.topic, table.c.partition], set_={"next_offset": next_offset}
            )
        )

    async def _stored_offsets(self) -> dict[tuple[str, int], int]:
        table = self._tables.consumer_offset
        statement = select(table.c.topic, table.c.partition, table.c.next_offset).where(table.c.consumer == self.group_id)
        async with self._engine.connect() as connection:
            return {(t, p): o for t, p, o in await connection.execute(statement)}

    async def _dead_letter(self, dead: list[tuple[ConsumerRecord, str]]) -> None:
        if not dead:
            return
        assert self._producer is not None
        futures = []
        for record, reason in dead:
            log.error("dead-lettering %s[%s]@%s: %s", record.topic, record.partition, record.offset, reason)
            headers = list(record.headers or ()) + [
                ("dlq_reason", reason.encode()[:4000]),
                ("dlq_topic", record.topic.encode()),
                ("dlq_partition", str(record.partition).encode()),
                ("dlq_offset", str(record.offset).encode()),
                ("dlq_consumer", self.group_id.encode()),
            ]
            futures.append(
                await self._producer.send(dead_letter_topic(self.group_id), value=record.value, key=record.key, headers=headers)
            )
        await asyncio.gather(*futures)

    async def _start(self) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, enable_idempotence=True, acks="all")
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=5000,
            # By range: with equal partition counts, partition i of every topic goes to one member, so all of a site's
            # events (keyed by site) reach the same member whatever topic carries them.
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        self._consumer.subscribe(self._topics, listener=_SeekToStoredOffsets(self))
        await self._consumer.start()
        self.connected = True

    async def _close(self) -> None:
        consumer, self._consumer = self._consumer, None
        producer, self._producer = self._producer, None
        for client in (consumer, producer):
            if client is not None:
                try:
                    await asyncio.wait_for(client.stop(), timeout=10)
                except Exception as exc:  # noqa: BLE001 - closing a broken client may fail; nothing to save
                    log.debug("closing kafka client: %s", exc)

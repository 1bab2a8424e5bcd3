"""Rebuild every projection by replaying the topics from offset 0 into fresh tables.

Run it with the service stopped (or into another database with --database-url, then point the
service at it). A full rebuild stores the processed events and partition offsets exactly as the
live consumer would, so the service carries on from where the replay ended.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from tqdm import tqdm

from services.kpi.db import PROJECTION_TABLES, infra
from services.kpi.handlers import PROJECTIONS, project_batch
from services.kpi.settings import KpiSettings
from shared.cloudevents import CloudEvent, MalformedEvent
from shared.contracts.base import Event, EventRegistry
from shared.db import create_engine
from shared.kafka_admin import ensure_topics
from shared.migrations import upgrade_to_head
from shared.outbox import utcnow

log = logging.getLogger("pitwall.kpi.rebuild")


@dataclass
class RebuildCount:
    """What the replay did with each record."""

    records: int = 0
    applied: int = 0
    duplicates: int = 0
    skipped: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (f"replayed {self.records} events: applied {self.applied}, duplicates {self.duplicates}, "
                f"other sites skipped {self.skipped}, failed {self.failed}")


async def _clear(engine: AsyncEngine, group: str, sites: set[str] | None) -> None:
    async with engine.begin() as conn:
        for model in PROJECTION_TABLES:
            table = model.__table__  # type: ignore[attr-defined]
            await conn.execute(delete(table) if sites is None else delete(table).where(table.c.site_id.in_(sorted(sites))))
        if sites is None:
            await conn.execute(delete(infra.processed_event).where(infra.processed_event.c.consumer == group))
            await conn.execute(delete(infra.consumer_offset).where(infra.consumer_offset.c.consumer == group))


async def rebuild(settings: KpiSettings, *, database_url: str | None = None, sites: set[str] | None = None,
                  progress: bool = True) -> RebuildCount:
    """Replay every topic from the beginning into fresh tables; `sites` limits it to some sites (no offsets kept)."""
    registry = EventRegistry()
    registry.register(*PROJECTIONS)
    topics = sorted({cls.topic for cls in PROJECTIONS})
    group = settings.resolved_consumer_group()
    engine = create_engine(database_url or settings.resolved_database_url())
    count = RebuildCount()
    try:
        await upgrade_to_head(engine, "kpi")
        await _clear(engine, group, sites)
        await ensure_topics(settings.kafka_bootstrap, topics)
        consumer = AIOKafkaConsumer(*topics, bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        try:
            partitions = sorted(consumer.assignment())
            await consumer.seek_to_beginning(*partitions)
            begin = await consumer.beginning_offsets(partitions)
            end = await consumer.end_offsets(partitions)
            seen: set[str] = set()
            with tqdm(total=sum(end[tp] - begin[tp] for tp in partitions), unit="event", desc="rebuild kpi",
                      disable=not progress) as bar:
                remaining = {tp for tp in partitions if end[tp] > begin[tp]}
                while remaining:
                    batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=1000)
                    for tp, records in batches.items():
                        records = [r for r in records if r.offset < end[tp]]
                        if records:
                            await _apply(engine, registry, group, tp, records, seen, sites, count)
                            bar.update(len(records))
                        if not records or records[-1].offset + 1 >= end[tp]:
                            remaining.discard(tp)
        finally:
            await consumer.stop()
    finally:
        await engine.dispose()
    return count


async def _apply(engine: AsyncEngine, registry: EventRegistry, group: str, tp: TopicPartition, records: list,
                 seen: set[str], sites: set[str] | None, count: RebuildCount) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        ready: list[tuple[Any, Event, int, str]] = []  # with its ce_sequence and id
        processed: list[str] = []
        failed: set[str] = set()  # not recorded as processed: a re-drive after a fix applies them
        for record in records:
            count.records += 1
            site = dict(record.headers or ()).get("ce_siteid", b"").decode()
            if sites is not None and site not in sites:
                count.skipped += 1
                continue
            try:
                cloud_event = CloudEvent.from_record(record.headers, record.value)
                event_class = registry.get(cloud_event.type)
                if cloud_event.id in seen:
                    count.duplicates += 1
                    continue
                seen.add(cloud_event.id)
                if event_class is not None:
                    ready.append((record, event_class.model_validate(cloud_event.data), cloud_event.sequence, cloud_event.id))
                processed.append(cloud_event.id)
            except (MalformedEvent, ValidationError) as exc:
                _skip(count, record, exc)
        try:
            async with session.begin_nested():
                await project_batch(session, [event for _, event, _, _ in ready], [sequence for _, _, sequence, _ in ready])
            count.applied += len(ready)
        except (OperationalError, InterfaceError):
            raise  # the database, not an event: the rebuild stops
        except Exception:  # noqa: BLE001 - one bad event: find it, one by one
            for record, event, sequence, event_id in ready:
                try:
                    async with session.begin_nested():
                        await project_batch(session, [event], [sequence])
                    count.applied += 1
                except (OperationalError, InterfaceError):
                    raise
                except Exception as exc:  # noqa: BLE001 - skipped and counted, as the live consumer dead-letters it
                    failed.add(event_id)
                    _skip(count, record, exc)
        rows = [{"consumer": group, "event_id": event_id, "processed_at": utcnow()} for event_id in processed if event_id not in failed]
        if sites is None and rows:
            await session.execute(infra.processed_event.insert(), rows)
        if sites is None:
            table = infra.consumer_offset
            await session.execute(delete(table).where(table.c.consumer == group, table.c.topic == tp.topic,
                                                      table.c.partition == tp.partition))
            await session.execute(table.insert().values(consumer=group, topic=tp.topic, partition=tp.partition,
                                                        next_offset=records[-1].offset + 1))


def _skip(count: RebuildCount, record: Any, exc: Exception) -> None:
    count.failed += 1
    log.warning("skipping %s[%s]@%s: %s", record.topic, record.partition, record.offset, exc)

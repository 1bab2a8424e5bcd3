"""Rebuild every projection by replaying the topics from offset 0 into fresh tables.

Run it with the service stopped (or into another database with --database-url, then point the
service at it). The records go through the live consumer's own apply path (ConsumerRunner.apply with
the kpi's batch handler), so a full rebuild stores the processed events and partition offsets exactly
as the live consumer would, and the service carries on from where the replay ended.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from prometheus_client import CollectorRegistry
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from services.kpi.db import PROJECTION_TABLES, infra
from services.kpi.handlers import PROJECTIONS, batch_handler, changes_of
from services.kpi.settings import KpiSettings
from services.kpi.state.live import LiveState
from shared.consumer import ConsumerMetrics, ConsumerRunner
from shared.contracts.base import EventRegistry
from shared.db import create_engine
from shared.kafka_admin import ensure_topics
from shared.migrations import upgrade_to_head

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


def applier(engine: AsyncEngine, group: str) -> ConsumerRunner:
    """The live consumer's apply path (rows in memory, written behind) on this engine, for a replay of the topics."""
    registry = EventRegistry()
    registry.register(*PROJECTIONS)
    topics = sorted({cls.topic for cls in PROJECTIONS})
    runner = ConsumerRunner(engine, infra, group_id=group, topics=topics, bootstrap="", registry=registry,
                            handle=_one_by_one_is_the_batch_handlers, metrics=ConsumerMetrics(CollectorRegistry(), group))
    live = LiveState(changes_of)
    runner.use_batch_handler(batch_handler(live), committed=live.committed, rolled_back=live.rolled_back)
    return runner


async def _one_by_one_is_the_batch_handlers(*_: Any) -> None:
    raise AssertionError("with a batch handler, one event at a time also goes through it")


async def rebuild(settings: KpiSettings, *, database_url: str | None = None, sites: set[str] | None = None,
                  progress: bool = True) -> RebuildCount:
    """Replay every topic from the beginning into fresh tables; `sites` limits it to some sites (no offsets kept)."""
    topics = sorted({cls.topic for cls in PROJECTIONS})
    group = settings.resolved_consumer_group()
    engine = create_engine(database_url or settings.resolved_database_url())
    count = RebuildCount()
    try:
        await upgrade_to_head(engine, "kpi")
        await _clear(engine, group, sites)
        await ensure_topics(settings.kafka_bootstrap, topics)
        runner = applier(engine, group)
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
                    fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=1000)
                    batches = {}
                    for tp, records in fetched.items():
                        records = [r for r in records if r.offset < end[tp]]
                        if records:
                            batches[tp] = records
                            bar.update(len(records))
                        if not records or records[-1].offset + 1 >= end[tp]:
                            remaining.discard(tp)
                    if batches:
                        await apply(runner, batches, seen, sites, count)
        finally:
            await consumer.stop()
    finally:
        await engine.dispose()
    return count


async def apply(runner: ConsumerRunner, batches: dict[TopicPartition, list[ConsumerRecord]], seen: set[str],
                sites: set[str] | None, count: RebuildCount) -> None:
    """Apply a fetch of the replay through the live path; a partial rebuild keeps neither offsets nor processed ids."""
    chosen = {}
    for tp, records in batches.items():
        count.records += len(records)
        kept = [r for r in records if sites is None or dict(r.headers or ()).get("ce_siteid", b"").decode() in sites]
        count.skipped += len(records) - len(kept)
        if kept:
            chosen[tp] = kept
    if not chosen:
        return
    # Skipped, as the live consumer dead-letters them, and not recorded as processed: a re-drive after a fix applies them.
    for outcome in (await runner.apply(chosen, track=sites is None, dead_letter=False, seen=seen)).values():
        count.applied += outcome.applied
        count.duplicates += outcome.duplicate
        count.failed += outcome.dead

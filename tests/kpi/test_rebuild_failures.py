"""A rebuild skips what it cannot apply without recording it as processed: re-driven after a fix, it is applied."""

from __future__ import annotations

from pathlib import Path

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import select

from services.kpi import rebuild
from services.kpi.db import infra
from shared.cloudevents import CloudEvent
from shared.db import create_engine
from shared.migrations import upgrade_to_head
from tests.kit import new_site
from tests.kpi.day import Day
from tests.kpi.support import evening_zone, wrap
from tests.kpi.test_poison import poison

GROUP = "kpi-rebuild-test"


def records(tp: TopicPartition, events: list[CloudEvent]) -> list[ConsumerRecord]:
    """The events as the rebuild's consumer hands them over."""
    return [ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, e.key(), e.value(), None, 0, 0, e.to_headers())
            for offset, e in enumerate(events)]


async def test_an_event_the_rebuild_could_not_apply_is_not_marked_processed(tmp_path: Path) -> None:
    site = new_site()
    tz, day_date = evening_zone()
    day = Day(site, tz, day_date)
    good = wrap(day.events())[:10]
    bad = poison(site, day)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/kpi.db")
    await upgrade_to_head(engine, "kpi")
    count = rebuild.RebuildCount()
    try:
        tp = TopicPartition("pitwall.reception.v1", 0)
        await rebuild.apply(rebuild.applier(engine, GROUP), {tp: records(tp, [*good, bad])}, set(), None, count)
        async with engine.connect() as conn:
            table = infra.processed_event
            processed = set((await conn.execute(select(table.c.event_id).where(table.c.consumer == GROUP))).scalars())
    finally:
        await engine.dispose()
    assert (count.applied, count.failed) == (10, 1)
    assert processed == {e.id for e in good}  # the poison event is left for a re-drive

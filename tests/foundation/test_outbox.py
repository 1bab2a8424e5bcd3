"""The transactional outbox on a real Kafka broker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.outbox import OutboxRelay, utcnow
from tests.foundation import sample
from tests.kit import EventTap, auth, caught_up, eventually, new_site, running
from tools.localkafka import LocalKafka
from tools.ports import free_port


def settings(database_url: str, bootstrap: str, **overrides: object) -> sample.SampleSettings:
    return sample.SampleSettings(
        database_url=database_url, kafka_bootstrap=bootstrap, consumer_group=f"g-{uuid.uuid4().hex[:8]}", **overrides
    )


async def test_rolled_back_transaction_publishes_nothing(database_url: str, kafka: str) -> None:
    site = new_site()
    app = sample.create_app(settings(database_url, kafka), consume=False)
    async with running(app), EventTap(kafka, [sample.TOPIC], [site]) as tap:
        runtime = app.state.runtime
        async with runtime.unit_of_work() as uow:
            await sample.write_note(uow, site, "rolled back", utcnow())
            await uow.rollback()
        async with runtime.unit_of_work() as uow:
            await sample.write_note(uow, site, "committed", utcnow())
            await uow.commit()
        await tap.wait_for(sample.NoteWritten, 1)
        await asyncio.sleep(0)  # let anything queued behind it be read
        assert [e.data["text"] for e in tap.events] == ["committed"]


async def test_committed_events_arrive_once_each_in_order_per_site(database_url: str, kafka: str) -> None:
    sites = [new_site(), new_site()]
    app = sample.create_app(settings(database_url, kafka), consume=False)
    async with running(app) as client, EventTap(kafka, [sample.TOPIC], sites) as tap:
        for i in range(30):
            site = sites[i % 2]
            response = await client.post(f"/sites/{site}/notes", json={"text": f"n{i}"}, headers=auth(["advisor"], sites))
            assert response.status_code == 201
        await tap.wait_for(sample.NoteWritten, 30)
        assert len({e.id for e in tap.events}) == 30
        for site in sites:
            texts = [e.data["text"] for e in tap.events if e.site_id == site]
            assert texts == [f"n{i}" for i in range(30) if sites[i % 2] == site]
        headers = tap.events[0]
        assert headers.source == f"/pitwall/sample/sites/{headers.site_id}"
        assert headers.subject.startswith("note/") and headers.sequence == 1


async def test_broker_outage_loses_nothing_and_keeps_order(database_url: str, tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    broker.ensure_jars()
    broker.start()
    site = new_site()
    app = sample.create_app(settings(database_url, broker.bootstrap, relay_poll_seconds=0.2), consume=False)
    try:
        async with running(app) as client:
            headers = auth(["advisor"], [site])
            for i in range(10):
                assert (await client.post(f"/sites/{site}/notes", json={"text": f"n{i}"}, headers=headers)).status_code == 201
            await eventually(lambda: app.state.runtime.relay.connected)
            broker.stop()
            for i in range(10, 20):  # the API keeps answering while Kafka is down
                assert (await client.post(f"/sites/{site}/notes", json={"text": f"n{i}"}, headers=headers)).status_code == 201
            broker.start()
            async with EventTap(broker.bootstrap, [sample.TOPIC], [site]) as tap:
                await tap.wait_for(sample.NoteWritten, 20, timeout=60)
                texts = [e.data["text"] for e in tap.events]
                deduped = list(dict.fromkeys(texts))
                assert deduped == [f"n{i}" for i in range(20)]
    finally:
        broker.stop()


class _CrashBeforeMark(OutboxRelay):
    """A relay that dies after Kafka acknowledged the batch and before the rows are marked sent."""

    async def mark_sent(self, ids: list[int]) -> None:
        raise asyncio.CancelledError("killed between send and mark")


async def test_relay_killed_between_send_and_mark_finds_its_rows_on_the_topic_and_sends_nothing_twice(
    database_url: str, kafka: str,
) -> None:
    site = new_site()
    app = sample.create_app(settings(database_url, kafka, run_relay=False), consume=True)
    async with running(app), EventTap(kafka, [sample.TOPIC], [site]) as tap:
        runtime = app.state.runtime
        for i in range(5):
            async with runtime.unit_of_work() as uow:
                await sample.write_note(uow, site, f"n{i}", utcnow())
                await uow.commit()
        crashing = _CrashBeforeMark(runtime.engine, runtime.infra, kafka, runtime.relay._metrics)
        with pytest.raises(asyncio.CancelledError):
            await crashing.relay_once()
        await crashing.stop()
        assert await runtime.relay.relay_once() == 0  # the restarted relay reads them back from the topic: sent already
        async with runtime.unit_of_work() as uow:
            await sample.write_note(uow, site, "n5", utcnow())
            await uow.commit()
        assert await runtime.relay.relay_once() == 1
        await tap.wait_for(sample.NoteWritten, 6)
        assert Counter(e.id for e in tap.events) == {e.id: 1 for e in tap.events}
        assert [e.data["text"] for e in tap.events] == [f"n{i}" for i in range(6)]
        async with runtime.engine.connect() as connection:
            unsent = (await connection.execute(select(runtime.infra.outbox.c.id).where(
                runtime.infra.outbox.c.sent_at.is_(None)))).all()
        assert unsent == []

        await eventually(lambda: caught_up(runtime, kafka), timeout=30)
        async with runtime.engine.connect() as connection:
            applied = (await connection.execute(
                select(sample.applied.c.text).where(sample.applied.c.site_id == site))).scalars().all()
        assert sorted(applied) == [f"n{i}" for i in range(6)]

"""The consumer runner on a real Kafka broker: dedupe, crash safety, dead letters."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import select

from shared.consumer import dead_letter_topic
from shared.outbox import utcnow
from tests.foundation import sample
from tests.kit import as_cloud_event, caught_up, eventually, new_site, running


def settings(database_url: str, bootstrap: str, group: str | None = None, **overrides: object) -> sample.SampleSettings:
    return sample.SampleSettings(
        database_url=database_url, kafka_bootstrap=bootstrap, consumer_group=group or f"g-{uuid.uuid4().hex[:8]}",
        run_relay=False, **overrides,
    )


def note(site: str, text: str) -> sample.NoteWritten:
    return sample.NoteWritten(site_id=site, occurred_at=utcnow(), note_id=uuid.uuid4().hex, text=text)


async def send_raw(bootstrap: str, records: list[tuple[bytes | None, list[tuple[str, bytes]], bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for value, headers, key in records:
            await producer.send_and_wait(sample.TOPIC, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def send_events(bootstrap: str, *cloud_events: object) -> None:
    await send_raw(bootstrap, [(ce.value(), ce.to_headers(), ce.key()) for ce in cloud_events])  # type: ignore[attr-defined]


async def applied_texts(app: object, site: str) -> list[str]:
    runtime = app.state.runtime  # type: ignore[attr-defined]
    async with runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(sample.applied.c.text).where(sample.applied.c.site_id == site).order_by(sample.applied.c.id)
        )
        return list(rows.scalars())


async def test_the_same_event_delivered_twice_is_applied_once(database_url: str, kafka: str) -> None:
    site = new_site()
    once = as_cloud_event(note(site, "once"))
    await send_events(kafka, once, once, as_cloud_event(note(site, "after")), once)
    app = sample.create_app(settings(database_url, kafka))
    async with running(app):
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=30)
        assert await applied_texts(app, site) == ["once", "after"]


class _Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the runner catches it."""


async def test_killed_after_db_commit_before_offset_commit_applies_nothing_twice(tmp_path: object, kafka: str) -> None:
    site = new_site()
    database_url = f"sqlite+aiosqlite:///{tmp_path}/consumer.db"
    group = f"g-{uuid.uuid4().hex[:8]}"
    await send_events(kafka, *(as_cloud_event(note(site, f"n{i}")) for i in range(5)))

    first = sample.create_app(settings(database_url, kafka, group, run_consumer=False))
    runtime = first.state.runtime
    assert runtime.consumer is not None

    ours_applied = False

    async def apply_and_watch(uow: object, event: sample.NoteWritten) -> None:
        nonlocal ours_applied
        await sample.on_note_written(uow, event)  # type: ignore[arg-type]
        ours_applied = ours_applied or event.site_id == site

    def die() -> None:
        if ours_applied:
            raise _Killed()

    runtime._handlers[sample.NoteWritten] = apply_and_watch
    runtime.consumer._after_db_commit = die
    with pytest.raises(_Killed):
        async with running(first):
            await runtime.consumer._start()
            while True:  # the batch commits in the DB, then the process "dies" before Kafka's commit
                await runtime.consumer.poll_once()
    await runtime.consumer._close()
    assert len(await applied_texts(first, site)) > 0

    await send_events(kafka, as_cloud_event(note(site, "later")))
    second = sample.create_app(settings(database_url, kafka, group))
    async with running(second):
        await eventually(lambda: caught_up(second.state.runtime, kafka), timeout=30)
        assert await applied_texts(second, site) == ["n0", "n1", "n2", "n3", "n4", "later"]


async def test_malformed_and_failing_events_go_to_the_dead_letter_topic_and_the_partition_flows(tmp_path: object, kafka: str) -> None:
    site = new_site()
    group = f"g-{uuid.uuid4().hex[:8]}"
    good = as_cloud_event(note(site, "good"))
    boom = as_cloud_event(note(site, "boom"))
    twice = as_cloud_event(note(site, "twice"))
    after = as_cloud_event(note(site, "after"))
    bad_headers = [("ce_specversion", b"1.0"), ("ce_id", b"x1"), ("ce_siteid", site.encode())]
    await send_raw(kafka, [
        (good.value(), good.to_headers(), site.encode()),
        (b"{not json", good.to_headers()[:1] + [("ce_id", b"bad-json")] + good.to_headers()[2:], site.encode()),
        (good.value(), bad_headers, site.encode()),
        (boom.value(), boom.to_headers(), site.encode()),
        (twice.value(), twice.to_headers(), site.encode()),
        (after.value(), after.to_headers(), site.encode()),
    ])
    app = sample.create_app(settings(f"sqlite+aiosqlite:///{tmp_path}/dlq.db", kafka, group))
    async with running(app):
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=30)
        assert await applied_texts(app, site) == ["good", "after"]

    reader = AIOKafkaConsumer(dead_letter_topic(group), bootstrap_servers=kafka, auto_offset_reset="earliest", enable_auto_commit=False)
    await reader.start()
    try:
        reasons: list[str] = []

        async def read() -> bool:
            batch = await reader.getmany(timeout_ms=500)
            for records in batch.values():
                reasons.extend(dict(r.headers)["dlq_reason"].decode() for r in records)
            return len(reasons) >= 4

        await eventually(read, timeout=20)
    finally:
        await reader.stop()
    assert any(r.startswith("malformed: data is not JSON") for r in reasons)
    assert any(r.startswith("malformed: missing headers: ce_source, ce_type, ce_time") for r in reasons)
    assert any("handler failed: ValueError: cannot apply a boom note" in r for r in reasons)
    assert any(r.startswith("handler failed: IntegrityError") for r in reasons)


async def test_ids_of_events_applied_longer_ago_than_the_retention_are_forgotten_and_recent_ones_kept(
    database_url: str, kafka: str,
) -> None:
    app = sample.create_app(settings(database_url, kafka))
    async with running(app):
        runtime = app.state.runtime
        table = runtime.consumer._tables.processed_event
        group = runtime.consumer.group_id
        now = utcnow()
        async with runtime.engine.begin() as connection:
            await connection.execute(table.insert(), [
                {"consumer": group, "event_id": "old", "processed_at": now - timedelta(days=31)},
                {"consumer": group, "event_id": "recent", "processed_at": now - timedelta(days=29)},
                {"consumer": "another-group", "event_id": "old", "processed_at": now - timedelta(days=31)},
            ])
        assert await runtime.consumer.prune_processed() == 1
        async with runtime.engine.connect() as connection:
            kept = set((await connection.execute(select(table.c.consumer, table.c.event_id))).all())
        assert kept == {(group, "recent"), ("another-group", "old")}


async def test_the_lag_is_known_though_some_partitions_never_had_a_record(database_url: str, kafka: str) -> None:
    site = new_site()  # one site: one partition of the topic gets its events, the others none, ever
    app = sample.create_app(settings(database_url, kafka))
    async with running(app):
        await send_events(kafka, as_cloud_event(note(site, "only")))
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=30)

        async def lag_is_zero() -> bool:
            return app.state.runtime.consumer.lag == 0  # None would keep the KPI's figures waiting as for a replay

        await eventually(lag_is_zero, timeout=30)

"""Helpers of the kpi tests that run on the real Kafka: app settings, where the consumer starts, sending events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI

from services.kpi.app import create_app
from services.kpi.db import infra
from services.kpi.handlers import PROJECTIONS
from services.kpi.settings import KpiSettings
from shared.cloudevents import CloudEvent
from shared.contracts.base import Event
from shared.db import create_engine
from shared.kafka_admin import ensure_topics
from shared.migrations import upgrade_to_head
from tests.kit import as_cloud_event, auth

TOPICS = sorted({cls.topic for cls in PROJECTIONS})
READ = ["manager", "foreman", "advisor"]


def kpi_settings(database_url: str, kafka: str, group: str | None = None, **overrides: object) -> KpiSettings:
    """Settings of a kpi app under test (its own consumer group)."""
    return KpiSettings(database_url=database_url, kafka_bootstrap=kafka, consumer_group=group or f"kpi-{uuid.uuid4().hex[:8]}",
                       run_relay=False, **overrides)


async def start_at_end_of_topics(settings: KpiSettings) -> None:
    """Migrate the DB and store the topics' current end offsets, so the consumer skips what other tests published.

    (A kpi service in production replays from offset 0; on the shared test broker that would mean every
    other test's events. The rebuild test does replay from 0.)
    """
    await ensure_topics(settings.kafka_bootstrap, TOPICS)
    engine = create_engine(settings.database_url)
    reader = AIOKafkaConsumer(*TOPICS, bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False)
    await reader.start()
    try:
        await upgrade_to_head(engine, "kpi")
        partitions = sorted(reader.assignment())
        assert {tp.topic for tp in partitions} == set(TOPICS)
        ends = await reader.end_offsets(partitions)
        async with engine.begin() as conn:
            for tp, end in ends.items():
                await conn.execute(infra.consumer_offset.insert().values(
                    consumer=settings.resolved_consumer_group(), topic=tp.topic, partition=tp.partition, next_offset=end))
    finally:
        await reader.stop()
        await engine.dispose()


def app_for(settings: KpiSettings) -> FastAPI:
    """The kpi app."""
    return create_app(settings)


async def send(kafka: str, cloud_events: list[CloudEvent]) -> None:
    """Send CloudEvents as they are (same ids: a redelivery is a true duplicate)."""
    await ensure_topics(kafka, TOPICS)
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for ce in cloud_events:
            topic = next(cls.topic for cls in PROJECTIONS if cls.type == ce.type)
            await producer.send(topic, ce.value(), key=ce.key(), headers=ce.to_headers())
        await producer.flush()
    finally:
        await producer.stop()


def wrap(events: list[Event]) -> list[CloudEvent]:
    """Events as the outbox relay would send them (one id each)."""
    return [as_cloud_event(e, sequence=i) for i, e in enumerate(events, start=1)]


def evening_zone() -> tuple[str, date]:
    """A fixed-offset zone where it is now between 20:00 and 21:00, and its local date (a scripted day is over)."""
    now = datetime.now(UTC)
    offset = (20 - now.hour) % 24
    if offset > 14:
        offset -= 24
    name = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    local = now.astimezone(ZoneInfo(name))
    assert 20 <= local.hour < 21, local
    return name, local.date()


async def area(client: httpx.AsyncClient, site: str, path: str, **params: str) -> dict:
    """A figures endpoint's answer (asserting 200)."""
    response = await client.get(f"/kpi/sites/{site}/{path}", params=params, headers=auth(READ, [site]))
    assert response.status_code == 200, response.text
    return response.json()


def by_name(answer: dict) -> dict[tuple[str, tuple], float | None]:
    """(name, sorted label items) → value of an area answer."""
    return {(f["name"], tuple(sorted(f["labels"].items()))): f["value"] for f in answer["figures"]}


def next_day(day: date) -> str:
    """The ISO date after a date."""
    return (day + timedelta(days=1)).isoformat()

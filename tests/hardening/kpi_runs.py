"""The kpi service under faults: its figures (REST and /metrics) in a comparable form, where its consumer stands, and
its processes on a private broker."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import murmur2
from aiokafka.structs import RecordMetadata
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kpi.db import infra
from services.kpi.handlers import PROJECTIONS
from services.kpi.settings import KpiSettings
from shared.cloudevents import CloudEvent
from shared.contracts import parts as p
from shared.contracts import workshop as w
from shared.consumer import dead_letter_topic
from shared.db import create_engine
from shared.kafka_admin import ensure_topics
from tests.hardening.apps import ServiceProcess
from tests.kit import eventually, new_site
from tests.kpi.checks import samples_of
from tests.kpi.day import Day
from tests.kpi.support import TOPICS, area, kpi_settings

AREAS = ("technicians", "bays", "waits", "wip", "money", "quality", "parts", "appointments")
# Read "now", not over a window: two reads a few seconds apart differ by those seconds.
NOW_DEPENDENT = {"pitwall_kpi_wip_oldest_age_seconds"}
PARTITIONS = 6  # this module's topics (ensure_topics makes 3 by default)
TOPIC_OF = {cls.type: cls.topic for cls in PROJECTIONS}


@dataclass(frozen=True)
class Figures:
    """A site's figures with its id taken out, so two sites fed the same day compare equal."""

    rest: dict[str, Any]
    metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _neutral(answer: Any, site: str) -> Any:
    return json.loads(json.dumps(answer).replace(site, "<site>"))


def metrics_of(text: str, site: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """A site's figures on a /metrics page, without the ones read "now"."""
    return {key: value for key, value in samples_of(text, site).items() if key[0] not in NOW_DEPENDENT}


async def figures_of(client: httpx.AsyncClient, site: str, day: Day) -> Figures:
    """Every REST area over the scripted day (a fixed window in the past) and the site's /metrics samples."""
    window = {"from": day.day.isoformat(), "to": day.at("19:00").isoformat()}
    rest = {path: _neutral(await area(client, site, path, **window), site) for path in AREAS}
    page = await client.get("/metrics", params={"site": site})
    assert page.status_code == 200, page.text
    return Figures(rest, metrics_of(page.text, site))


async def settled(client: httpx.AsyncClient, site: str, day: Day, wanted: Figures, timeout: float = 60) -> None:
    """The site's figures reach the wanted ones (/metrics is recomputed shortly after a commit), and stay equal."""

    async def equal() -> bool:
        return await figures_of(client, site, day) == wanted

    try:
        await eventually(equal, timeout=timeout, interval=0.3)
    finally:
        got = await figures_of(client, site, day)
        assert got.rest == wanted.rest
        assert got.metrics == wanted.metrics, diff(got.metrics, wanted.metrics)


def diff(got: dict[Any, float], wanted: dict[Any, float]) -> list[str]:
    """What differs between two sets of samples."""
    return [f"{key}: {got.get(key)} != {wanted.get(key)}" for key in sorted(set(got) | set(wanted), key=str)
            if got.get(key) != wanted.get(key)]


def combined(*pages: dict[Any, float]) -> dict[Any, float]:
    """Samples of several instances summed: each site is exported by the one instance that owns it, so a sum counts it
    once (and `max without (instance, job)`, as the recording rules keep them, gives the same)."""
    merged: dict[Any, float] = {}
    for page in pages:
        for key, value in page.items():
            merged[key] = merged.get(key, 0.0) + value
    return merged


async def exported_sites(url: str, sites: list[str]) -> set[str]:
    """Those of the sites whose figures the process exports on /metrics."""
    return {s.labels["site"] for family in text_string_to_metric_families(await scrape(url)) for s in family.samples
            if s.name.startswith("pitwall_kpi_") and s.labels.get("site") in sites}


# Every site's figures recomputed each second, month to date too (5 s and 10 s by default): the tests wait less for
# /metrics to show what the DB holds. Nothing else changes.
QUICK_METRICS = {"metrics_refresh_seconds": 1.0}


async def combined_settled(urls: list[str], site: str, day: Day, wanted: Figures, timeout: float = 60) -> None:
    """Several instances' /metrics, kept as the recording rules keep them, reach the wanted figures; each answers the
    wanted REST figures."""

    async def pages() -> dict[Any, float]:
        return combined(*[metrics_of(await scrape(url, site), site) for url in urls])

    async def equal() -> bool:
        return await pages() == wanted.metrics

    try:
        await eventually(equal, timeout=timeout, interval=0.3)
    finally:
        got = await pages()
        assert got == wanted.metrics, diff(got, wanted.metrics)
    for url in urls:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            assert (await figures_of(client, site, day)).rest == wanted.rest


def one_site_per_partition() -> list[str]:
    """New sites, the i-th of them on partition i of every topic."""
    found: dict[int, str] = {}
    while len(found) < PARTITIONS:
        site = new_site()
        found.setdefault(partition_of(site), site)
    return [found[p] for p in range(PARTITIONS)]


def settings_for(database_url: str, bootstrap: str, group: str | None = None, **overrides: Any) -> KpiSettings:
    """A kpi service's settings on a DB and broker, in a consumer group of its own (unless given)."""
    return kpi_settings(database_url, bootstrap, group or f"kpi-{uuid.uuid4().hex[:8]}", **{**QUICK_METRICS, **overrides})


def kpi_env(settings: KpiSettings) -> dict[str, str]:
    """The environment that gives a kpi process these settings' DB, broker, consumer group and refresh times."""
    return {
        "PITWALL_KPI_DATABASE_URL": settings.database_url, "PITWALL_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "PITWALL_KPI_CONSUMER_GROUP": settings.resolved_consumer_group(), "PITWALL_KPI_RUN_RELAY": "false",
        **{f"PITWALL_KPI_{name.upper()}": str(getattr(settings, name)) for name in QUICK_METRICS},
    }


def kpi_process(settings: KpiSettings, log: Path, **env: str) -> ServiceProcess:
    """`python -m services.kpi` on the settings' DB, broker, consumer group and refresh times."""
    return ServiceProcess("kpi", {**kpi_env(settings), **env}, log)


def carrying(variable: str, value: str) -> list[int]:
    """The processes whose environment sets this variable to this value (a process and what it started)."""
    wanted = f"{variable}={value}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if wanted in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def partition_of(site: str) -> int:
    """The partition of every topic a site's events go to (keyed by site id)."""
    return (murmur2(site.encode()) & 0x7FFFFFFF) % PARTITIONS


async def publish(bootstrap: str, cloud_events: list[CloudEvent]) -> list[RecordMetadata]:
    """Send CloudEvents as they are (same ids: a redelivery is a true duplicate), in this order; where each landed."""
    await ensure_topics(bootstrap, TOPICS, PARTITIONS)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        futures = [await producer.send(_topic(ce), ce.value(), key=ce.key(), headers=ce.to_headers()) for ce in cloud_events]
        return [await future for future in futures]
    finally:
        await producer.stop()


def _topic(cloud_event: CloudEvent) -> str:
    return TOPIC_OF[cloud_event.type]


async def stored_offsets(database_url: str, group: str) -> dict[TopicPartition, int]:
    """The offsets the consumer group stored with the projection, read from its DB as an operator would."""
    table = infra.consumer_offset
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(table.c.topic, table.c.partition, table.c.next_offset).where(table.c.consumer == group))
            return {TopicPartition(t, p): o for t, p, o in rows}
    finally:
        await engine.dispose()


async def processed_events(database_url: str, group: str) -> int:
    """How many event ids the group recorded as processed."""
    table = infra.processed_event
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).where(table.c.consumer == group))).scalar_one())
    finally:
        await engine.dispose()


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    """The end of every partition of the kpi's topics."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        return await reader.end_offsets([TopicPartition(t, p) for t in TOPICS for p in range(PARTITIONS)])
    finally:
        await reader.stop()


async def caught_up(database_url: str, group: str, bootstrap: str) -> bool:
    """Whether the group's stored offsets reach the end of every partition."""
    stored = await stored_offsets(database_url, group)
    return all(stored.get(tp, 0) >= end for tp, end in (await end_offsets(bootstrap)).items())


async def committed_in_kafka(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The offsets the group committed to Kafka (what lag tools read; not what the consumer resumes from)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()}
    finally:
        await admin.close()


async def dead_letters(bootstrap: str, group: str, site: str) -> list[dict[str, str]]:
    """The headers of a site's records on the group's dead-letter topic, oldest first per partition."""
    reader = AIOKafkaConsumer(dead_letter_topic(group), bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                              enable_auto_commit=False)
    await reader.start()
    try:
        found = []
        ends = await reader.end_offsets(list(reader.assignment()))
        while [tp for tp, end in ends.items() if await reader.position(tp) < end]:
            for records in (await reader.getmany(timeout_ms=500)).values():
                found += [{k: v.decode() for k, v in r.headers} for r in records]
        return [headers for headers in found if headers.get("ce_siteid") == site]
    finally:
        await reader.stop()


async def scrape(url: str, site: str | None = None) -> str:
    """A process's /metrics page (only this site's figures if given)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        page = await client.get("/metrics", params={"site": site} if site else None)
    assert page.status_code == 200, page.text
    return page.text


def consumed(text: str, outcome: str) -> float:
    """Events the process's consumer counted with this outcome, over every topic."""
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "pitwall_consumer_events_total" and s.labels.get("outcome") == outcome)


def owned_partitions(text: str) -> set[tuple[str, str]]:
    """The partitions the process's consumer holds (it reports a lag for each, and forgets one it loses)."""
    return {(s.labels["topic"], s.labels["partition"]) for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == "pitwall_consumer_lag_events"}

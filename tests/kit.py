"""Test helpers: run an app in-process, mint tokens, read events back from the real Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI

from shared.auth import mint_token
from shared.cloudevents import CloudEvent, MalformedEvent
from shared.contracts.base import Event
from shared.settings import DEV_JWT_SECRET


def new_site() -> str:
    """A site id no other test uses."""
    return f"site-{uuid.uuid4().hex[:10]}"


def token(roles: Iterable[str], sites: Iterable[str], subject: str = "tester") -> str:
    """A dev-secret token."""
    return mint_token(DEV_JWT_SECRET, subject, list(roles), list(sites))


def auth(roles: Iterable[str], sites: Iterable[str], subject: str = "tester") -> dict[str, str]:
    """Authorization headers for a dev-secret token."""
    return {"Authorization": f"Bearer {token(roles, sites, subject)}"}


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan (DB, relay, consumer) and give a client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def eventually(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Await `check()` (sync or async) until it returns something truthy; fail after the timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


async def caught_up(runtime: Any, bootstrap: str) -> bool:
    """Whether a service's consumer has stored offsets at the end of every partition of its topics."""
    consumer = runtime.consumer
    stored = await consumer._stored_offsets()
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        cluster = await reader._client.fetch_all_metadata()
        partitions = [
            TopicPartition(topic, p) for topic in consumer._topics for p in (cluster.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return False
        ends = await reader.end_offsets(partitions)
    finally:
        await reader.stop()
    return all(stored.get((tp.topic, tp.partition), 0) >= end for tp, end in ends.items())


class EventTap:
    """Reads one or more topics from the beginning and keeps the CloudEvents of chosen sites."""

    def __init__(self, bootstrap: str, topics: Iterable[str], sites: Iterable[str]) -> None:
        self._bootstrap = bootstrap
        self._topics = list(topics)
        self._sites = set(sites)
        self.events: list[CloudEvent] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> EventTap:
        self._consumer = AIOKafkaConsumer(
            *self._topics, bootstrap_servers=self._bootstrap, group_id=None,
            auto_offset_reset="earliest", enable_auto_commit=False, metadata_max_age_ms=1000,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None and self._consumer is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._consumer.stop()

    async def _read(self) -> None:
        assert self._consumer is not None
        async for record in self._consumer:
            try:
                cloud_event = CloudEvent.from_record(record.headers, record.value)
            except MalformedEvent:
                continue  # poison records other tests left on the topic
            if cloud_event.site_id in self._sites:
                self.events.append(cloud_event)

    def types(self) -> list[str]:
        """The types seen, in arrival order."""
        return [e.type for e in self.events]

    def of(self, event_class: type[Event]) -> list[CloudEvent]:
        """The events of one class."""
        return [e for e in self.events if e.type == event_class.type]

    async def wait_for(self, event_class: type[Event], count: int = 1, timeout: float = 20.0) -> list[CloudEvent]:
        """Wait until at least `count` events of the class arrived."""
        await eventually(lambda: len(self.of(event_class)) >= count, timeout)
        return self.of(event_class)


async def publish(bootstrap: str, *events: Event, source: str = "/pitwall/tests") -> list[CloudEvent]:
    """Publish events straight to their topics as a producing service would (for consumer tests)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    sent = []
    try:
        for sequence, event in enumerate(events, start=1):
            cloud_event = as_cloud_event(event, source=source, sequence=sequence)
            await producer.send_and_wait(event.topic, cloud_event.value(), key=cloud_event.key(), headers=cloud_event.to_headers())
            sent.append(cloud_event)
    finally:
        await producer.stop()
    return sent


def as_cloud_event(event: Event, *, source: str = "/pitwall/tests", sequence: int = 1, event_id: str | None = None) -> CloudEvent:
    """Wrap an event as the relay would."""
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=event.type,
        time=event.occurred_at,
        subject=f"{event.aggregate}/{event.aggregate_id()}",
        site_id=event.site_id,
        sequence=sequence,
        data=event.model_dump(mode="json"),
    )

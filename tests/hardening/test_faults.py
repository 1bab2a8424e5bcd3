"""Real processes killed with signals, and a broker outage, on a Kafka broker of this module's own: no event lost, none
applied twice, per-key order kept.

The producer under fault is the workshop service run as `python -m services.workshop` (a real OS process); the consumer
that must apply each event once is the parts service (in-process), which turns every `PartsRequested` into a request.
The kill points need no hook in the code; each is a state seen from outside before the signal is sent:

* after the DB commit, before sending: the process runs against a bootstrap nobody listens on, so what the API commits
  stays in the outbox; its backlog gauge shows every row, then SIGKILL.
* after sending, before marking sent (PostgreSQL): the test holds `LOCK TABLE outbox IN EXCLUSIVE MODE`, which lets the
  relay read its rows and send them but blocks its `UPDATE ... sent_at`; once the events are on Kafka and the rows are
  still unsent, SIGKILL. SQLite has no lock that stops the update but not the read, so this case runs on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from shared.cloudevents import CloudEvent
from shared.contracts import workshop as wc
from shared.db import create_engine
from tests.hardening import seeds
from tests.hardening.apps import ServiceProcess, create_from, free_port, from_now_on, settings_of, sqlite_url
from tests.hardening.brokers import private_broker
from tests.kit import EventTap, auth, caught_up, eventually, new_site, publish, running
from tools.localkafka import LocalKafka

OUTAGE_SECONDS = 35  # longer than the relay's 30 s send timeout: a send stuck in the outage fails and is retried
JOBS, REQUESTS_PER_JOB = 3, 2


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A broker of this module's own, so it can be stopped and nobody else's consumers see these events."""
    with private_broker(tmp_path_factory.mktemp("kafka")) as kafka:
        yield kafka


async def metric(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """The sum of a metric's samples matching the labels, from /metrics."""
    body = (await client.get("/metrics")).text
    return sum(sample.value for family in text_string_to_metric_families(body) for sample in family.samples
               if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()))


@dataclass
class Floor:
    """A site whose workshop runs as a real process on a DB that outlives each incarnation."""

    site: str
    database_url: str
    bootstrap: str
    logs: Path
    jobs: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    processes: list[ServiceProcess] = field(default_factory=list)

    @property
    def manager(self) -> dict[str, str]:
        """The service manager's token on the site."""
        return auth(["manager"], [self.site], subject="manager-chen")

    def start(self, bootstrap: str | None = None) -> ServiceProcess:
        """A new incarnation of the workshop process (against another bootstrap if given)."""
        process = ServiceProcess("workshop", {
            "PITWALL_WORKSHOP_DATABASE_URL": self.database_url, "PITWALL_KAFKA_BOOTSTRAP": bootstrap or self.bootstrap,
            "PITWALL_WORKSHOP_CONSUMER_GROUP": f"workshop-{self.site}", "PITWALL_RELAY_POLL_SECONDS": "0.2",
        }, self.logs / f"workshop-{len(self.processes)}.log")
        self.processes.append(process)
        process.start()
        return process

    async def backlog(self, process: ServiceProcess) -> float:
        """The process's outbox backlog gauge."""
        async with httpx.AsyncClient(base_url=process.url, timeout=10) as client:
            return await metric(client, "pitwall_outbox_backlog_events", service="workshop")

    async def publish_failures(self, process: ServiceProcess) -> float:
        """The process's count of failed outbox sends."""
        async with httpx.AsyncClient(base_url=process.url, timeout=10) as client:
            return await metric(client, "pitwall_outbox_publish_failures_total", service="workshop")

    async def request_parts(self, process: ServiceProcess) -> None:
        """Each job asks the counter for parts, one request after another; the answer must come at once."""
        async with httpx.AsyncClient(base_url=process.url, timeout=10) as client:
            for _ in range(REQUESTS_PER_JOB):
                for job in self.jobs:
                    started = time.monotonic()
                    response = await client.post(f"/jobs/{job}/parts-requests", headers=self.manager,
                                                 json={"lines": [{"part_number": "FLT-100", "quantity": "1"}]})
                    assert response.status_code == 201, response.text
                    assert time.monotonic() - started < 5, "the API stalled"
                    self.requested.append(response.json()["id"])

    def stop_all(self) -> None:
        """End every incarnation still running."""
        for process in self.processes:
            process.stop()


@contextlib.asynccontextmanager
async def floor(database_url: str, bootstrap: str, logs: Path) -> AsyncIterator[Floor]:
    """The workshop with an RO's approved jobs (from reception's events), everything it published sent; then stopped."""
    site = new_site()
    events, _, jobs = seeds.repair_order(site, [None] * JOBS)
    await publish(bootstrap, *events)
    found = Floor(site, database_url, bootstrap, logs, jobs=jobs)
    try:
        first = found.start()
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as client:
            async def queued() -> bool:
                answer = await client.get(f"/sites/{site}/jobs", headers=found.manager, params={"status": "queued"})
                return bool(answer.json()["total"] == JOBS)

            await eventually(queued, timeout=60)
        await eventually(lambda: _is_zero(found.backlog(first)), timeout=60)
        first.stop()
        yield found
    finally:
        found.stop_all()


async def unsent_rows(database_url: str) -> int:
    """Rows committed to the outbox and not yet marked sent, read from the service's own DB as an operator would."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))).scalar_one())
    finally:
        await engine.dispose()


async def _is_zero(value: Any) -> bool:
    return bool(await value == 0)


@contextlib.asynccontextmanager
async def parts_counter(tmp_path: Path, bootstrap: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The parts service consuming the workshop's events from now on (relay off: only its consumer matters here)."""
    settings = settings_of("parts", sqlite_url(tmp_path, "parts"), run_consumer=True, kafka_bootstrap=bootstrap,
                           consumer_group=f"parts-{uuid.uuid4().hex[:8]}", relay_poll_seconds=0.2)
    await from_now_on("parts", settings, [wc.TOPIC])
    app = create_from("parts", settings)
    async with running(app) as client:
        yield app, client


async def assert_exactly_once(place: Floor, tap: EventTap, app: FastAPI, client: httpx.AsyncClient) -> None:
    """Every request reached the topic and parts once, the topic keeps each job's events in order."""
    expected = len(place.requested)
    assert expected == JOBS * REQUESTS_PER_JOB
    await tap.wait_for(wc.PartsRequested, expected, timeout=60)
    await eventually(lambda: caught_up(app.state.runtime, place.bootstrap), timeout=60)
    headers = auth(["parts"], [place.site])
    for request_id in place.requested:
        response = await client.get(f"/parts-requests/{request_id}", headers=headers)
        assert response.status_code == 200, f"request {request_id} was lost: {response.text}"
    counted = Counter(event.id for event in tap.of(wc.PartsRequested))
    assert set(counted.values()) == {1}, counted
    assert_order_kept(tap.events, place.requested)
    await assert_applied_once(app, client)
    duplicates = await metric(client, "pitwall_consumer_events_total", topic=wc.TOPIC, outcome="duplicate")
    assert duplicates == 0


async def assert_applied_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Each PartsRequested the parts consumer applied made one request: a second application would add none."""
    applied = await metric(client, "pitwall_consumer_events_total", topic=wc.TOPIC, outcome="applied")
    async with app.state.runtime.engine.connect() as connection:
        made = (await connection.execute(text("SELECT count(*) FROM parts_request WHERE origin = 'workshop'"))).scalar_one()
    assert applied == made, f"parts applied {applied} PartsRequested events and made {made} requests"


def assert_order_kept(events: list[CloudEvent], requested: list[str]) -> None:
    """In the site's partition, each aggregate's events come 1, 2, 3… (first copies), and the requests in API order."""
    first: dict[str, CloudEvent] = {}
    for event in events:
        first.setdefault(event.id, event)
    sequences: dict[str, list[int]] = {}
    for event in first.values():
        sequences.setdefault(event.subject, []).append(event.sequence)
    assert all(seq == list(range(1, len(seq) + 1)) for seq in sequences.values()), sequences
    order = [e.data["request_id"] for e in first.values() if e.type == wc.PartsRequested.type]
    assert order == requested


async def test_a_relay_killed_after_the_commit_and_before_sending_sends_everything_once_restarted(
    broker: LocalKafka, tmp_path: Path, database_url: str,
) -> None:
    async with parts_counter(tmp_path, broker.bootstrap) as (app, client), \
            floor(database_url, broker.bootstrap, tmp_path) as place, \
            EventTap(broker.bootstrap, [wc.TOPIC], [place.site]) as tap:
        cut_off = place.start(bootstrap=f"127.0.0.1:{free_port()}")  # nothing listens: every row stays unsent
        await place.request_parts(cut_off)
        await eventually(lambda: _equals(place.backlog(cut_off), len(place.requested)), timeout=30)
        cut_off.kill(signal.SIGKILL)
        assert cut_off.wait() == -signal.SIGKILL
        assert tap.of(wc.PartsRequested) == []

        place.start()
        await assert_exactly_once(place, tap, app, client)


async def _equals(value: Any, expected: float) -> bool:
    return bool(await value == expected)


async def test_a_relay_killed_after_sending_and_before_marking_sent_finds_the_rows_on_the_topic_and_sends_none_twice(
    broker: LocalKafka, tmp_path: Path, pg_url: str,
) -> None:
    async with parts_counter(tmp_path, broker.bootstrap) as (app, client), \
            floor(pg_url, broker.bootstrap, tmp_path) as place, \
            EventTap(broker.bootstrap, [wc.TOPIC], [place.site]) as tap:
        cut_off = place.start(bootstrap=f"127.0.0.1:{free_port()}")
        await place.request_parts(cut_off)
        await eventually(lambda: _equals(place.backlog(cut_off), len(place.requested)), timeout=30)
        cut_off.stop()

        engine = create_engine(pg_url)
        try:
            async with engine.connect() as lock:
                await lock.execute(text("LOCK TABLE outbox IN EXCLUSIVE MODE"))  # reads pass, `UPDATE sent_at` waits
                sender = place.start()
                await tap.wait_for(wc.PartsRequested, len(place.requested), timeout=60)
                unsent = (await lock.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))).scalar_one()
                assert unsent == len(place.requested), "the kill point was missed: the rows were marked sent"
                sender.kill(signal.SIGKILL)
                assert sender.wait() == -signal.SIGKILL
                await lock.rollback()
        finally:
            await engine.dispose()

        place.start()
        await assert_exactly_once(place, tap, app, client)


async def test_a_broker_outage_during_traffic_queues_writes_and_every_backlog_drains(broker: LocalKafka, tmp_path: Path) -> None:
    async with parts_counter(tmp_path, broker.bootstrap) as (app, client), \
            floor(sqlite_url(tmp_path, "workshop"), broker.bootstrap, tmp_path) as place, \
            EventTap(broker.bootstrap, [wc.TOPIC], [place.site]) as tap:
        workshop = place.start()
        await place.request_parts(workshop)  # before the outage
        await tap.wait_for(wc.PartsRequested, len(place.requested), timeout=60)
        failures_before = await place.publish_failures(workshop)

        broker.stop()
        down_since = time.monotonic()
        backlogs = []
        try:
            while time.monotonic() - down_since < OUTAGE_SECONDS:
                await place.request_parts(workshop)  # every answer is a 201 within seconds (checked inside)
                # The relay sits in a send that times out after 30 s, so its gauge lags: the DB says what is queued.
                backlogs.append(await unsent_rows(place.database_url))
                reads = await client.get(f"/sites/{place.site}/parts-requests", headers=auth(["parts"], [place.site]))
                assert reads.status_code == 200
                await asyncio.sleep(1)  # pacing the traffic through the outage, not waiting for Kafka
        finally:
            broker.start(timeout=120)
        # Everything written while the broker was gone is committed and waiting in the outbox.
        assert backlogs and backlogs[-1] >= len(place.requested) - JOBS * REQUESTS_PER_JOB, backlogs
        assert backlogs == sorted(backlogs), "the backlog must only grow while Kafka is away"

        await eventually(lambda: _is_zero(place.backlog(workshop)), timeout=90)
        assert await place.publish_failures(workshop) > failures_before, "the relay never noticed the outage"
        await tap.wait_for(wc.PartsRequested, len(place.requested), timeout=60)
        await eventually(lambda: caught_up(app.state.runtime, place.bootstrap), timeout=90)
        # A batch the broker took just as it went away is read back before the retry: each event arrives once.
        counted = Counter(event.data["request_id"] for event in tap.of(wc.PartsRequested))
        assert counted == dict.fromkeys(place.requested, 1), counted
        assert_order_kept(tap.events, place.requested)
        headers = auth(["parts"], [place.site])
        for request_id in place.requested:
            assert (await client.get(f"/parts-requests/{request_id}", headers=headers)).status_code == 200
        await assert_applied_once(app, client)

"""Several replicas of one service on one PostgreSQL database: two processes of reception, workshop or parts, each with
its own outbox relay, or (as the Helm chart runs them) with one relay beside them, under concurrent writes to the same
sites, on a real Kafka broker."""

from __future__ import annotations

import asyncio
import functools
import importlib
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select

from shared.cloudevents import CloudEvent
from shared.contracts import TOPICS, reception
from shared.db import create_engine
from shared.migrations import tables_module, upgrade_to_head
from tests.conftest import _fresh_pg_database
from tests.hardening.apps import ServiceProcess
from tests.kit import auth, eventually
from tests.reception.helpers import Desk, line

SITES = 3
WRITES_PER_SITE = 8  # made at once on every site, alternately through either replica
RECEIPT = Decimal(3)


async def _outbox(service: str, database_url: str, sites: list[str]) -> list[dict[str, Any]]:
    """The service's outbox rows of these sites, in id order (the order the relays must keep per site)."""
    table = importlib.import_module(tables_module(service)).infra.outbox
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(table).where(table.c.key.in_(sites)).order_by(table.c.id))
            return [dict(row._mapping) for row in rows]
    finally:
        await engine.dispose()


async def _all_sent(service: str, database_url: str, sites: list[str]) -> bool:
    """Whether the sites' outbox rows are all marked sent."""
    rows = await _outbox(service, database_url, sites)
    return bool(rows) and all(row["sent_at"] is not None for row in rows)


async def _topic(bootstrap: str, topic: str, sites: set[str]) -> list[tuple[int, CloudEvent]]:
    """Every event of these sites on the topic, from its start to its end now, with its partition, in offset order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[tuple[int, CloudEvent]] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for record in records:
                    if record.key is not None and record.key.decode() in sites:
                        found.append((tp.partition, CloudEvent.from_record(record.headers, record.value)))
        return found
    finally:
        await consumer.stop()


async def _reception_site(clients: list[httpx.AsyncClient], site: str) -> list[str]:
    """Configure the site, then open repair orders at once, alternately through each replica; their RO numbers."""
    desks = [Desk(client, site) for client in clients]
    await desks[0].configure()

    async def one(i: int) -> str:
        desk = desks[i % len(desks)]
        customer = await desk.customer()
        vehicle = await desk.vehicle(customer["id"])
        visit = await desks[(i + 1) % len(desks)].arrive(vehicle["id"])
        ro = await desk.open_ro(visit["id"], [line()])
        return str(ro["ro_number"])

    return list(await asyncio.gather(*(one(i) for i in range(WRITES_PER_SITE))))


async def _call(client: httpx.AsyncClient, site: str, method: str, path: str, status: int, body: dict[str, Any] | None = None) -> Any:
    response = await client.request(method, path, json=body, headers=auth(["admin"], [site], subject="replicas"))
    assert response.status_code == status, (method, path, response.status_code, response.text)
    return response.json()


async def _workshop_site(clients: list[httpx.AsyncClient], site: str) -> list[str]:
    """Technicians clock in on one replica and out on the other, all at once; the technicians' ids."""
    async def one(i: int) -> str:
        tech = await _call(clients[i % 2], site, "POST", f"/sites/{site}/technicians", 201,
                           {"name": f"Tech {i}", "skills": ["brakes"], "pin": "1234"})
        await _call(clients[(i + 1) % 2], site, "POST", f"/technicians/{tech['id']}/clock-in", 200, {})
        await _call(clients[i % 2], site, "POST", f"/technicians/{tech['id']}/clock-out", 200, {})
        return str(tech["id"])

    return list(await asyncio.gather(*(one(i) for i in range(WRITES_PER_SITE))))


async def _parts_site(clients: list[httpx.AsyncClient], site: str) -> list[str]:
    """Receipts of one part at once through either replica; the part's on-hand quantity as the API tells it after."""
    await _call(clients[0], site, "POST", f"/sites/{site}/parts", 201,
                {"part_number": "RP-OIL-1", "description": "oil filter", "unit_cost": "10", "unit_price": "20"})
    await asyncio.gather(*(_call(clients[i % 2], site, "POST", f"/sites/{site}/receipts", 201,
                                 {"lines": [{"part_number": "RP-OIL-1", "quantity": str(RECEIPT)}]})
                           for i in range(WRITES_PER_SITE)))
    part = await _call(clients[1], site, "GET", f"/sites/{site}/parts/RP-OIL-1", 200)
    return [str(part["on_hand"])]


DRIVERS: dict[str, Callable[[list[httpx.AsyncClient], str], Awaitable[list[str]]]] = {
    "reception": _reception_site, "workshop": _workshop_site, "parts": _parts_site,
}


@dataclass
class Run:
    """What two replicas of a service did: the sites, what the API answered per site, the outbox rows, the topic."""

    service: str
    relays: int
    sites: list[str]
    answers: list[list[str]]
    rows: list[dict[str, Any]]
    published: list[tuple[int, CloudEvent]]


@pytest.fixture(scope="module", params=[*sorted(DRIVERS), "reception/one-relay"])
async def run(request: pytest.FixtureRequest, pg_server: str | None, bootstrap: str,
              tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Run]:
    """Two processes of the service on one fresh PostgreSQL database writing to the same sites at once: each relaying,
    or (`/one-relay`, as the Helm chart runs them) neither, beside a third process that only relays."""
    service, _, mode = str(request.param).partition("/")
    async for pg_url in _fresh_pg_database(pg_server):
        engine = create_engine(pg_url)
        try:
            await upgrade_to_head(engine, service)  # the chart's init step, before the replicas start
        finally:
            await engine.dispose()
        prefix = f"PITWALL_{service.upper()}_"
        env = {f"{prefix}DATABASE_URL": pg_url, "PITWALL_KAFKA_BOOTSTRAP": bootstrap, f"{prefix}RUN_CONSUMER": "false",
               f"{prefix}RELAY_POLL_SECONDS": "0.2"}
        logs = tmp_path_factory.mktemp(f"replicas-{service}")
        serving_env = {**env, f"{prefix}RUN_RELAY": "false"} if mode == "one-relay" else env
        replicas = [ServiceProcess(service, serving_env, logs / f"{service}-{i}.log") for i in range(2)]
        relays = 2
        if mode == "one-relay":
            replicas.append(ServiceProcess(service, env, logs / f"{service}-relay.log"))
            relays = 1
        sites = [f"replicas-{uuid.uuid4().hex[:8]}-{i}" for i in range(SITES)]
        try:
            for replica in replicas:
                replica.start()
            clients = [httpx.AsyncClient(base_url=replica.url, timeout=60) for replica in replicas[:2]]
            try:
                answers = await asyncio.gather(*(DRIVERS[service](clients, site) for site in sites))
            finally:
                for client in clients:
                    await client.aclose()
            await eventually(functools.partial(_all_sent, service, pg_url, sites), timeout=60)
        finally:
            for replica in replicas:
                replica.stop()  # a relay stops after its batch in flight: nothing reaches the topic after this
        rows = await _outbox(service, pg_url, sites)
        topics = {row["topic"] for row in rows}
        assert topics == {TOPICS[service]} or service == "reception", topics
        published = [found for topic in sorted(topics) for found in await _topic(bootstrap, topic, set(sites))]
        yield Run(service, relays, sites, list(answers), rows, published)


def test_every_event_reaches_the_topic_in_its_sites_order(run: Run) -> None:
    assert {event.id for _, event in run.published} == {row["event_id"] for row in run.rows}
    for site in run.sites:
        on_topic = [event for _, event in run.published if event.site_id == site]
        first_copies = list(dict.fromkeys(event.id for event in on_topic))  # consumers skip an id they applied
        for topic in {row["topic"] for row in run.rows}:
            wanted = [row["event_id"] for row in run.rows if row["key"] == site and row["topic"] == topic]
            assert [event_id for event_id in first_copies if event_id in set(wanted)] == wanted, (site, topic)
        partitions = {(partition, event.id) for partition, event in run.published if event.site_id == site}
        topic_of = {row["event_id"]: row["topic"] for row in run.rows}
        assert len({(topic_of[event_id], partition) for partition, event_id in partitions}) == \
            len({topic_of[event_id] for _, event_id in partitions}), f"{site}'s events are on one partition a topic"
        sequences: dict[str, list[int]] = defaultdict(list)
        for event in {event.id: event for event in on_topic}.values():
            sequences[event.subject].append(event.sequence)
        # Rising, not 1, 2, 3: a part's sequence counts the events of every site stocking that part number.
        assert all(seq == sorted(set(seq)) for seq in sequences.values()), site


def test_every_event_is_published_once(run: Run) -> None:
    # Two relays on one outbox: one leads (shared/outbox.py, an advisory lock), the other stands by.
    copies = Counter(event.id for _, event in run.published)
    duplicated = {event_id: n for event_id, n in copies.items() if n > 1}
    assert duplicated == {}, f"{len(duplicated)} of {len(copies)} {run.service} events were published more than once"


@pytest.mark.parametrize("run", ["reception", "reception/one-relay"], indirect=True)
def test_ro_numbers_stay_unique_and_sequential_per_site(run: Run) -> None:
    expected = [f"RO-{n:06d}" for n in range(1, WRITES_PER_SITE + 1)]
    for site, numbers in zip(run.sites, run.answers, strict=True):
        assert sorted(numbers) == expected, site
        announced = {event.data["ro_number"] for _, event in run.published
                     if event.site_id == site and event.type == reception.RepairOrderOpened.type}
        assert sorted(announced) == expected, site


@pytest.mark.parametrize("run", ["parts"], indirect=True)
def test_receipts_through_both_replicas_all_count_in_the_stock(run: Run) -> None:
    for site, (on_hand,) in zip(run.sites, run.answers, strict=True):
        assert Decimal(on_hand) == RECEIPT * WRITES_PER_SITE, site


@pytest.mark.parametrize("run", ["workshop"], indirect=True)
def test_each_technicians_shift_is_one_clock_in_and_one_clock_out(run: Run) -> None:
    for site, technicians in zip(run.sites, run.answers, strict=True):
        kinds = Counter((event.subject, event.type.split(".")[-2]) for _, event in run.published if event.site_id == site)
        assert {(subject, kind) for subject, kind in kinds} == {
            (f"technician/{t}", kind) for t in technicians for kind in ("clocked_in", "clocked_out")}, site

"""The kpi consumer under faults, on a Kafka broker of this module's own: no event lost, none applied twice, and the
figures (REST and /metrics) equal to a clean run of the same scripted day (tests/kpi/day.py).

The clean run is one kpi app consuming the day in order, once, checked against the hand-computed figures; every other
site here is fed the same day under a fault and must show exactly its figures. Kill points and rebalances are real:
`python -m services.kpi` processes, SIGKILL, consumer-group members joining and leaving.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from aiokafka import TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.cloudevents import CloudEvent
from shared.consumer import FAULT_STOP_AFTER_DB_COMMIT
from shared.contracts import reception as r
from shared.kafka_admin import ensure_topics
from tests.hardening.apps import REPO, sqlite_url
from tests.hardening.brokers import private_broker
from tests.hardening.kpi_runs import (
    PARTITIONS,
    TOPIC_OF,
    Figures,
    carrying,
    caught_up,
    combined_settled,
    committed_in_kafka,
    consumed,
    dead_letters,
    figures_of,
    kpi_env,
    kpi_process,
    one_site_per_partition,
    exported_sites,
    owned_partitions,
    partition_of,
    processed_events,
    publish,
    scrape,
    settings_for,
    settled,
    stored_offsets,
)
from tests.kit import as_cloud_event, eventually, new_site, running
from tests.kit import caught_up as app_caught_up
from tests.kpi import checks
from tests.kpi.day import Day
from tests.kpi.support import TOPICS, app_for, area, by_name, evening_zone, start_at_end_of_topics, wrap
from tools.localkafka import LocalKafka

SEEDS = (0, 1, 2)  # shuffles of the day through Kafka (the property over many more, in-process: tests/kpi/test_arrival_order.py)
DELIVERED_TWICE, RESENT = 15, 5


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A broker of this module's own, its topics of PARTITIONS partitions: its consumer groups replay only what this module
    published."""
    with private_broker(tmp_path_factory.mktemp("kafka")) as kafka:
        yield kafka


@dataclass(frozen=True)
class Clean:
    """The scripted day's figures from one kpi consuming it in order, once, with no fault."""

    zone: tuple[str, date]
    figures: Figures

    def day(self, site: str) -> Day:
        """The same day at another site."""
        return Day(site, *self.zone)


@pytest.fixture(scope="module")
async def clean(broker: LocalKafka, tmp_path_factory: pytest.TempPathFactory) -> Clean:
    """The reference run, itself checked against the hand-computed figures of the day."""
    await ensure_topics(broker.bootstrap, TOPICS, PARTITIONS)  # before anything makes them of the default size
    zone = evening_zone()
    day = Day(new_site(), *zone)
    settings = settings_for(sqlite_url(tmp_path_factory.mktemp("clean"), "kpi"), broker.bootstrap)
    await start_at_end_of_topics(settings)
    await publish(broker.bootstrap, wrap(day.events()))
    app = app_for(settings)
    async with running(app) as client:
        await eventually(lambda: app_caught_up(app.state.runtime, broker.bootstrap), timeout=60)
        await checks.check_day(client, day.site, day.day)

        async def metrics_as_scripted() -> bool:
            page = await client.get("/metrics", params={"site": day.site})
            return not checks.day_metrics_mismatches(page.text, day.site)

        await eventually(metrics_as_scripted, timeout=60)
        return Clean(zone, await figures_of(client, day.site, day))


def state(pid: int) -> str:
    """A process's state letter (R, S, T when stopped…)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def end(pids: list[int]) -> None:
    """SIGKILL processes still there (the figures workers of stopped or killed kpi processes)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def command(module: str, *args: str, env: dict[str, str]) -> str:
    """`python -m <module> …` as an operator runs it; its output (it must succeed)."""
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env={**os.environ, **env},
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


async def test_kpi_killed_after_its_db_commit_and_before_the_offset_commit_counts_nothing_twice_and_a_replay_equals_it(
    broker: LocalKafka, clean: Clean, tmp_path: Path, database_url: str,
) -> None:
    bootstrap = broker.bootstrap
    day = clean.day(new_site())
    sent = wrap(day.events())
    cut = next(i for i, e in enumerate(sent) if e.time >= day.at("12:00"))
    stop = next(i for i, e in enumerate(sent) if e.time >= day.at("15:30"))  # RO2's invoice
    late = next(i for i, e in enumerate(sent) if e.time >= day.at("16:00"))
    settings = settings_for(database_url, bootstrap)
    group = settings.resolved_consumer_group()
    await start_at_end_of_topics(settings)

    first = kpi_process(settings, tmp_path / "kpi-0.log", **{FAULT_STOP_AFTER_DB_COMMIT: sent[stop].id})
    second = kpi_process(settings, tmp_path / "kpi-1.log")
    try:
        first.start()
        await publish(bootstrap, sent[:cut])
        await eventually(lambda: caught_up(database_url, group, bootstrap), timeout=60)
        landed = await publish(bootstrap, sent[cut:late])
        assert first.process is not None
        await eventually(lambda: state(first.process.pid) == "T", timeout=60)  # stopped itself right after the commit

        # The kill point, seen from outside: the batch holding the invoice is in the DB, Kafka has not heard of it.
        where = landed[stop - cut]
        tp = TopicPartition(where.topic, where.partition)
        in_db = (await stored_offsets(database_url, group))[tp]
        in_kafka = (await committed_in_kafka(bootstrap, group)).get(tp, -1)
        assert in_kafka <= where.offset < in_db, (in_kafka, where.offset, in_db)
        applied_before = await processed_events(database_url, group)
        assert cut < applied_before <= late
        first.kill(signal.SIGKILL)
        assert first.wait() == -signal.SIGKILL

        await publish(bootstrap, sent[late:])  # the floor goes on while the kpi is down
        second.start()
        await eventually(lambda: caught_up(database_url, group, bootstrap), timeout=90)
        async with httpx.AsyncClient(base_url=second.url, timeout=30) as client:
            await settled(client, day.site, day, clean.figures)
            live = await figures_of(client, day.site, day)
        page = await scrape(second.url)
        # It went on from the offsets in its DB: what the killed process applied came neither again nor as duplicates.
        assert consumed(page, "applied") == len(sent) - applied_before
        assert consumed(page, "duplicate") == 0
        assert await processed_events(database_url, group) == len(sent)
    finally:
        first.stop()
        second.stop()
        end(carrying("PITWALL_KPI_CONSUMER_GROUP", group))  # their figures workers outlive them (see reliability.md)

    # Replay from offset 0 into fresh tables (the documented rebuild, service stopped) gives the live figures.
    # `python -m services.kpi rebuild` (the service stopped): every topic replayed from offset 0 into cleared tables.
    out = command("services.kpi", "rebuild", env=kpi_env(settings))
    assert "failed 0" in out, out
    replayed = app_for(settings)
    async with running(replayed) as client:
        await eventually(lambda: app_caught_up(replayed.state.runtime, bootstrap), timeout=60)
        await settled(client, day.site, day, live)
        assert consumed((await client.get("/metrics")).text, "applied") == 0  # it carries on where the replay ended


def arrival(day: Day, seed: int) -> list[CloudEvent]:
    """The day's events as Kafka may bring them, seeded: shuffled (seed 0: each topic in order, the topics interleaved,
    as partitions consumed at different speeds; else in any order), 15 delivered twice (same ids), 5 re-sent by their
    producer under new ids."""
    rng = random.Random(seed)
    sent = wrap(day.events())
    if seed == 0:
        queues: dict[str, list[CloudEvent]] = {}
        for cloud_event in sent:
            queues.setdefault(TOPIC_OF[cloud_event.type], []).append(cloud_event)
        stream = []
        while any(queues.values()):
            stream.append(queues[rng.choice([topic for topic, queue in queues.items() if queue])].pop(0))
    else:
        stream = rng.sample(sent, len(sent))
    for copy in rng.choices(sent, k=DELIVERED_TWICE) + [as_cloud_event(e) for e in rng.sample(day.events(), RESENT)]:
        stream.insert(rng.randrange(len(stream) + 1), copy)
    return stream


async def test_the_day_shuffled_and_duplicated_through_kafka_gives_the_figures_of_the_day_in_order(
    broker: LocalKafka, clean: Clean, tmp_path: Path,
) -> None:
    settings = settings_for(sqlite_url(tmp_path, "kpi"), broker.bootstrap)
    await start_at_end_of_topics(settings)
    days = {seed: clean.day(new_site()) for seed in SEEDS}
    await publish(broker.bootstrap, [cloud_event for seed, day in days.items() for cloud_event in arrival(day, seed)])
    app = app_for(settings)
    async with running(app) as client:
        await eventually(lambda: app_caught_up(app.state.runtime, broker.bootstrap), timeout=60)
        for day in days.values():
            await settled(client, day.site, day, clean.figures)
        page = (await client.get("/metrics")).text
    assert consumed(page, "applied") == len(SEEDS) * (len(clean.day("x").events()) + RESENT)
    assert consumed(page, "duplicate") == len(SEEDS) * DELIVERED_TWICE


async def test_a_second_kpi_instance_joining_and_leaving_mid_stream_gives_the_figures_of_one(
    broker: LocalKafka, clean: Clean, tmp_path: Path, database_url: str,
) -> None:
    bootstrap = broker.bootstrap
    early = [clean.day(site) for site in one_site_per_partition()]  # 40 % before the second joins, 30 % with it, then the rest
    late = [clean.day(site) for site in one_site_per_partition()]  # new sites while both run (their first events too)
    sent = {day.site: wrap(day.events()) for day in early + late}
    share = {day.site: (len(sent[day.site]) * 4 // 10, len(sent[day.site]) * 7 // 10) for day in early}
    settings = settings_for(database_url, bootstrap)
    group = settings.resolved_consumer_group()
    await start_at_end_of_topics(settings)
    every = {(topic, str(p)) for topic in TOPICS for p in range(PARTITIONS)}
    first = kpi_process(settings, tmp_path / "kpi-a.log")
    second = kpi_process(settings, tmp_path / "kpi-b.log")
    try:
        first.start()
        await eventually(lambda: _owns(first.url, every), timeout=60)
        await publish(bootstrap, [ce for day in early for ce in sent[day.site][:share[day.site][0]]])
        await eventually(lambda: caught_up(database_url, group, bootstrap), timeout=60)

        second.start()  # joins the group: the partitions are split between the two, partition i of every topic to one
        await split(first.url, second.url, every)
        applied_alone = consumed(await scrape(first.url), "applied")
        await publish(bootstrap, [ce for day in early for ce in sent[day.site][slice(*share[day.site])]]
                      + [ce for day in late for ce in sent[day.site]])
        await eventually(lambda: caught_up(database_url, group, bootstrap), timeout=60)
        for day in late:  # both instances' /metrics summed, and both REST APIs
            await combined_settled([first.url, second.url], day.site, day, clean.figures)
        sites = [day.site for day in early + late]
        owned = [owned_partitions(await scrape(first.url)), owned_partitions(await scrape(second.url))]
        for site in sites:  # each site's events all went to one instance: the owner of its partition on every topic
            assert sum(all((topic, str(partition_of(site))) in mine for topic in TOPICS) for mine in owned) == 1, site
        exported = [await exported_sites(first.url, sites), await exported_sites(second.url, sites)]
        assert exported[0] | exported[1] == set(sites) and not exported[0] & exported[1]
        assert len(exported[0]) == len(exported[1]) == len(sites) // 2  # one site per partition: half each
        applied_by_second = consumed(await scrape(second.url), "applied")
        assert applied_by_second > 0 and consumed(await scrape(first.url), "applied") > applied_alone, "one did all the work"

        second.stop()  # leaves the group: the first takes every partition back
        await eventually(lambda: _owns(first.url, every), timeout=60)
        again = [ce for day in early + late for ce in random.Random(7).sample(sent[day.site], 5)]
        await publish(bootstrap, [ce for day in early for ce in sent[day.site][share[day.site][1]:]] + again)
        await eventually(lambda: caught_up(database_url, group, bootstrap), timeout=60)
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as client:
            for day in early + late:
                await settled(client, day.site, day, clean.figures)
        page = await scrape(first.url)
        distinct = sum(len(events) for events in sent.values())
        assert consumed(page, "applied") + applied_by_second == distinct  # across both and two rebalances: each once
        assert await processed_events(database_url, group) == distinct
        assert consumed(page, "duplicate") >= len(again)
    finally:
        first.stop()
        second.stop()
        end(carrying("PITWALL_KPI_CONSUMER_GROUP", group))


async def _owns(url: str, partitions: set[tuple[str, str]]) -> bool:
    return owned_partitions(await scrape(url)) == partitions


async def split(first: str, second: str, partitions: set[tuple[str, str]]) -> None:
    """Wait until the two instances hold every partition between them, each some."""
    owned: list[set[tuple[str, str]]] = []

    async def done() -> bool:
        owned[:] = [owned_partitions(await scrape(first)), owned_partitions(await scrape(second))]
        mine, theirs = owned
        return bool(mine and theirs and not mine & theirs and mine | theirs == partitions)

    try:
        await eventually(done, timeout=60)
    except AssertionError:
        raise AssertionError(f"the partitions were not split between the two instances: {owned}") from None


# A faulty migration: the DB refuses one invoice (the fix drops the trigger). Written per dialect, one statement each.
REFUSE = {
    "sqlite": ["CREATE TRIGGER refuse_invoice BEFORE INSERT ON kpi_invoice WHEN NEW.invoice_id = 'INV-RO2' "
               "BEGIN SELECT RAISE(ABORT, 'refused by a faulty migration'); END"],
    "postgresql": ["CREATE FUNCTION refuse_invoice() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF NEW.invoice_id = 'INV-RO2' THEN RAISE EXCEPTION 'refused by a faulty migration'; END IF; "
                   "RETURN NEW; END $$",
                   "CREATE TRIGGER refuse_invoice BEFORE INSERT ON kpi_invoice FOR EACH ROW EXECUTE FUNCTION refuse_invoice()"],
}
FIX = {"sqlite": ["DROP TRIGGER refuse_invoice"], "postgresql": ["DROP TRIGGER refuse_invoice ON kpi_invoice"]}


async def execute(engine: AsyncEngine, statements: list[str]) -> None:
    """DDL, as an operator would run it."""
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


def run_redrive(bootstrap: str, *args: str) -> str:
    """`python -m shared.redrive …`; its output."""
    return command("shared.redrive", *args, env={"PITWALL_KAFKA_BOOTSTRAP": bootstrap})


async def test_an_event_dead_lettered_by_a_faulty_schema_is_redriven_after_the_fix_and_applied_once(
    broker: LocalKafka, clean: Clean, tmp_path: Path, database_url: str,
) -> None:
    bootstrap = broker.bootstrap
    day = clean.day(new_site())
    sent = wrap(day.events())
    invoice = next(ce for ce in sent if ce.type == r.RepairOrderInvoiced.type and ce.data["invoice_id"] == "INV-RO2")
    reception = sum(1 for ce in sent if TOPIC_OF[ce.type] == r.TOPIC)
    settings = settings_for(database_url, bootstrap)
    group = settings.resolved_consumer_group()
    window = {"from": day.day.isoformat(), "to": day.at("19:00").isoformat()}
    await start_at_end_of_topics(settings)
    app = app_for(settings)
    async with running(app) as client:
        engine = app.state.runtime.engine
        dialect = engine.dialect.name
        await execute(engine, REFUSE[dialect])
        await publish(bootstrap, sent)
        await eventually(lambda: app_caught_up(app.state.runtime, bootstrap), timeout=60)
        dead = await dead_letters(bootstrap, group, day.site)
        assert [h["ce_id"] for h in dead] == [invoice.id]
        assert "refused by a faulty migration" in dead[0]["dlq_reason"] and dead[0]["dlq_topic"] == r.TOPIC
        # The partition kept flowing: what came after the invoice on it (RO2 delivered, RO3, RO4, RO5) is there.
        volume = by_name(await area(client, day.site, "wip", **window))
        assert volume[("repair_orders_delivered", ())] == 2 and volume[("repair_orders_opened", ())] == 5
        assert by_name(await area(client, day.site, "money", **window))[("total_revenue", ())] == 230  # RO1 only

        await publish(bootstrap, [invoice])  # sent again before the fix (a relay's retry): dead-lettered again
        await eventually(lambda: _count(dead_letters(bootstrap, group, day.site), 2), timeout=30)

        listed = run_redrive(bootstrap, "--group", group, "--dry-run")
        assert listed.count(invoice.id) == 2 and "would re-drive 2 dead-lettered events" in listed, listed
        await execute(engine, FIX[dialect])
        assert "re-drove 0 dead-lettered events, left 2" in run_redrive(bootstrap, "--group", group, "--topic", "pitwall.workshop.v1")
        assert "re-drove 2 dead-lettered events, left 0" in run_redrive(bootstrap, "--group", group)
        await eventually(lambda: app_caught_up(app.state.runtime, bootstrap), timeout=60)
        await settled(client, day.site, day, clean.figures)
        page = (await client.get("/metrics")).text
        # Applied once: the first copy re-driven; the second is a duplicate by its id.
        assert _outcomes(page, r.TOPIC) == {"applied": reception, "duplicate": 1, "dead_lettered": 2, "ignored": 0}
        assert "re-drove 0 dead-lettered events" in run_redrive(bootstrap, "--group", group)  # its progress is kept


async def _count(letters: Awaitable[list[dict[str, str]]], count: int) -> bool:
    return len(await letters) == count


def _outcomes(page: str, topic: str) -> dict[str, float]:
    return {s.labels["outcome"]: s.value for family in text_string_to_metric_families(page) for s in family.samples
            if s.name == "pitwall_consumer_events_total" and s.labels["topic"] == topic}

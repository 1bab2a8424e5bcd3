"""The kpi consumer under faults, on a Kafka broker of this module's own: no event lost, none applied twice, and the
figures (REST and /metrics) equal to a clean run of the same scripted day (tests/kpi/day.py).

The clean run is one kpi app consuming the day in order, once, checked against the hand-computed figures; every other
site here is fed the same day under a fault and must show exactly its figures. Kill points and rebalances are real:
`python -m services.kpi` processes, SIGKILL, consumer-group members joining and leaving.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from aiokafka import TopicPartition

from shared.consumer import FAULT_STOP_AFTER_DB_COMMIT
from tests.hardening.apps import REPO, sqlite_url
from tests.hardening.brokers import private_broker
from tests.hardening.kpi_runs import (
    Figures,
    caught_up,
    carrying,
    committed_in_kafka,
    consumed,
    figures_of,
    kpi_env,
    kpi_process,
    processed_events,
    publish,
    scrape,
    settings_for,
    settled,
    stored_offsets,
)
from tests.kit import eventually, new_site, running
from tests.kit import caught_up as app_caught_up
from tests.kpi import checks
from tests.kpi.day import Day
from tests.kpi.support import app_for, evening_zone, start_at_end_of_topics, wrap
from tools.localkafka import LocalKafka

BROKER_PORT, CONTROLLER_PORT = 19592, 19692


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A broker of this module's own: its consumer groups replay only what this module published."""
    with private_broker(tmp_path_factory.mktemp("kafka"), BROKER_PORT, CONTROLLER_PORT) as kafka:
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
    """SIGKILL processes (a killed kpi's children) that are still there."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def rebuild(settings_env: dict[str, str]) -> str:
    """`python -m services.kpi rebuild` (the service stopped): every topic replayed from offset 0 into cleared tables."""
    result = subprocess.run([sys.executable, "-m", "services.kpi", "rebuild"], cwd=REPO, env={**os.environ, **settings_env},
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
        end(carrying(FAULT_STOP_AFTER_DB_COMMIT, sent[stop].id))  # the figures worker outlives a SIGKILL (reliability.md)

    # Replay from offset 0 into fresh tables (the documented rebuild, service stopped) gives the live figures.
    out = rebuild(kpi_env(settings))
    assert "failed 0" in out, out
    replayed = app_for(settings)
    async with running(replayed) as client:
        await eventually(lambda: app_caught_up(replayed.state.runtime, bootstrap), timeout=60)
        await settled(client, day.site, day, live)
        assert consumed((await client.get("/metrics")).text, "applied") == 0  # it carries on where the replay ended

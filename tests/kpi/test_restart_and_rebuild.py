"""Stop the consumer mid-stream, redeliver and reorder the rest: same figures; a replay rebuilds them equal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit import as_cloud_event, caught_up, eventually, new_site, running
from tests.kpi import checks
from tests.kpi.day import Day
from tests.kpi.support import app_for, area, by_name, evening_zone, kpi_settings, send, start_at_end_of_topics, wrap

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("technicians", "bays", "waits", "wip", "money", "quality", "parts", "appointments")


async def test_restart_mid_stream_redelivery_and_rebuild_give_the_same_figures(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    tz, day = evening_zone()
    script = Day(site, tz, day)
    events = script.events()
    sent = wrap(events)
    cut = next(i for i, e in enumerate(events) if e.occurred_at >= script.at("15:30"))  # before RO2's invoice
    settings = kpi_settings(f"sqlite+aiosqlite:///{tmp_path}/live.db", kafka)
    await start_at_end_of_topics(settings)

    await send(kafka, sent[:cut])
    first = app_for(settings)
    async with running(first) as client:
        await eventually(lambda: caught_up(first.state.runtime, kafka), timeout=60)
        answer = await area(client, site, "technicians", window="today")
        sold = {key: value for key, value in by_name(answer).items() if key[0] == "sold_time"}
        # RO2 not invoiced yet: L3 1.0 h and L2 2.0 h as at completion (T1 ¼ of L2), L1 restated by RO1's invoice.
        assert sold == {("sold_time", (("technician", "T1"),)): 5400 + 3600 + 1800,
                        ("sold_time", (("technician", "T2"),)): 5400, ("sold_time", ()): 16200}
        assert all(f["provisional"] for f in answer["figures"] if f["name"] == "sold_time")

    redelivered = sent[:10] + sent[cut:cut + 5]  # the same CloudEvents again (a relay retry)
    resent_with_new_ids = [as_cloud_event(e) for e in events[cut - 5:cut]]  # a producer that re-sent its facts
    await send(kafka, list(reversed(sent[cut:])) + redelivered + resent_with_new_ids)
    second = app_for(settings)
    async with running(second) as client:
        await eventually(lambda: caught_up(second.state.runtime, kafka), timeout=60)
        await checks.check_day(client, site, day)
        window = {"from": day.isoformat(), "to": script.at("19:00").isoformat()}
        live = {path: await area(client, site, path, **window) for path in AREAS}

    rebuilt = f"sqlite+aiosqlite:///{tmp_path}/rebuilt.db"
    env = {**os.environ, "PITWALL_KAFKA_BOOTSTRAP": kafka, "PITWALL_KPI_CONSUMER_GROUP": settings.consumer_group}
    result = subprocess.run([sys.executable, "-m", "services.kpi", "rebuild", "--database-url", rebuilt, "--site", site],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "rebuild kpi" in result.stderr  # the progress bar
    applied = len(events) + len(resent_with_new_ids)
    assert f"applied {applied}, duplicates {len(redelivered)}," in result.stdout
    assert "failed 0" in result.stdout

    replayed = app_for(kpi_settings(rebuilt, kafka, run_consumer=False))
    async with running(replayed) as client:
        for path in AREAS:
            assert await area(client, site, path, **window) == live[path], path


def test_a_partial_rebuild_must_go_to_another_database() -> None:
    result = subprocess.run([sys.executable, "-m", "services.kpi", "rebuild", "--site", "x"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "--site needs --database-url" in result.stderr


@pytest.mark.parametrize("argv", [["--help"], ["serve", "--help"]])
def test_serve_stays_the_default_command(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "services.kpi", *argv], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0 and "--port" in result.stdout

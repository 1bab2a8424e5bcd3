"""The figures' loop: /metrics follows each committed batch (month to date too), passes end, figures wait out a replay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from services.kpi.metrics import KpiMetrics
from shared.contracts import reception as r
from shared.db import create_engine
from shared.migrations import upgrade_to_head
from tests.kpi.day import Day
from tests.kit import eventually, new_site, publish, running
from tests.kpi.support import app_for, evening_zone, kpi_settings, start_at_end_of_topics
from tools.ports import free_port

REPO = Path(__file__).resolve().parents[2]


def entries(text: str, site: str, window: str) -> str:
    line = next(x for x in text.splitlines() if x.startswith(f'pitwall_kpi_vehicle_entries{{site="{site}",window="{window}"}}'))
    return line.rsplit(" ", 1)[1]


async def test_metrics_follow_each_committed_batch_month_to_date_too_without_waiting_for_the_round(tmp_path: Path,
                                                                                                  kafka: str) -> None:
    site = new_site()
    settings = kpi_settings(f"sqlite+aiosqlite:///{tmp_path}/kpi.db", kafka, metrics_refresh_seconds=3600)
    await start_at_end_of_topics(settings)
    tz, day = evening_zone()
    script = Day(site, tz, day)
    app = app_for(settings)
    async with running(app) as client:
        await publish(kafka, *script.events())

        async def shown(window: str) -> str | None:
            text = (await client.get("/metrics", params={"site": site})).text
            return entries(text, site, window) if f'site="{site}",window="{window}"' in text else None

        await eventually(lambda: _is(shown("month_to_date"), "5.0"), timeout=60)  # no round in the hour: each batch
        late = r.VehicleArrived(site_id=site, occurred_at=script.at("19:00"), visit_id="V9", vehicle_id="V9", vin="VINV9")
        await publish(kafka, late)
        await eventually(lambda: _is(shown("month_to_date"), "6.0"), timeout=60)
        assert await shown("today") == "6.0"


async def _is(value: Awaitable[str | None], wanted: str) -> bool:
    return await value == wanted


async def test_a_pass_over_dirty_sites_ends_while_the_consumer_keeps_dirtying_sites(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/kpi.db")
    await upgrade_to_head(engine, "kpi")
    collector = KpiMetrics(engine, refresh_seconds=5, debounce_seconds=0, registry=CollectorRegistry())
    refreshed: list[str] = []

    async def refresh(sites: list[str] | None = None) -> None:  # each refresh sees a new batch commit: a replay
        refreshed.extend(sites or [])
        collector.mark_dirty(f"new-{len(refreshed)}")

    collector.refresh = refresh  # type: ignore[method-assign]
    try:
        collector.mark_dirty("a", "b", "c")
        assert await collector._refresh_dirty() == 3
        assert refreshed == ["a", "b", "c"]  # the sites dirtied meanwhile wait for the next pass
        assert await collector._refresh_dirty() == 3 and refreshed[3:] == ["new-1", "new-2", "new-3"]
    finally:
        await engine.dispose()


def test_figures_wait_while_the_consumer_does_not_know_yet_how_far_behind_it_is() -> None:
    lag: list[int | None] = [None]
    collector = KpiMetrics(create_engine("sqlite+aiosqlite://"), refresh_seconds=5, debounce_seconds=0, lag=lambda: lag[0],
                           catch_up_lag=2000, registry=CollectorRegistry())
    assert collector.catching_up()  # before the first fetch: not known, treated as a backlog
    lag[0] = 2001
    assert collector.catching_up()
    lag[0] = 0
    assert not collector.catching_up()


async def test_ctrl_c_stops_the_kpi_service_without_leaking_semaphores(tmp_path: Path, kafka: str) -> None:
    site, port = new_site(), free_port()
    settings = kpi_settings(f"sqlite+aiosqlite:///{tmp_path}/kpi.db", kafka)
    await start_at_end_of_topics(settings)
    env = {**os.environ, "PITWALL_DATA_DIR": str(tmp_path), "PITWALL_KAFKA_BOOTSTRAP": kafka,
           "PITWALL_KPI_DATABASE_URL": settings.database_url, "PITWALL_KPI_CONSUMER_GROUP": settings.consumer_group}
    service = subprocess.Popen([sys.executable, "-m", "services.kpi", "--port", str(port)], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        tz, day = evening_zone()
        await publish(kafka, *[e for e in Day(site, tz, day).events() if e.type.endswith(".site.configured.v1")])

        async def figures_shown() -> bool:
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                    return f'site="{site}"' in (await client.get("/metrics", params={"site": site})).text
            except httpx.TransportError:
                return False

        await eventually(figures_shown, timeout=60)
        os.killpg(service.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group...
        service.terminate()  # ...and `./dev run` then stops each service with SIGTERM
        _, stderr = service.communicate(timeout=60)
    finally:
        service.kill()
    assert "leaked semaphore" not in stderr and "KeyboardInterrupt" not in stderr, stderr

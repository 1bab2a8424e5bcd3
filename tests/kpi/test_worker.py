"""The figures' worker: the same /metrics text as the service computes in-process; month to date at most so old."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from services.kpi import exposition, reader
from services.kpi.families import site_families
from services.kpi.metrics import KpiMetrics, site_snapshots
from services.kpi.satisfaction.metrics import satisfaction_families
from shared.contracts import reception as r
from shared.db import create_engine
from shared.migrations import upgrade_to_head
from tests.kpi.day import Day
from tests.kpi.harness import feed
from tests.kit import eventually, new_site, publish
from tests.kpi.support import evening_zone, kpi_settings, start_at_end_of_topics
from tools.ports import free_port

REPO = Path(__file__).resolve().parents[2]


def entries(text: str, site: str, window: str) -> str:
    line = next(x for x in text.splitlines() if x.startswith(f'pitwall_kpi_vehicle_entries{{site="{site}",window="{window}"}}'))
    return line.rsplit(" ", 1)[1]


async def test_the_worker_renders_what_the_service_renders_and_month_to_date_waits_its_turn(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/kpi.db"
    engine = create_engine(url)
    await upgrade_to_head(engine, "kpi")
    tz, day = evening_zone()
    script = Day("site-worker", tz, day)
    await feed(engine, [script.events()])
    now = script.at("20:30").timestamp()
    families = site_families("site-worker", await site_snapshots(engine, "site-worker", now))
    families.update(await satisfaction_families(engine, "site-worker", now, exposition.Family))
    in_process = exposition.join([exposition.render(families)])
    reader._start(reader.sync_url(url), month_every=600)  # this process stands in for the worker process
    try:
        first = exposition.join([reader._rendered("site-worker", now)])
        assert first == in_process
        assert entries(first, "site-worker", "today") == entries(first, "site-worker", "month_to_date") == "5.0"

        late = r.VehicleArrived(site_id="site-worker", occurred_at=script.at("19:00"), visit_id="V9", vehicle_id="V9", vin="VINV9")
        await feed(engine, [[late]])
        again = "".join(f.lines for f in reader._rendered("site-worker", now + 60).values())
        assert entries(again, "site-worker", "today") == "6.0"  # today's figures follow every change...
        assert entries(again, "site-worker", "month_to_date") == "5.0"  # ...month to date is under ten minutes old here
        later = "".join(f.lines for f in reader._rendered("site-worker", now + 600).values())
        assert entries(later, "site-worker", "month_to_date") == "6.0"
    finally:
        reader._month.clear()
        await engine.dispose()


CHILD = """
import asyncio, sys
from services.kpi import reader

async def main() -> None:
    worker = reader.FigureWorker(reader.sync_url(sys.argv[1]))
    await worker.rendered("site-gone", 0.0)
    print(*worker._pool._processes, flush=True)  # the worker's pid
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_the_worker_does_not_outlive_a_killed_service(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/kpi.db"
    engine = create_engine(url)
    await upgrade_to_head(engine, "kpi")
    await engine.dispose()
    service = subprocess.Popen([sys.executable, "-c", CHILD, url], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert service.stdout is not None
        worker = int(service.stdout.readline())
        assert _alive(worker)
        service.kill()  # SIGKILL: no shutdown of its pool
        service.wait(30)
        deadline = time.monotonic() + 30
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)  # polling another process's exit
        assert not _alive(worker), "the figures' worker outlived its service"
    finally:
        service.kill()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except FileNotFoundError:
        return False
    return state != "Z"


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


async def test_ctrl_c_stops_the_kpi_service_and_its_worker_without_leaking_semaphores(tmp_path: Path, kafka: str) -> None:
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

        async def figures_shown() -> bool:  # computed by the worker process
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                    return f'site="{site}"' in (await client.get("/metrics", params={"site": site})).text
            except httpx.TransportError:
                return False

        await eventually(figures_shown, timeout=60)
        os.killpg(service.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group, the worker too...
        service.terminate()  # ...and `./dev run` then stops each service with SIGTERM
        _, stderr = service.communicate(timeout=60)
    finally:
        service.kill()
    assert "leaked semaphore" not in stderr and "KeyboardInterrupt" not in stderr, stderr

"""The figures' worker: the same /metrics text as the service computes in-process; month to date at most so old."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from services.kpi import exposition, reader
from services.kpi.families import site_families
from services.kpi.metrics import site_snapshots
from services.kpi.satisfaction.metrics import satisfaction_families
from shared.contracts import reception as r
from shared.db import create_engine
from shared.migrations import upgrade_to_head
from tests.kpi.day import Day
from tests.kpi.harness import feed
from tests.kpi.support import evening_zone

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


CTRL_C_CHILD = """
import asyncio, signal, sys
from services.kpi import reader

async def main() -> None:
    worker = reader.FigureWorker(reader.sync_url(sys.argv[1]))
    await worker.rendered("site-quiet", 0.0)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)  # as uvicorn does: Ctrl-C is a graceful stop
    print("computing", flush=True)
    await stop.wait()
    worker.close()

asyncio.run(main())
"""


async def test_ctrl_c_stops_the_service_and_its_worker_without_leaking_semaphores(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/kpi.db"
    engine = create_engine(url)
    await upgrade_to_head(engine, "kpi")
    await engine.dispose()
    service = subprocess.Popen([sys.executable, "-c", CTRL_C_CHILD, url], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        assert service.stdout is not None and service.stdout.readline() == "computing\n"
        os.killpg(service.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group, the worker too
        _, stderr = service.communicate(timeout=60)
    finally:
        service.kill()
    assert service.returncode == 0, stderr
    assert "leaked semaphore" not in stderr and "KeyboardInterrupt" not in stderr, stderr

"""`./dev run` as a newcomer meets it: what it says when it cannot start, and the demo site it leaves ready."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.workshop.app import create_app as create_workshop
from tests.kit import auth, new_site, running
from tests.reception.helpers import app as reception_app
from tests.workshop.floor import settings as workshop_settings
from tools import demo
from tools import run as dev_run
from tools.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_a_taken_port_is_named_with_its_process_before_anything_starts(tmp_path: Path) -> None:
    base, kafka_port = free_port(), free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base + 2))
        squatter.listen()
        run = subprocess.run(
            [sys.executable, "-m", "tools.run", "--data-dir", str(tmp_path), "--port-base", str(base), "--kafka-port", str(kafka_port)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
    assert run.returncode == 1
    assert f"run: port {base + 2} (parts) is already in use by pid {os.getpid()} (" in run.stderr
    assert "--port-base" in run.stderr and "Kafka " not in run.stdout
    assert not (tmp_path / "kafka" / "server.properties").exists() and not list((tmp_path / "logs").glob("*.log"))


async def test_the_demo_site_is_prepared_once_with_a_bay_and_a_technician(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    reception = reception_app(f"sqlite+aiosqlite:///{tmp_path}/reception.db", kafka, run_relay=False, run_consumer=False)
    workshop = create_workshop(workshop_settings(f"sqlite+aiosqlite:///{tmp_path}/workshop.db", kafka, run_relay=False,
                                                 run_consumer=False))
    manager = auth(["manager"], [site])
    async with running(reception) as front, running(workshop) as floor:
        for _ in range(2):  # a restart of ./dev run finds it ready and changes nothing
            await demo.ensure_demo(front, floor, manager["Authorization"].removeprefix("Bearer "), site_id=site)
        made = (await front.get(f"/sites/{site}", headers=manager)).json()
        assert (made["name"], len(made["opening_hours"])) == ("Pitwall Demo Motors", 7)
        bays = (await floor.get(f"/sites/{site}/bays", headers=manager)).json()["items"]
        technicians = (await floor.get(f"/sites/{site}/technicians", headers=manager)).json()["items"]
        assert [b["name"] for b in bays] == ["Bay 1"] and [t["id"] for t in technicians] == [demo.DEMO_TECHNICIAN]


def test_the_readme_walks_a_first_repair_order_on_the_demo_site() -> None:
    readme = (ROOT / "README.md").read_text()
    walk = readme[readme.index("### Your first repair order"):]
    for step in ("/sites/demo/customers", "/sites/demo/arrivals", "/request-approval", "/dispatch", "/clock-on", "/complete",
                 "/qc", "/invoice", "/deliver", "/kpi/sites/demo/summary"):
        assert step in walk, step


def test_a_finished_simulator_is_reaped_while_the_services_run_on(capsys: pytest.CaptureFixture[str]) -> None:
    simulator = subprocess.Popen([sys.executable, "-c", "pass"])
    while Path(f"/proc/{simulator.pid}/stat").read_text().split(") ", 1)[1][0] != "Z":  # ended, not yet reaped: a zombie
        time.sleep(0.05)  # polling another process's exit
    assert dev_run.reaped(simulator) is None
    assert not Path(f"/proc/{simulator.pid}").exists()
    assert "the simulated day ended (exit code 0); the services keep running" in capsys.readouterr().out
    playing = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert dev_run.reaped(playing) is playing and dev_run.reaped(None) is None
    finally:
        playing.kill()
        playing.wait()

"""`./dev run`: the whole system on one machine — local Kafka, every service on SQLite files."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx

from shared.auth import mint_token
from shared.settings import DEV_JWT_SECRET
from tools import demo
from tools.localkafka import KafkaToolError, LocalKafka
from tools.ports import taken

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("reception", "workshop", "parts", "kpi")  # on --port-base and the ports after it, then the OEM simulator


def _ready(port: int, path: str = "/readyz") -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _wait_ready(name: str, port: int, process: subprocess.Popen[bytes], timeout: float = 60, path: str = "/readyz") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"run: {name} exited with code {process.returncode}; see .data/logs/{name}.log")
        if _ready(port, path):
            return
        time.sleep(0.2)
    raise SystemExit(f"run: {name} was not ready within {timeout:.0f}s; see .data/logs/{name}.log")


def reaped(simulator: subprocess.Popen[bytes] | None) -> subprocess.Popen[bytes] | None:
    """The simulator while it plays; once it ended, reaped (not left a zombie until Ctrl-C) and None."""
    if simulator is None or simulator.poll() is None:
        return simulator
    print(f"run: the simulated day ended (exit code {simulator.returncode}); the services keep running")
    return None


def _prepare_demo(ports: dict[str, int]) -> None:
    token = mint_token(os.environ.get("PITWALL_JWT_SECRET", DEV_JWT_SECRET), "dev-run", ["manager"], [demo.DEMO_SITE])
    try:
        asyncio.run(demo.seed(f"http://127.0.0.1:{ports['reception']}", f"http://127.0.0.1:{ports['workshop']}", token))
    except (RuntimeError, OSError, httpx.HTTPError) as exc:  # the services run on; only the demo is missing
        print(f"run: the demo site could not be prepared: {exc}", file=sys.stderr)
        return
    mint = f".venv/bin/python -m shared.auth mint --sub me --roles advisor,manager --sites {demo.DEMO_SITE}"
    print(f"Demo site    {demo.DEMO_SITE}: open around the clock, bay 'Bay 1', technician {demo.DEMO_TECHNICIAN}")
    print(f"Sign in      export TOKEN=$({mint})")
    print("             then a first repair order, step by step: README.md, 'Your first repair order'")


def main() -> int:
    """Start everything, print where it is, and stop it all on Ctrl-C."""
    parser = argparse.ArgumentParser(prog="./dev run")
    parser.add_argument("--data-dir", default=str(ROOT / ".data"))
    parser.add_argument("--kafka-port", type=int, default=9092, help="the broker's port (its controller listens on the next one)")
    parser.add_argument("--port-base", type=int, default=8001, help="reception's port; workshop, parts, kpi, OEM simulator follow it")
    parser.add_argument("--simulate", action="store_true", help="once everything is up, play two sites' working day through the APIs")
    args = parser.parse_args()
    data_dir = Path(args.data_dir).resolve()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    ports = {name: args.port_base + offset for offset, name in enumerate(SERVICES)}
    oem_port = args.port_base + len(SERVICES)
    broker = LocalKafka(data_dir / "kafka", port=args.kafka_port, controller_port=args.kafka_port + 1)
    wanted = {**ports, "oem-simulator": oem_port}
    if not broker.is_running():  # a broker this data dir left running is reused
        wanted |= {"Kafka": broker.port, "Kafka controller": broker.controller_port}
    if busy := taken(wanted):
        print("run: " + "\nrun: ".join(busy), file=sys.stderr)
        print("run: stop it, or choose other ports: ./dev run --port-base N --kafka-port M", file=sys.stderr)
        return 1
    try:
        broker.ensure_jars()
        broker.start()
    except KafkaToolError as exc:
        print(f"run: {exc}", file=sys.stderr)
        return 1
    print(f"Kafka        {broker.bootstrap}")

    env = {
        **os.environ,
        "PITWALL_DATA_DIR": str(data_dir),
        "PITWALL_KAFKA_BOOTSTRAP": broker.bootstrap,
        "PITWALL_RECEPTION_OEM_BASE_URL": f"http://127.0.0.1:{oem_port}",
        "PITWALL_OEM_SIM_WEBHOOK_URL": f"http://127.0.0.1:{ports['reception']}/warranty/webhooks/oem",
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    simulator: subprocess.Popen[bytes] | None = None
    stopping = False

    def stop_all(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    try:
        for name, port in ports.items():
            log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child for its lifetime
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
            )
        log = open(logs / "oem-simulator.log", "ab")  # noqa: SIM115 - handed to the child for its lifetime
        processes["oem-simulator"] = subprocess.Popen(
            [sys.executable, "-m", "tools.oem_simulator", "--port", str(oem_port)], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        for name, port in ports.items():
            _wait_ready(name, port, processes[name])
            print(f"{name:<12} http://127.0.0.1:{port}  (API docs: /docs, metrics: /metrics)")
        _wait_ready("oem-simulator", oem_port, processes["oem-simulator"])
        print(f"{'oem-simulator':<12} http://127.0.0.1:{oem_port}  (a car maker's warranty system, simulated)")
        _prepare_demo(ports)
        print(f"Logs in {logs}. Tokens for other sites: .venv/bin/python -m shared.auth mint --sub me --roles manager --sites SITE")
        print("Press Ctrl-C to stop everything.")
        if args.simulate:
            urls = [f"--{name}=http://127.0.0.1:{port}" for name, port in ports.items()]
            simulator = subprocess.Popen([sys.executable, "-m", "tools.simulator", "--sites", "2", "--speed", "600", *urls,
                                          "--log", str(data_dir / "simulator-log.jsonl")], cwd=ROOT, env=env)
        while not stopping:
            simulator = reaped(simulator)
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"run: {name} exited with code {process.returncode}; stopping", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        if simulator is not None and simulator.poll() is None:
            simulator.terminate()
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        broker.stop()
        print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The whole system as separate processes: each service on its own port, database and consumer group."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text

from shared.db import create_engine
from shared.migrations import upgrade_to_head
from tools.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("reception", "workshop", "parts", "kpi")


class ServiceProcess:
    """`python -m services.<name> --port P` (or another module), with its log in a file."""

    def __init__(self, name: str, env: dict[str, str], logs: Path, *, module: str = "", ready_path: str = "/readyz",
                 port: int | None = None) -> None:
        self.name = name
        self.module = module or f"services.{name}"
        self.ready_path = ready_path
        self.port = port or free_port()
        self.env = env
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process (the same port, database and consumer group as before)."""
        self.starts += 1
        log = self.log_path.open("ab")
        log.write(f"\n=== start {self.starts} ===\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, "--port", str(self.port)], cwd=ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()

    async def ready(self, timeout: float = 60.0) -> None:
        """Wait until /readyz answers 200 (bounded); fail with the log's tail if the process died."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
                try:
                    if (await client.get(self.ready_path)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} not ready within {timeout:.0f}s:\n{self.tail()}")

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, as an orchestrator stops a container; SIGKILL only if it does not stop in time."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"{self.name} did not stop within {timeout:.0f}s of SIGTERM:\n{self.tail()}") from None

    def tail(self, lines: int = 40) -> str:
        """The end of the process's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class System:
    """The four services on PostgreSQL databases and a real Kafka broker, and the car maker's (simulated) warranty system."""

    def __init__(self, kafka: str, databases: dict[str, str], logs: Path) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        run = uuid.uuid4().hex[:8]
        base = {k: v for k, v in os.environ.items() if not k.startswith("PITWALL_")}
        oem_port, reception_port = free_port(), free_port()
        self.oem = ServiceProcess("oem-simulator", {**base, "PITWALL_OEM_SIM_WEBHOOK_URL":
                                                    f"http://127.0.0.1:{reception_port}/warranty/webhooks/oem"},
                                  logs, module="tools.oem_simulator", ready_path="/healthz", port=oem_port)
        self.services: dict[str, ServiceProcess] = {}
        for name in SERVICES:
            prefix = f"PITWALL_{name.upper()}_"
            env = {
                **base, "PITWALL_KAFKA_BOOTSTRAP": kafka, "PITWALL_DATA_DIR": str(logs / "data"), "PITWALL_LOG_LEVEL": "INFO",
                f"{prefix}DATABASE_URL": databases[name], f"{prefix}CONSUMER_GROUP": f"e2e-{name}-{run}",
                "PITWALL_RELAY_POLL_SECONDS": "0.5", "PITWALL_RECEPTION_OEM_BASE_URL": f"http://127.0.0.1:{oem_port}",
                "PITWALL_RECEPTION_WARRANTY_QUEUE_POLL_SECONDS": "0.5",
            }
            self.services[name] = ServiceProcess(name, env, logs, port=reception_port if name == "reception" else None)

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    @property
    def groups(self) -> list[str]:
        """The consumer groups of the services (their dead-letter topics are `<group>.dlq`)."""
        return [s.env[f"PITWALL_{n.upper()}_CONSUMER_GROUP"] for n, s in self.services.items()]

    async def start_from_now(self, kafka: str, databases: dict[str, str]) -> None:
        """Migrate the fresh databases and store each consumer's offsets at the topics' current ends.

        A shared broker carries every earlier test's history; a new consumer group would replay all of it (minutes),
        so the system starts as one deployed onto a running cluster: from now on. Every event of the day comes later.
        """
        ends = await topic_ends(kafka)
        for name, url in databases.items():
            engine = create_engine(url)
            try:
                await upgrade_to_head(engine, name)
                group = self.services[name].env[f"PITWALL_{name.upper()}_CONSUMER_GROUP"]
                async with engine.begin() as connection:
                    for (topic, partition), end in ends.items():
                        await connection.execute(
                            text("INSERT INTO consumer_offset (consumer, topic, partition, next_offset) VALUES (:c, :t, :p, :o)"),
                            {"c": group, "t": topic, "p": partition, "o": end})
            finally:
                await engine.dispose()

    async def start(self) -> None:
        """Start every service and wait until all are ready."""
        for service in [self.oem, *self.services.values()]:
            service.start()
        for service in [self.oem, *self.services.values()]:
            await service.ready()

    def stop(self) -> None:
        """Stop every service that still runs."""
        for service in [*self.services.values(), self.oem]:
            try:
                service.stop()
            except AssertionError:
                pass

    async def restart(self, name: str) -> None:
        """SIGTERM one service, then start it again and wait until it is ready."""
        service = self.services[name]
        code = service.stop()
        this_run = service.log_path.read_text(errors="replace").rsplit("=== start", 1)[-1]
        # uvicorn re-raises the signal once it has shut down cleanly, so -SIGTERM is a normal exit.
        assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in this_run, \
            f"{name} did not shut down cleanly on SIGTERM (exit {code}):\n{service.tail()}"
        service.start()
        await service.ready()


async def topic_ends(kafka: str) -> dict[tuple[str, int], int]:
    """The end offset of every partition of the event topics."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        topics = [t for t in cluster.topics() if t.startswith("pitwall.") and t.endswith(".v1")]
        partitions = [TopicPartition(t, p) for t in topics for p in cluster.partitions_for_topic(t) or ()]
        ends = await consumer.end_offsets(partitions) if partitions else {}
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): end for tp, end in ends.items()}

"""Build any service generically, in-process or as a real process, for the hardening tests."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI

from shared.db import create_engine
from shared.kafka_admin import ensure_topics
from shared.migrations import tables_module, upgrade_to_head
from shared.settings import ServiceSettings
from tools.ports import free_port

SERVICES = ("reception", "workshop", "parts", "kpi")
REPO = Path(__file__).resolve().parents[2]


def settings_of(service: str, database_url: str, **overrides: Any) -> ServiceSettings:
    """The service's own settings class, on the given DB; no relay or consumer unless asked."""
    module = importlib.import_module(f"services.{service}.settings")
    cls = next(v for k, v in vars(module).items() if k.endswith("Settings") and k != "ServiceSettings")
    overrides.setdefault("run_relay", False)
    overrides.setdefault("run_consumer", False)
    return cls(database_url=database_url, **overrides)


def create(service: str, database_url: str, **overrides: Any) -> FastAPI:
    """The service's app, built by its own `create_app`."""
    return create_from(service, settings_of(service, database_url, **overrides))


def create_from(service: str, settings: ServiceSettings) -> FastAPI:
    """The service's app on these settings."""
    return importlib.import_module(f"services.{service}.app").create_app(settings)


async def from_now_on(service: str, settings: ServiceSettings, topics: list[str]) -> None:
    """Migrate the service's DB and store its consumer's offsets at the topics' current ends.

    Only what the test publishes from now on matters to it; the shared topics' history of other tests is skipped rather
    than replayed into every fresh database.
    """
    infra = importlib.import_module(tables_module(service)).infra
    engine = create_engine(settings.resolved_database_url())
    try:
        await upgrade_to_head(engine, service)
        await ensure_topics(settings.kafka_bootstrap, topics)
        reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
        await reader.start()
        try:
            cluster = await reader._client.fetch_all_metadata()
            ends = await reader.end_offsets([TopicPartition(t, p) for t in topics for p in cluster.partitions_for_topic(t) or ()])
        finally:
            await reader.stop()
        async with engine.begin() as connection:
            for tp, end in ends.items():
                await connection.execute(infra.consumer_offset.insert().values(
                    consumer=settings.resolved_consumer_group(), topic=tp.topic, partition=tp.partition, next_offset=end))
    finally:
        await engine.dispose()


def sqlite_url(directory: Path, name: str) -> str:
    """A SQLite file URL in a test's directory."""
    return f"sqlite+aiosqlite:///{directory / name}.db"


class ServiceProcess:
    """`python -m services.<name>` as a real OS process, with its stderr (JSON logs) kept in a file."""

    def __init__(self, service: str, env: dict[str, str], log_path: Path) -> None:
        self.service = service
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        """Start it and wait until /healthz answers."""
        env = {**os.environ, "PYTHONPATH": str(REPO), **self._env}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.service}", "--port", str(self.port)],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.service} exited with {self.process.returncode}:\n{self.logs()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling a starting process, not waiting for Kafka
        raise AssertionError(f"{self.service} did not answer within {timeout}s:\n{self.logs()[-3000:]}")

    def kill(self, sig: int) -> None:
        """Send a signal to the process."""
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        """Wait for the process to end; its exit code."""
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        """End it (SIGTERM, then SIGKILL) if still running."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(15)

    def logs(self) -> str:
        """Everything it wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

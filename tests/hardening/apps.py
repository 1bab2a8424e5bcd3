"""Build any service generically, in-process or as a real process, for the hardening tests."""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from shared.settings import ServiceSettings

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
    module = importlib.import_module(f"services.{service}.app")
    return module.create_app(settings_of(service, database_url, **overrides))


def sqlite_url(directory: Path, name: str) -> str:
    """A SQLite file URL in a test's directory."""
    return f"sqlite+aiosqlite:///{directory / name}.db"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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

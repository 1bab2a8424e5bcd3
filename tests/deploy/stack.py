"""Real processes for the PromQL proof: kpi service instances and Debian's Prometheus, each on a free local port."""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tools.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))


class Process:
    """A child process with its output in a log file, stopped with SIGTERM (SIGKILL if it hangs)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def check_alive(self) -> None:
        """Fail with the log's tail if the process has exited."""
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines: int = 30) -> str:
        """The end of the log."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


async def wait_until_answers(process: Process, url: str, timeout: float = 60.0) -> None:
    """Poll a URL until it answers 200 (no fixed sleep: each attempt is a request)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            process.check_alive()
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{process.name} did not answer {url} within {timeout:.0f}s:\n{process.tail()}")


def kpi_instance(name: str, logs: Path, database_url: str, kafka: str, group: str, *, consumer: bool) -> tuple[Process, str]:
    """`python -m services.kpi` on a free port; (process, base URL)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITWALL_")}
    env.update({
        "PITWALL_KAFKA_BOOTSTRAP": kafka, "PITWALL_KPI_DATABASE_URL": database_url, "PITWALL_KPI_CONSUMER_GROUP": group,
        "PITWALL_LOG_LEVEL": "WARNING",
        "PITWALL_KPI_RUN_CONSUMER": str(consumer).lower(), "PITWALL_KPI_RUN_RELAY": str(consumer).lower(),
    })
    argv = [sys.executable, "-m", "services.kpi", "--host", "127.0.0.1", "--port", str(port)]
    return Process(name, argv, env, logs), f"http://127.0.0.1:{port}"


def prometheus_binary() -> str:
    """Debian's prometheus (package `prometheus`)."""
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed (apt-get install prometheus)"
    return binary


def prometheus(logs: Path, kpi_targets: list[str], dead_target: str) -> tuple[Process, str]:
    """Prometheus scraping the kpi instances every 5 s with the repo's rules; (process, base URL).

    Not every second: on the shared test broker the kpi also projects every other test's sites, and on a busy
    machine its /metrics page then takes seconds, longer than a 1 s scrape may wait.
    """
    port = free_port()
    config = {
        "global": {"scrape_interval": "5s", "scrape_timeout": "5s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in RULES],
        "scrape_configs": [
            {"job_name": "pitwall-kpi", "static_configs": [{"targets": kpi_targets}]},
            {"job_name": "pitwall-services", "static_configs": [{"targets": [dead_target]}]},
        ],
    }
    config_path = logs / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    storage = logs / "prometheus-data"
    argv = [prometheus_binary(), f"--config.file={config_path}", f"--storage.tsdb.path={storage}",
            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
    return Process("prometheus", argv, dict(os.environ), logs), f"http://127.0.0.1:{port}"


class Prom:
    """Queries over Prometheus's HTTP API."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def query(self, expr: str, at: float | None = None) -> list[tuple[dict[str, str], float]]:
        """An instant query (at now, or at a POSIX time): (labels, value) of each series; fails on an API error."""
        params = {"query": expr} if at is None else {"query": expr, "time": f"{at:.3f}"}
        async with httpx.AsyncClient(base_url=self.url, timeout=10.0) as client:
            response = await client.get("/api/v1/query", params=params)
        body = response.json()
        assert response.status_code == 200 and body["status"] == "success", f"{expr}: {body}"
        assert body["data"]["resultType"] == "vector", f"{expr}: {body['data']['resultType']}"
        return [(sample["metric"], float(sample["value"][1])) for sample in body["data"]["result"]]

    async def get(self, path: str, **params: Any) -> Any:
        """The data of an API answer."""
        async with httpx.AsyncClient(base_url=self.url, timeout=10.0) as client:
            response = await client.get(path, params=params)
        body = response.json()
        assert response.status_code == 200 and body["status"] == "success", body
        return body["data"]


def same(a: float, b: float, tolerance: float = 1e-9) -> bool:
    """Equal within a relative tolerance (NaN never equals)."""
    return not math.isnan(a) and math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)

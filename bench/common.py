"""What every benchmark shares: the machine, a broker of its own, service processes, databases, percentiles, the report."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tools import localpg
from tools.localkafka import LocalKafka
from tools.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KAFKA_PORT = 19392  # not the shared broker at 9092: a benchmark's topics and load stay its own


def machine() -> dict[str, Any]:
    """Where the run happens: CPU, cores, memory, load (other people's tests may be loading the machine)."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_mb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_mb = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {"cpu": model, "cores": os.cpu_count(), "memory_mb": memory_mb, "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()], "started_at": datetime.now(UTC).isoformat(timespec="seconds")}


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return float(ordered[int(rank) - 1])


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Count, p50, p99 and max of latencies, in milliseconds."""
    return {"count": len(seconds), "p50_ms": round(percentile(seconds, 50) * 1000, 2),
            "p99_ms": round(percentile(seconds, 99) * 1000, 2), "max_ms": round(max(seconds) * 1000, 2)}


@dataclass
class Report:
    """A benchmark's figures: printed as a short table and written as JSON."""

    name: str
    params: dict[str, Any]
    machine: dict[str, Any] = field(default_factory=machine)
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def row(self, what: str, value: Any, note: str = "") -> None:
        """One line of the table."""
        self.rows.append((what, f"{value:,.1f}" if isinstance(value, float) else str(value), note))

    def target(self, name: str, value: float, limit: float, *, at_least: bool) -> None:
        """A target of the issue, and whether this run met it."""
        met = value >= limit if at_least else value <= limit
        self.targets[name] = {"value": round(value, 4), "target": f"{'>=' if at_least else '<='} {limit}", "met": met}
        self.row(f"target {name}", f"{value:.3g} ({'>=' if at_least else '<='} {limit})", "met" if met else "NOT MET")

    def finish(self, json_path: Path | None) -> dict[str, Any]:
        """Print the table, write the JSON, and return what was written."""
        self.machine["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        data = {"benchmark": self.name, "params": self.params, "machine": self.machine, "figures": self.figures,
                "targets": self.targets}
        width = max((len(r[0]) for r in self.rows), default=10)
        print(f"\n{self.name}  ({self.machine['cores']} cores, {self.machine['cpu']}, load {self.machine['load_average']}"
              f" → {self.machine['load_average_end']})")
        for what, value, note in self.rows:
            print(f"  {what:<{width}}  {value:>22}  {note}")
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
            print(f"  → {json_path}")
        return data


@contextlib.contextmanager
def own_broker(port: int = DEFAULT_KAFKA_PORT, controller_port: int | None = None) -> Iterator[str]:
    """A fresh single-node Kafka on its own ports and data directory, removed afterwards; yields its bootstrap."""
    data_dir = Path(tempfile.mkdtemp(prefix="pitwall-bench-kafka-"))
    broker = LocalKafka(data_dir, port=port, controller_port=controller_port or port + 1)
    try:
        broker.start(timeout=120)
        yield broker.bootstrap
    finally:
        broker.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.asynccontextmanager
async def database(kind: str, work_dir: Path, name: str) -> AsyncIterator[str]:
    """A fresh database: a SQLite file in the work dir, or a new PostgreSQL database (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{work_dir / f'{name}.db'}"
        return
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r}")
    localpg.ensure_running()
    db_name = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    url = await localpg.acreate_database(db_name)
    try:
        yield url
    finally:
        await localpg.adrop_database(db_name)


class DbScalar:
    """One number read straight from a service's database (written as `$1`-style SQL), e.g. how far it has got.

    SQLite is read on a read-only connection (0 until the file and its tables exist); PostgreSQL through asyncpg.
    """

    def __init__(self, url: str, query: str, *params: Any) -> None:
        self._url, self._query, self._params = url, query, params
        self._sqlite_query = query  # the same with `?` placeholders, written once (it is read every few milliseconds)
        for n in range(len(params), 0, -1):
            self._sqlite_query = self._sqlite_query.replace(f"${n}", "?")
        self._sqlite: sqlite3.Connection | None = None
        self._pg: asyncpg.Connection | None = None

    async def value(self) -> int:
        """The query's single value now."""
        if self._url.startswith("sqlite"):
            return await asyncio.to_thread(self._sqlite_value)
        if self._pg is None:
            self._pg = await asyncpg.connect(self._url.replace("postgresql+asyncpg", "postgresql"))
        try:
            return int(await self._pg.fetchval(self._query, *self._params) or 0)
        except asyncpg.UndefinedTableError:  # the service has not created its tables yet
            return 0

    def _sqlite_value(self) -> int:
        if self._sqlite is None:
            path = self._url.split("///", 1)[1]
            if not Path(path).exists():
                return 0
            self._sqlite = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, isolation_level=None,
                                           check_same_thread=False)
        try:
            return int(self._sqlite.execute(self._sqlite_query, self._params).fetchone()[0] or 0)
        except sqlite3.OperationalError:  # the service has not created its tables yet
            return 0

    async def close(self) -> None:
        """Close its connection."""
        if self._pg is not None:
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: ours without PITWALL_* settings, plus these."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PITWALL_")}, **extra}


class Process:
    """A child process (a service under uvicorn, or a bench app), its log in a file, its memory and CPU from /proc."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path, port: int, root: Path = ROOT) -> None:
        self.name, self.argv, self.env, self.port, self.root = name, argv, env, port, root
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.profiled = False

    @classmethod
    def service(cls, name: str, env: dict[str, str], log_dir: Path, profile: Path | None = None, root: Path = ROOT) -> Process:
        """`python -m services.<name> --port P` in the checkout at `root`; with `profile`, under pyinstrument (its main
        thread), written there as text."""
        port = free_port()
        wrapper = ["-m", "pyinstrument", "-i", "0.005", "-o", str(profile)] if profile is not None else []
        process = cls(name, [sys.executable, *wrapper, "-m", f"services.{name}", "--port", str(port)], env, log_dir, port, root)
        process.profiled = profile is not None
        return process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start it (log appended to its file)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.argv, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    async def ready(self, path: str = "/readyz", timeout: float = 120.0) -> None:
        """Wait until `path` answers 200; fail with the log's tail if the process died or never answered."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=5.0) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(path)).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready within {timeout:.0f}s:\n{self.tail()}")

    def _pids(self) -> list[int]:
        """This process and its descendants (a service's worker processes count as the service)."""
        assert self.process is not None
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children.get(pid, [])
        return found

    def _status(self, key: str) -> int:
        total = 0
        for pid in self._pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(key + ":"):
                        total += int(line.split()[1]) * 1024
        return total

    def rss_bytes(self) -> int:
        """Resident memory now (with its worker processes)."""
        return self._status("VmRSS")

    def rss_by_process(self) -> list[int]:
        """Resident memory of it, then of each of its worker processes."""
        rss = []
        for pid in self._pids():
            with contextlib.suppress(OSError):
                rss += [int(line.split()[1]) * 1024 for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                        if line.startswith("VmRSS:")]
        return rss

    def peak_rss_bytes(self) -> int:
        """The sum of the highest resident memory of it and its worker processes."""
        return self._status("VmHWM")

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far (with its worker processes)."""
        total = 0
        for pid in self._pids():
            with contextlib.suppress(OSError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (SIGINT under pyinstrument, which writes its profile then), then SIGKILL if it does not stop in time."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT if self.profiled else signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def tail(self, lines: int = 40) -> str:
        """The end of its log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def work_dir(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A scratch directory for databases and logs of one run, removed afterwards unless `keep`."""
    path = Path(tempfile.mkdtemp(prefix=f"pitwall-bench-{prefix}-"))
    try:
        yield path
    finally:
        if keep:
            print(f"  databases and logs kept in {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)

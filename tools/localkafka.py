"""Run a single-node KRaft Apache Kafka (broker + controller) on 127.0.0.1 without Docker."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parent.parent
KAFKA_DEPLOY_DIR = REPO_ROOT / "deploy" / "kafka"
KAFKA_LIB_DIR = KAFKA_DEPLOY_DIR / "lib"
KAFKA_POM = KAFKA_DEPLOY_DIR / "pom.xml"

_T = TypeVar("_T")


class KafkaToolError(RuntimeError):
    """A human-readable failure of the local Kafka tool."""


def _new_cluster_id() -> str:
    # Kafka cluster ids are 16 random bytes in unpadded url-safe base64; a leading "-" confuses CLI parsing.
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _proc_state(stat_path: Path) -> list[str]:
    """Return the fields of a /proc stat file after the command name (index 0 is the state)."""
    return stat_path.read_text().rsplit(")", 1)[-1].split()


def _run_coro(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine to completion, even when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: list[_T] = []
    error: list[BaseException] = []

    def runner() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=runner, name="localkafka-probe")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


@contextlib.contextmanager
def _quiet_aiokafka() -> Iterator[None]:
    # Connection-refused retries during startup are expected; keep them out of the user's stderr.
    logger = logging.getLogger("aiokafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


async def _metadata_ready(bootstrap: str, timeout_s: float) -> bool:
    """Return True if the broker answers a metadata request listing at least one broker."""
    try:
        from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
    except ImportError as exc:
        raise KafkaToolError("aiokafka is not installed; it is needed to check broker readiness") from exc
    timeout_ms = max(500, int(timeout_s * 1000))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms)
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        info = await asyncio.wait_for(admin.describe_cluster(), timeout_s)
        return bool(info.get("brokers"))
    except KafkaToolError:
        raise
    except Exception:  # noqa: BLE001 - a broker that does not answer is not up, whatever the error
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


class LocalKafka:
    """A single-node KRaft Kafka broker+controller whose state lives in one data directory."""

    def __init__(
        self,
        data_dir: Path,
        port: int = 9092,
        controller_port: int = 9093,
        heap: str = "1g",
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients should use."""
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        """Path of the file holding the broker's pid."""
        return self.data_dir / "kafka.pid"

    @property
    def start_time_file(self) -> Path:
        """Path of the file holding the broker's process start time (guards against pid reuse)."""
        return self.data_dir / "kafka.starttime"

    @property
    def log_file(self) -> Path:
        """Path of the broker's log4j2 log."""
        return self.data_dir / "server.log"

    @property
    def properties_file(self) -> Path:
        """Path of the generated server.properties."""
        return self.data_dir / "server.properties"

    def ensure_jars(self) -> None:
        """Make sure deploy/kafka/lib holds the broker classpath, running Maven if it does not."""
        if shutil.which("java") is None:
            raise KafkaToolError("java not found on PATH; install a JDK >= 17 (e.g. apt-get install openjdk-17-jre-headless)")
        if self._has_jars():
            return
        if shutil.which("mvn") is None:
            raise KafkaToolError(
                f"Kafka jars missing in {KAFKA_LIB_DIR} and mvn not found on PATH; install Maven (apt-get install maven)"
            )
        KAFKA_DEPLOY_DIR.mkdir(parents=True, exist_ok=True)
        # Several test processes may call this at once; only one Maven run may write into lib/.
        with open(KAFKA_DEPLOY_DIR / ".lib.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._has_jars():
                return
            proc = subprocess.run(
                ["mvn", "-q", "-B", "-f", str(KAFKA_POM), "package"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                check=False,
            )
            if proc.returncode != 0 or not self._has_jars():
                tail = proc.stdout.decode(errors="replace").strip().splitlines()[-15:]
                raise KafkaToolError(
                    f"mvn package on {KAFKA_POM} failed (rc={proc.returncode}):\n" + "\n".join(tail)
                )

    @staticmethod
    def _has_jars() -> bool:
        return any(KAFKA_LIB_DIR.glob("kafka_2.13-*.jar"))

    def pid(self) -> int | None:
        """Return the pid of the running broker for this data dir, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if self._pid_alive(pid) else None

    def _pid_alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None
        proc_dir = Path(f"/proc/{pid}")
        if not self._same_process(pid, proc_dir):
            return False
        # The JVM's leader thread can be a zombie while other threads still hold the sockets open.
        try:
            tasks = list((proc_dir / "task").iterdir())
        except OSError:
            return False
        for task in tasks:
            with contextlib.suppress(OSError):
                if _proc_state(task / "stat")[0] not in ("Z", "X"):
                    return True
        return False

    def _same_process(self, pid: int, proc_dir: Path) -> bool:
        # Rejects a recycled pid: the start time recorded at launch must match.
        try:
            recorded = self.start_time_file.read_text().strip()
        except OSError:
            recorded = ""
        try:
            if recorded:
                return _proc_state(proc_dir / "stat")[19] == recorded
            cmdline = (proc_dir / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            return False
        return b"kafka.Kafka" in cmdline and str(self.properties_file).encode() in cmdline

    def is_running(self) -> bool:
        """Return True if the broker process for this data dir is alive."""
        return self.pid() is not None

    def is_ready(self, timeout: float = 2.0) -> bool:
        """Return True if the broker answers a metadata request."""
        if not _port_open(self.port):
            return False
        with _quiet_aiokafka():
            return _run_coro(_metadata_ready(self.bootstrap, timeout))

    def _cluster_id(self) -> str:
        id_file = self.data_dir / "cluster.id"
        if id_file.exists():
            cid = id_file.read_text().strip()
            if cid:
                return cid
        cid = _new_cluster_id()
        id_file.write_text(cid + "\n")
        return cid

    def _write_config(self) -> None:
        logs = self.data_dir / "logs"
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(logs),
            "num.partitions": "3",
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "3",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
            # After a SIGKILL the restarted controller keeps the dead broker's session until this expires.
            "broker.session.timeout.ms": "3000",
            "broker.heartbeat.interval.ms": "500",
        }
        text = "".join(f"{k}={v}\n" for k, v in props.items())
        self.properties_file.write_text(text)
        log4j = "\n".join(
            [
                "status = warn",
                "appender.file.type = RollingFile",
                "appender.file.name = file",
                f"appender.file.fileName = {self.log_file}",
                f"appender.file.filePattern = {self.log_file}.%i",
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = [%d] %p %m (%c)%n",
                "appender.file.policies.type = Policies",
                "appender.file.policies.size.type = SizeBasedTriggeringPolicy",
                "appender.file.policies.size.size = 50MB",
                "appender.file.strategy.type = DefaultRolloverStrategy",
                "appender.file.strategy.max = 2",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = file",
                "",
            ]
        )
        (self.data_dir / "log4j2.properties").write_text(log4j)

    def _java_base(self, *jvm_opts: str) -> list[str]:
        return [
            "java",
            *jvm_opts,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            "-cp",
            f"{KAFKA_LIB_DIR}/*",
        ]

    def _format_storage(self) -> None:
        if (self.data_dir / "logs" / "meta.properties").exists():
            return
        cmd = self._java_base() + [
            "kafka.tools.StorageTool",
            "format",
            "-t",
            self._cluster_id(),
            "-c",
            str(self.properties_file),
            "--ignore-formatted",
        ]
        proc = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
        )
        if proc.returncode != 0:
            out = proc.stdout.decode(errors="replace").strip()
            raise KafkaToolError(f"kafka storage format failed (rc={proc.returncode}): {out}")

    def _log_tail(self, lines: int = 20) -> str:
        chunks: list[str] = []
        for path in (self.data_dir / "stdout.log", self.log_file):
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace").strip().splitlines()[-lines:]
                if text:
                    chunks.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(chunks)

    def start(self, timeout: float = 60) -> None:
        """Start the broker in the background and return once it answers metadata requests."""
        deadline = time.monotonic() + timeout
        self.ensure_jars()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Concurrent callers (e.g. parallel test workers) must not launch two brokers on one data dir.
        with open(self.data_dir / ".start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.is_running():
                for port in (self.port, self.controller_port):
                    if _port_open(port):
                        raise KafkaToolError(f"port {port} on 127.0.0.1 is already in use by another process")
                self._write_config()
                self._format_storage()
                self._launch()
            self._wait_ready(deadline)

    def _launch(self) -> None:
        jvm = (f"-Xmx{self.heap}", f"-Xms{self.heap}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20")
        cmd = self._java_base(*jvm) + ["kafka.Kafka", str(self.properties_file)]
        with open(self.data_dir / "stdout.log", "wb") as out:
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        with contextlib.suppress(OSError, IndexError):
            self.start_time_file.write_text(_proc_state(Path(f"/proc/{self._proc.pid}/stat"))[19] + "\n")
        self.pid_file.write_text(f"{self._proc.pid}\n")

    def _wait_ready(self, deadline: float) -> None:
        delay = 0.1
        while True:
            if not self.is_running():
                raise KafkaToolError(f"Kafka exited during startup; log tail:\n{self._log_tail()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KafkaToolError(f"Kafka at {self.bootstrap} not ready in time; log tail:\n{self._log_tail()}")
            if self.is_ready(timeout=min(2.0, max(0.5, remaining))):
                return
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 1.5, 0.5)

    def _signal_group(self, pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._pid_alive(pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def _reap(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
            self._proc = None

    def stop(self, timeout: float = 30) -> None:
        """Gracefully stop the broker (SIGTERM to its process group, SIGKILL after timeout)."""
        pid = self.pid()
        if pid is not None:
            self._signal_group(pid, signal.SIGTERM)
            if not self._wait_exit(pid, timeout):
                self._signal_group(pid, signal.SIGKILL)
                self._wait_exit(pid, 10)
        self._reap()
        self.pid_file.unlink(missing_ok=True)
        self.start_time_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """Kill the broker immediately with SIGKILL, as a crash would."""
        pid = self.pid()
        if pid is not None:
            self._signal_group(pid, signal.SIGKILL)
            self._wait_exit(pid, 10)
        self._reap()
        self.pid_file.unlink(missing_ok=True)
        self.start_time_file.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: start, stop or report the local broker."""
    parser = argparse.ArgumentParser(prog="python -m tools.localkafka", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=Path(".data/kafka"))
    common.add_argument("--port", type=int, default=9092)
    common.add_argument("--controller-port", type=int, default=9093)
    common.add_argument("--heap", default="1g")
    common.add_argument("--timeout", type=float, default=60)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "stop", "status"):
        sub.add_parser(name, parents=[common])
    args = parser.parse_args(argv)
    kafka = LocalKafka(args.data_dir, port=args.port, controller_port=args.controller_port, heap=args.heap)
    try:
        if args.command == "start":
            began = time.monotonic()
            kafka.start(timeout=args.timeout)
            print(kafka.bootstrap)
            print(f"kafka ready (pid {kafka.pid()}, {time.monotonic() - began:.1f}s)", file=sys.stderr)
            return 0
        if args.command == "stop":
            kafka.stop(timeout=args.timeout)
            return 0
        pid = kafka.pid()
        if pid is None:
            print(f"not running ({kafka.data_dir})")
            return 3
        state = "ready" if kafka.is_ready() else "starting"
        print(f"running pid={pid} bootstrap={kafka.bootstrap} state={state}")
        return 0
    except KafkaToolError as exc:
        print(f"localkafka: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

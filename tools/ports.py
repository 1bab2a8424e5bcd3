"""Free TCP ports for the processes tests and benchmarks start, chosen so that nothing else takes them first.

Binding port 0 hands out an ephemeral port: until the service binds it, any outgoing connection on the machine (to
Kafka, to PostgreSQL) may be given the same port as its source, and the service then fails with "address already in
use". So a port is drawn at random below the kernel's ephemeral range (never used for outgoing connections), above the
fixed ports the project's brokers and databases listen on, checked bindable, and never handed out twice by one process
(two services started side by side would otherwise get the same port, as nothing binds it in between).
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import threading
from pathlib import Path

LOWEST = 20_000  # above every fixed port of the project: PostgreSQL 5432, the dev broker 9092 and its controller
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_EPHEMERAL = (32_768, 60_999)  # Linux's default, when /proc says nothing

_given: set[int] = set()
_lock = threading.Lock()
_random = random.SystemRandom()  # a seeded `random` in a test must not make two processes draw the same ports


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range of source ports for outgoing connections (first, last)."""
    try:
        first, last = (int(part) for part in EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL
    return first, last


def candidate_ports() -> range:
    """The ports `free_port` draws from: from LOWEST up to the ephemeral range."""
    first, _ = ephemeral_range()
    if first - LOWEST < 1000:
        raise RuntimeError(f"the ephemeral range starts at {first}: too few ports between {LOWEST} and it for services")
    return range(LOWEST, first)


def bindable(port: int) -> bool:
    """Whether a listener could bind 127.0.0.1:`port` now (no listener, no connection on it, none lingering)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port below the ephemeral range that nobody uses now and this process has not handed out before."""
    ports = candidate_ports()
    with _lock:
        for _ in range(500):
            port = _random.choice(ports)
            if port not in _given and bindable(port):
                _given.add(port)
                return port
    raise RuntimeError(f"no free port found between {ports.start} and {ports.stop - 1}")


_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == _LISTEN:
                    inodes.add(fields[9])
    return inodes


def holder(port: int) -> str | None:
    """Who listens on `port`: "pid N (command line)" where /proc shows it, else None (another user's process, or no Linux)."""
    inodes = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                return f"pid {proc.name} ({command})"
    return None


def taken(ports: dict[str, int]) -> list[str]:
    """For each named port that cannot be bound now, a line naming it and, where it can, the process holding it."""
    lines = []
    for name, port in ports.items():
        if not bindable(port):
            who = holder(port)
            lines.append(f"port {port} ({name}) is already in use" + (f" by {who}" if who else ""))
    return lines

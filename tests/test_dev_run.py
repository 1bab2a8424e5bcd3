"""`./dev run` as a newcomer meets it: what it says when it cannot start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

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

"""A Kafka broker of a test module's own."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.localkafka import KafkaToolError, LocalKafka
from tools.ports import free_port


@contextlib.contextmanager
def private_broker(directory: Path) -> Iterator[LocalKafka]:
    """A broker on its own free ports, so a module can stop it and nobody else's consumers see its events."""
    kafka = LocalKafka(directory, port=free_port(), controller_port=free_port(), heap="512m")
    try:
        kafka.start(timeout=120)
    except KafkaToolError as exc:
        pytest.fail(f"the private Kafka broker did not start: {exc}")
    try:
        yield kafka
    finally:
        kafka.stop()

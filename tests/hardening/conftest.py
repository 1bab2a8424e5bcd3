"""Fixtures of the hardening suite."""

from __future__ import annotations

import os

import pytest

from tools.localkafka import LocalKafka


@pytest.fixture(scope="module")
def bootstrap(kafka_broker: LocalKafka | None) -> str:
    """The shared real broker, for module-scoped apps (the `kafka` fixture is per test)."""
    external = os.environ.get("PITWALL_TEST_KAFKA_BOOTSTRAP")
    if external:
        return external
    if kafka_broker is None:
        pytest.fail("Kafka is not available")
    if not kafka_broker.is_running():
        kafka_broker.start()
    return kafka_broker.bootstrap

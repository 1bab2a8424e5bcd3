"""Real infrastructure for the tests: a local Apache Kafka broker and PostgreSQL databases."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tools import localpg
from tools.localkafka import KafkaToolError, LocalKafka
from tools.ports import free_port

IN_CI = bool(os.environ.get("CI"))
_broker_error: list[str] = []
_pg_error: list[str] = []


def _unavailable(what: str, why: str) -> None:
    """In CI a missing dependency is a failure; on a laptop the test is skipped with the reason."""
    message = f"{what} is not available: {why}"
    if IN_CI or os.environ.get("PITWALL_REQUIRE_INFRA"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[LocalKafka | None]:
    """The session's broker: PITWALL_TEST_KAFKA_BOOTSTRAP if set, else one started for the session."""
    if os.environ.get("PITWALL_TEST_KAFKA_BOOTSTRAP"):
        yield None
        return
    data_dir = Path(tempfile.mkdtemp(prefix="pitwall-kafka-"))
    # Free ports unless told otherwise: a fixed port collides with any other broker or suite on the machine.
    broker = LocalKafka(data_dir, port=int(os.environ.get("PITWALL_TEST_KAFKA_PORT") or free_port()),
                        controller_port=int(os.environ.get("PITWALL_TEST_KAFKA_CONTROLLER_PORT") or free_port()))
    try:
        broker.ensure_jars()
        broker.start()
    except KafkaToolError as exc:
        shutil.rmtree(data_dir, ignore_errors=True)
        _broker_error.append(str(exc))
        yield None
        return
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def kafka(kafka_broker: LocalKafka | None) -> str:
    """Bootstrap address of a real Kafka broker."""
    external = os.environ.get("PITWALL_TEST_KAFKA_BOOTSTRAP")
    if external:
        return external
    if kafka_broker is None:
        _unavailable("Kafka", "; ".join(_broker_error) or "the broker did not start")
    assert kafka_broker is not None
    if not kafka_broker.is_running():
        kafka_broker.start()
    return kafka_broker.bootstrap


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str | None]:
    """The PostgreSQL server URL, started if this machine has the Debian cluster."""
    try:
        yield localpg.ensure_running()
    except localpg.PgToolError as exc:
        _pg_error.append(str(exc))
        yield None


async def _fresh_pg_database(pg_server: str | None) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    if pg_server is None:
        _unavailable("PostgreSQL", "; ".join(_pg_error) or "no server (install Debian's postgresql or set PITWALL_TEST_PG_URL)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = await localpg.acreate_database(name)
    try:
        yield url
    finally:
        await localpg.adrop_database(name)


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_server: str | None) -> AsyncIterator[str]:
    """Each test using it runs once on a SQLite file and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    async for url in _fresh_pg_database(pg_server):
        yield url


@pytest.fixture
async def pg_url(pg_server: str | None) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for this test."""
    async for url in _fresh_pg_database(pg_server):
        yield url

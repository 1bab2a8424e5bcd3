"""The first start on a fresh broker: topics and group coordinators are ready before consumers start, so nothing logs ERROR."""

from __future__ import annotations

import json
import logging
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from aiokafka.errors import GroupCoordinatorNotAvailableError

import shared.runtime
from services.kpi.app import create_app as kpi_app
from services.parts.app import create_app as parts_app
from services.reception.app import create_app as reception_app
from services.workshop.app import create_app as workshop_app
from shared.logs import configure_logging
from tests.kit import eventually, running
from tools.localkafka import LocalKafka
from tools.ports import free_port


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.kafka
async def test_four_services_starting_on_a_fresh_broker_log_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broker = LocalKafka(tmp_path / "kafka", port=free_port(), controller_port=free_port(), heap="256m")
    broker.start()
    seen = Records()

    def configure(service: str, level: str) -> None:
        configure_logging(service, level)
        logging.getLogger().addHandler(seen)

    monkeypatch.setattr(shared.runtime, "configure_logging", configure)
    monkeypatch.setenv("PITWALL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PITWALL_KAFKA_BOOTSTRAP", broker.bootstrap)
    try:
        async with AsyncExitStack() as stack:
            apps = [reception_app(), workshop_app(), parts_app(), kpi_app()]
            for app in apps:
                await stack.enter_async_context(running(app))
            consumers = [app.state.runtime.consumer for app in apps]
            await eventually(lambda: all(c._consumer is not None and c._consumer.assignment() for c in consumers), timeout=60)
    finally:
        broker.stop()
        logging.getLogger().removeHandler(seen)
    errors = [f"{r.name}: {r.getMessage()} {r.exc_info}" for r in seen.records if r.levelno >= logging.ERROR]
    assert errors == []


def test_a_coordinator_not_yet_available_is_logged_as_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("kpi", "INFO")
    logging.getLogger("aiokafka.consumer.group_coordinator").error(
        "Group Coordinator Request failed: %s", GroupCoordinatorNotAvailableError())
    logging.getLogger("aiokafka.consumer.group_coordinator").error("Heartbeat failed: %r", "boom")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["level"], line["message"][:18]) for line in lines] == [("WARNING", "Group Coordinator "), ("ERROR", "Heartbeat failed: ")]

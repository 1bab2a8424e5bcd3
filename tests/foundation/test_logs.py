"""The Kafka client's repeated errors during a broker outage are rate-limited in the logs, and the left-out ones counted."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections import Counter
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from shared.logs import RepeatLimit
from tests.foundation import sample
from tests.kit import auth, eventually, new_site, running
from tools.localkafka import LocalKafka
from tools.ports import free_port


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_a_kind_passes_five_times_a_window_and_the_next_window_counts_what_was_left_out() -> None:
    now = [0.0]
    limit = RepeatLimit(burst=5, window_seconds=60, clock=lambda: now[0])
    passed = [limit.filter(record("aiokafka.conn", "Unable to connect to %s", f"node-{i}")) for i in range(1000)]
    assert passed.count(True) == 5
    assert limit.filter(record("aiokafka.conn", "Unable to connect to %s", "node-x")) is False
    assert all(limit.filter(record("pitwall.outbox", "relay failed: %s", i)) for i in range(100))  # our own: untouched
    now[0] = 60.0
    first = record("aiokafka.conn", "Unable to connect to %s", "node-y")
    assert limit.filter(first) is True
    assert first.suppressed == 996  # type: ignore[attr-defined]


async def test_a_broker_outage_floods_no_log(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka", port=free_port(), controller_port=free_port(), heap="512m")
    broker.start()
    settings = sample.SampleSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/logs.db", kafka_bootstrap=broker.bootstrap,
                                     consumer_group=f"g-{uuid.uuid4().hex[:8]}", relay_poll_seconds=0.2)
    app = sample.create_app(settings, consume=True)
    site = new_site()
    try:
        async with running(app) as client:
            await eventually(lambda: app.state.runtime.consumer.connected, timeout=30)
            written = io.StringIO()
            handler = logging.getLogger().handlers[0]  # the service's JSON handler, as configured at start
            handler.setStream(written)  # type: ignore[attr-defined]
            broker.stop()
            assert (await client.post(f"/sites/{site}/notes", json={"text": "x"}, headers=auth(["advisor"], [site]))).status_code == 201

            async def failures() -> float:
                body = (await client.get("/metrics")).text
                return sum(s.value for f in text_string_to_metric_families(body) for s in f.samples
                           if s.name == "pitwall_outbox_publish_failures_total")

            await eventually(lambda: _at_least(failures(), 5), timeout=120)  # the clients kept trying, and failing
    finally:
        broker.stop()
    lines = [json.loads(line) for line in written.getvalue().splitlines() if line.startswith("{")]
    kinds = Counter((line["logger"], re.sub(r"\d+", "N", line["message"])) for line in lines if line["logger"].startswith("aiokafka"))
    assert kinds, "the outage left no trace of the Kafka client in the log"
    assert max(kinds.values()) <= 5, kinds.most_common(3)


async def _at_least(value: object, minimum: float) -> bool:
    return await value >= minimum  # type: ignore[operator]

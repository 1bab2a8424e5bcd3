"""/readyz means "can serve requests"; the broker's reachability is told truthfully beside it and as a gauge."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.foundation import sample
from tests.kit import EventTap, auth, eventually, new_site, running
from tools.localkafka import LocalKafka
from tools.ports import free_port


def settings(database_url: str, bootstrap: str) -> sample.SampleSettings:
    return sample.SampleSettings(database_url=database_url, kafka_bootstrap=bootstrap, consumer_group=f"g-{uuid.uuid4().hex[:8]}",
                                 relay_poll_seconds=0.2, kafka_probe_seconds=0.2)


async def reachable(client: httpx.AsyncClient) -> tuple[int, bool, float]:
    """/readyz's status and kafka.reachable, and the pitwall_kafka_reachable gauge."""
    ready = await client.get("/readyz")
    gauge = next(s.value for family in text_string_to_metric_families((await client.get("/metrics")).text)
                 for s in family.samples if s.name == "pitwall_kafka_reachable")
    return ready.status_code, ready.json()["kafka"]["reachable"], gauge


async def test_started_during_a_broker_outage_it_is_ready_and_says_kafka_is_unreachable_until_it_is_back(
    database_url: str, tmp_path: Path,
) -> None:
    broker = LocalKafka(tmp_path / "kafka", port=free_port(), controller_port=free_port())  # not started yet: an outage
    site = new_site()
    app = sample.create_app(settings(database_url, broker.bootstrap), consume=False)
    try:
        async with running(app) as client:
            assert await reachable(client) == (200, False, 0.0)
            written = await client.post(f"/sites/{site}/notes", json={"text": "during"}, headers=auth(["advisor"], [site]))
            assert written.status_code == 201
            broker.start()
            assert await eventually(lambda: _equals(reachable(client), (200, True, 1.0)), timeout=30)
            async with EventTap(broker.bootstrap, [sample.TOPIC], [site]) as tap:
                assert [e.data["text"] for e in await tap.wait_for(sample.NoteWritten, 1, timeout=60)] == ["during"]
    finally:
        broker.stop()


async def test_running_when_the_broker_stops_it_stays_ready_and_says_kafka_is_unreachable(database_url: str, tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    broker.start()
    app = sample.create_app(settings(database_url, broker.bootstrap), consume=True)
    try:
        async with running(app) as client:
            await eventually(lambda: app.state.runtime.relay.connected or app.state.runtime.consumer.connected, timeout=30)
            assert await reachable(client) == (200, True, 1.0)
            broker.stop()
            assert await eventually(lambda: _equals(reachable(client), (200, False, 0.0)), timeout=30)
    finally:
        broker.stop()


async def _equals(value: object, expected: object) -> bool:
    return await value == expected  # type: ignore[misc]

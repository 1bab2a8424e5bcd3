"""One bad event in a consumer batch: the batch is applied one by one, only the bad event goes to the dead-letter topic."""

from __future__ import annotations

import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from shared.cloudevents import CloudEvent
from shared.consumer import dead_letter_topic
from shared.contracts import reception as r
from tests.kit import caught_up, eventually, new_site, running
from tests.kpi import checks
from tests.kpi.day import Day
from tests.kpi.support import app_for, evening_zone, kpi_settings, send, start_at_end_of_topics, wrap


def poison(site: str, day: Day) -> CloudEvent:
    """A valid arrival whose data states its time without a zone: the projection refuses it (the header time is fine)."""
    event = r.VehicleArrived(site_id=site, occurred_at=day.at("10:00"), visit_id="VX", vehicle_id="VX", vin="VINVX")
    data = event.model_dump(mode="json") | {"occurred_at": day.at("10:00").replace(tzinfo=None).isoformat()}
    return CloudEvent(id=str(uuid.uuid4()), source="/pitwall/tests", type=event.type, time=event.occurred_at,
                      subject="visit/VX", site_id=site, sequence=1, data=data)


async def test_a_bad_event_is_dead_lettered_and_the_rest_of_its_batch_applies(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    tz, day_date = evening_zone()
    day = Day(site, tz, day_date)
    sent = wrap(day.events())
    bad = poison(site, day)
    settings = kpi_settings(f"sqlite+aiosqlite:///{tmp_path}/kpi.db", kafka)
    await start_at_end_of_topics(settings)
    await send(kafka, sent[:20] + [bad] + sent[20:])  # one site: one partition, so one batch holds them all
    app = app_for(settings)
    async with running(app) as client:
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=60)
        await checks.check_day(client, site, day_date)  # VX never arrived: still 5 entries, every figure as scripted

    reader = AIOKafkaConsumer(dead_letter_topic(settings.resolved_consumer_group()), bootstrap_servers=kafka,
                              auto_offset_reset="earliest", enable_auto_commit=False)
    await reader.start()
    try:
        dead: list[tuple[str, str]] = []

        async def read() -> bool:
            for records in (await reader.getmany(timeout_ms=500)).values():
                headers = [dict(x.headers) for x in records]
                dead.extend((h["ce_id"].decode(), h["dlq_reason"].decode()) for h in headers
                            if h.get("ce_siteid") == site.encode())  # other tests' events share the topics
            return bool(dead)

        await eventually(read, timeout=20)
    finally:
        await reader.stop()
    assert [event_id for event_id, _ in dead] == [bad.id]
    assert dead[0][1].startswith("handler failed:") and "naive datetime" in dead[0][1]

"""The workshop's PartsRequested events on the real Kafka: accepted once however often they arrive."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from aiokafka import AIOKafkaProducer

from services.parts.app import create_app
from shared.contracts import parts as ev
from shared.contracts.workshop import PartsRequested, RequestedPart
from tests.kit import EventTap, as_cloud_event, caught_up, eventually, new_site, publish, running
from tests.parts.helpers import Counter, settings


def requested(site: str, request_id: str, *lines: tuple[str, str], at: datetime) -> PartsRequested:
    return PartsRequested(
        site_id=site, occurred_at=at, request_id=request_id, job_id="job-9", repair_order_id="ro-9", requested_by="tech-ann",
        lines=[RequestedPart(part_number=p, quantity=Decimal(q)) for p, q in lines],
    )


async def test_parts_requested_reserves_once_substitutes_and_backorders(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    app = create_app(settings(f"sqlite+aiosqlite:///{tmp_path / 'parts.db'}", kafka))
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
    async with running(app) as client, EventTap(kafka, [ev.TOPIC], [site]) as tap:
        clerk = Counter(client, site)
        await clerk.part("PAD-1")
        await clerk.part("NEW-7")
        await clerk.ok("PUT", f"/sites/{site}/parts/OLD-7/supersession", json={"superseded_by": "NEW-7"})
        await clerk.receive(("PAD-1", 4), ("NEW-7", 1))

        good, bad = f"req-{uuid.uuid4().hex}", f"req-{uuid.uuid4().hex}"
        poison = requested(site, bad, ("PAD-1", "-1"), at=at)
        event = requested(site, good, ("PAD-1", "2"), ("OLD-7", "2"), ("SPECIAL-X", "1"), at=at)
        cloud_event = as_cloud_event(event, event_id=str(uuid.uuid4()))
        await publish(kafka, poison)
        producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            for _ in range(2):  # the same delivery twice
                await producer.send_and_wait(event.topic, cloud_event.value(), key=cloud_event.key(), headers=cloud_event.to_headers())
        finally:
            await producer.stop()
        await publish(kafka, event)  # the same request again, under a new event id
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=60)

        request = await clerk.ok("GET", f"/parts-requests/{good}")
        assert (request["origin"], request["requested_by"], request["job_id"]) == ("workshop", "tech-ann", "job-9")
        assert datetime.fromisoformat(request["requested_at"]) == at
        assert [(x["requested_part_number"], x["part_number"], x["reserved"], x["backordered"]) for x in request["lines"]] == [
            ("PAD-1", "PAD-1", "2", "0"), ("OLD-7", "NEW-7", "1", "1"), ("SPECIAL-X", "SPECIAL-X", "0", "1")]
        pads = await clerk.stock_of("PAD-1")
        assert (pads["on_hand"], pads["reserved"], pads["available"]) == ("4", "2", "2")
        await clerk.ok("GET", f"/parts-requests/{bad}", expected=404)

        special_line = request["lines"][2]["request_line_id"]
        early = await clerk.issue(good, [(special_line, 1)], expected=409)
        assert early["type"] == "/problems/not-enough-reserved"

        # The special-order part gets a catalogue entry and arrives: the waiting job gets it.
        await clerk.part("SPECIAL-X")
        receipt = await clerk.receive(("SPECIAL-X", 1))
        assert [f["request_id"] for f in receipt["filled"]] == [good]
        await tap.wait_for(ev.BackorderFilled)
        received = [e for e in tap.of(ev.PartsRequestReceived) if e.data["request_id"] == good]
        assert len(received) == 1
        assert received[0].data["origin"] == "workshop"
        assert [(x["part_number"], x["quantity"]) for x in received[0].data["lines"]] == [
            ("PAD-1", "2"), ("NEW-7", "2"), ("SPECIAL-X", "1")]
        (reserved,) = tap.of(ev.PartsReserved)
        assert [(x["part_number"], x["quantity"]) for x in reserved.data["lines"]] == [("PAD-1", "2"), ("NEW-7", "1")]
        assert sorted(e.data["part_number"] for e in tap.of(ev.PartsBackordered)) == ["NEW-7", "SPECIAL-X"]
        issued = await tap.wait_for(ev.PartsIssued)
        assert issued[-1].data["lines"][0]["backorder_id"] == tap.of(ev.BackorderFilled)[0].data["backorder_id"]
        assert issued[-1].data["request_fully_issued"] is False

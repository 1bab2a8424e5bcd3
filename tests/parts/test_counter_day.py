"""A day at the parts counter, through the API, with the events read back from the real Kafka."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.parts.app import create_app
from shared.cloudevents import CloudEvent
from shared.contracts import parts as ev
from tests.kit import EventTap, new_site, running
from tests.parts.helpers import Counter, d, settings


def of_request(events: list[CloudEvent], request_id: str) -> list[str]:
    return [e.type.split(".", 2)[2] for e in events if e.data.get("request_id") == request_id]


async def test_a_day_at_the_counter(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    app = create_app(settings(f"sqlite+aiosqlite:///{tmp_path / 'parts.db'}", kafka))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    async with running(app) as client, EventTap(kafka, [ev.TOPIC], [site]) as tap:
        manager = Counter(client, site, roles=("manager",))
        clerk = Counter(client, site)
        await manager.part("OF-1", description="Oil filter", unit_cost="4.10", unit_price="9.90", reorder_point=5,
                           reorder_quantity=20, bin_location="A-01")
        await manager.part("OIL-5W30", description="Engine oil 5W-30", unit="litre", unit_cost="6", unit_price="12.5",
                           reorder_point=20, reorder_quantity=60)
        await manager.part("BP-1", description="Front brake pads", unit_cost="35", unit_price="79", reorder_point=2,
                           reorder_quantity=4, lead_time_days=3)
        await clerk.receive(("OF-1", 10), ("OIL-5W30", 40), ("BP-1", 1), occurred_at=t0)

        # A service: everything from stock, issued in full at the first pick.
        service = await clerk.request(("OF-1", 1), ("OIL-5W30", "4.5"), ro="ro-1", job="job-1",
                                      occurred_at=t0 + timedelta(minutes=10))
        assert [(line["reserved"], line["backordered"]) for line in service["lines"]] == [("1", "0"), ("4.5", "0")]
        issued = await clerk.issue(service["request_id"], occurred_at=t0 + timedelta(minutes=14))
        assert issued["status"] == "issued"
        assert [line["from_stock_at_first_pick"] for line in issued["lines"]] == [True, True]

        # A brake job: one set of pads on the shelf, one backordered with the lead time as expected date.
        brakes = await clerk.request(("BP-1", 2), ro="ro-2", job="job-2", occurred_at=t0 + timedelta(minutes=30))
        (line,) = brakes["lines"]
        assert (line["reserved"], line["backordered"]) == ("1", "1")
        (backorder,) = line["backorders"]
        assert datetime.fromisoformat(backorder["expected_at"]) == t0 + timedelta(minutes=30, days=3)
        assert (await clerk.stock_of("BP-1"))["available"] == "0"
        first = await clerk.issue(brakes["request_id"], [(line["request_line_id"], 1)], occurred_at=t0 + timedelta(minutes=35))
        assert first["lines"][0]["issued"] == "1" and first["lines"][0]["from_stock_at_first_pick"] is False
        too_many = await clerk.issue(brakes["request_id"], [(line["request_line_id"], 1)], expected=409)
        assert too_many["type"] == "/problems/not-enough-reserved" and too_many["reserved"] == "0"
        backorders = await clerk.ok("GET", f"/sites/{site}/backorders")
        assert [(b["backorder_id"], b["job_id"]) for b in backorders["items"]] == [(backorder["backorder_id"], "job-2")]

        # The supplier delivers: the backorder is filled first and issued to the job.
        receipt = await clerk.receive(("BP-1", 4), occurred_at=t0 + timedelta(hours=1))
        assert [(f["backorder_id"], f["quantity"]) for f in receipt["filled"]] == [(backorder["backorder_id"], "1")]
        brakes = await clerk.ok("GET", f"/parts-requests/{brakes['request_id']}")
        assert brakes["status"] == "issued" and brakes["lines"][0]["issued"] == "2"
        assert brakes["lines"][0]["backorders"][0]["status"] == "filled"
        assert (await clerk.ok("GET", f"/sites/{site}/backorders"))["total"] == 0
        assert (await clerk.stock_of("BP-1"))["on_hand"] == "3"

        # Half a litre comes back from the service job; more than was issued cannot.
        oil_line = service["lines"][1]["request_line_id"]
        await clerk.ok("POST", f"/parts-requests/{service['request_id']}/return",
                       json={"request_line_id": oil_line, "quantity": "0.5", "reason": "not used"})
        over = await clerk.ok("POST", f"/parts-requests/{service['request_id']}/return", 409,
                              json={"request_line_id": oil_line, "quantity": "4.5"})
        assert over["type"] == "/problems/not-enough-issued" and over["returnable"] == "4"
        oil = await clerk.stock_of("OIL-5W30")
        assert (oil["on_hand"], oil["available"]) == ("36", "36")

        # Cycle count: five filters short; the difference is an adjustment and the part drops below its reorder point.
        count = await clerk.ok("POST", f"/sites/{site}/counts", 201,
                               json={"reason": "damaged boxes", "lines": [{"part_number": "OF-1", "counted_quantity": 4},
                                                                           {"part_number": "BP-1", "counted_quantity": 3}]})
        assert {(c["part_number"], c["on_hand_before"], c["difference"]) for c in count["lines"]} == {
            ("OF-1", "9", "-5"), ("BP-1", "3", "0")}
        ledger = await clerk.ok("GET", f"/sites/{site}/parts/OF-1/ledger")
        assert [(m["kind"], m["quantity"], m["balance_after"]) for m in ledger["items"]] == [
            ("receipt", "10", "10"), ("issue", "-1", "9"), ("count", "-5", "4")]
        assert ledger["items"][-1]["reason"] == "damaged boxes" and ledger["items"][-1]["recorded_by"] == "clerk-1"
        reorder = await clerk.ok("GET", f"/sites/{site}/reorder-list")
        assert [(r["part_number"], r["available"], r["suggested_quantity"]) for r in reorder["items"]] == [("OF-1", "4", "20")]

        # What the KPI service will see on Kafka.
        await tap.wait_for(ev.StockAdjusted)
        await tap.wait_for(ev.PartBelowReorderPoint, 4)
        events = tap.events
        assert of_request(events, service["request_id"]) == [
            "request.received.v1", "request.reserved.v1", "request.issued.v1", "request.returned.v1"]
        assert of_request(events, brakes["request_id"]) == [
            "request.received.v1", "request.reserved.v1", "request.backordered.v1", "request.issued.v1",
            "backorder.filled.v1", "request.issued.v1"]
        received = {e.data["request_id"]: e for e in tap.of(ev.PartsRequestReceived)}
        assert received[service["request_id"]].data["origin"] == "counter"
        assert datetime.fromisoformat(received[service["request_id"]].data["requested_at"]) == t0 + timedelta(minutes=10)
        issues = [ev.PartsIssued.model_validate(e.data) for e in tap.of(ev.PartsIssued)]
        done = {i.request_id: i.occurred_at for i in issues if i.request_fully_issued}
        assert done == {service["request_id"]: t0 + timedelta(minutes=14), brakes["request_id"]: t0 + timedelta(hours=1)}
        by_line = {}
        for issue in issues:
            for issued_line in issue.lines:
                by_line.setdefault(issued_line.request_line_id, issued_line)
        assert [by_line[x["request_line_id"]].from_stock_at_first_pick for x in service["lines"] + brakes["lines"]] == [
            True, True, False]
        filter_line = by_line[service["lines"][0]["request_line_id"]]
        assert (filter_line.unit_cost, filter_line.unit_price) == (d("4.10"), d("9.90"))
        (pads_backordered,) = [ev.PartsBackordered.model_validate(e.data) for e in tap.of(ev.PartsBackordered)]
        assert (pads_backordered.part_number, pads_backordered.quantity, pads_backordered.job_id) == ("BP-1", 1, "job-2")
        (filled,) = tap.of(ev.BackorderFilled)
        assert filled.data["backorder_id"] == pads_backordered.backorder_id
        (returned,) = [ev.PartsReturned.model_validate(e.data) for e in tap.of(ev.PartsReturned)]
        assert (returned.part_number, returned.quantity, returned.unit_price) == ("OIL-5W30", d("0.5"), d("12.5"))
        (adjusted,) = [ev.StockAdjusted.model_validate(e.data) for e in tap.of(ev.StockAdjusted)]
        assert (adjusted.part_number, adjusted.quantity_delta, adjusted.counted_quantity, adjusted.reason) == (
            "OF-1", -5, 4, "damaged boxes")
        assert sorted(e.data["part_number"] for e in tap.of(ev.PartsReceived)) == ["BP-1", "BP-1", "OF-1", "OIL-5W30"]
        crossings = [(e.type.rsplit(".", 2)[1], e.data["part_number"]) for e in events
                     if e.type in (ev.PartBelowReorderPoint.type, ev.PartBackAboveReorderPoint.type)]
        assert crossings == [("below_reorder_point", "OF-1"), ("below_reorder_point", "OIL-5W30"), ("below_reorder_point", "BP-1"),
                             ("back_above_reorder_point", "OF-1"), ("back_above_reorder_point", "OIL-5W30"),
                             ("back_above_reorder_point", "BP-1"), ("below_reorder_point", "OF-1")]

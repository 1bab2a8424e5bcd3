"""Backorder queue, partial fills, returns and counts that take stock from reservations (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.parts.app import create_app
from tests.kit import new_site, running
from tests.parts.helpers import Counter, settings


async def test_queue_partial_fills_returns_counts_and_expected_dates(database_url: str) -> None:
    site = new_site()
    app = create_app(settings(database_url))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    async with running(app) as client:
        clerk = Counter(client, site)
        await clerk.part("COOL", unit="litre", reorder_point="2.5", reorder_quantity=10)
        first = await clerk.request(("COOL", 5), ro="ro-a", occurred_at=t0)
        second = await clerk.request(("COOL", "1.5"), ro="ro-b", occurred_at=t0 + timedelta(minutes=5))

        # 3 litres arrive: the first in line takes all of it and keeps its place for the other 2.
        receipt = await clerk.receive(("COOL", 3), occurred_at=t0 + timedelta(minutes=10))
        (fill,) = receipt["filled"]
        assert (fill["request_id"], fill["quantity"]) == (first["request_id"], "3")
        queue = (await clerk.ok("GET", f"/sites/{site}/backorders"))["items"]
        assert [(b["request_id"], b["quantity"]) for b in queue] == [(first["request_id"], "2"), (second["request_id"], "1.5")]
        assert queue[0]["backorder_id"] == fill["remainder_backorder_id"]
        filled = (await clerk.ok("GET", f"/sites/{site}/backorders", params={"status": "filled"}))["items"]
        assert [(b["quantity"], b["filled_quantity"], b["continued_by"]) for b in filled] == [("5", "3", queue[0]["backorder_id"])]

        # The supplier names a date for the second; a filled backorder cannot be rescheduled.
        eta = (t0 + timedelta(days=2)).isoformat()
        moved = await clerk.ok("PATCH", f"/backorders/{queue[1]['backorder_id']}", json={"expected_at": eta})
        assert datetime.fromisoformat(moved["expected_at"]) == t0 + timedelta(days=2)
        await clerk.ok("PATCH", f"/backorders/{filled[0]['backorder_id']}", json={"expected_at": eta}, expected=409)

        # A forgotten canister turns up at a count: the queue is served first, in order.
        spare = await clerk.request(("COOL", "0.5"), ro="ro-c")
        await clerk.ok("POST", f"/sites/{site}/counts", 201, json={"lines": [{"part_number": "COOL", "counted_quantity": "2.5"}],
                                                                   "reason": "found a canister"})
        part = await clerk.stock_of("COOL")
        assert (part["on_hand"], part["reserved"], part["backordered"]) == ("0", "0", "1.5")
        assert (await clerk.ok("GET", f"/parts-requests/{first['request_id']}"))["status"] == "issued"
        second_now = await clerk.ok("GET", f"/parts-requests/{second['request_id']}")
        assert (second_now["lines"][0]["issued"], second_now["lines"][0]["backordered"]) == ("0.5", "1")

        # A litre comes back from the first job: it goes to the second, which was waiting before the third.
        line = first["lines"][0]["request_line_id"]
        await clerk.ok("POST", f"/parts-requests/{first['request_id']}/return", json={"request_line_id": line, "quantity": "1"})
        second_now = await clerk.ok("GET", f"/parts-requests/{second['request_id']}")
        assert (second_now["status"], second_now["lines"][0]["issued"]) == ("issued", "1.5")
        third = await clerk.ok("GET", f"/parts-requests/{spare['request_id']}")
        assert (third["status"], third["lines"][0]["backordered"]) == ("open", "0.5")

        # The shelf holds less than is reserved: the newest reservation gives way and waits again.
        await clerk.receive(("COOL", 4))
        late = await clerk.request(("COOL", 1), ro="ro-d")
        early = await clerk.request(("COOL", 2), ro="ro-e", occurred_at=t0 + timedelta(minutes=1))
        assert (await clerk.stock_of("COOL"))["reserved"] == "3"
        count = await clerk.ok("POST", f"/sites/{site}/counts", 201,
                               json={"lines": [{"part_number": "COOL", "counted_quantity": "2.5"}], "reason": "leak"})
        assert count["lines"][0]["difference"] == "-1"
        part = await clerk.stock_of("COOL")
        assert (part["on_hand"], part["reserved"], part["available"], part["backordered"]) == ("2.5", "2.5", "0", "0.5")
        late_now = await clerk.ok("GET", f"/parts-requests/{late['request_id']}")
        early_now = await clerk.ok("GET", f"/parts-requests/{early['request_id']}")
        assert (late_now["lines"][0]["reserved"], late_now["lines"][0]["backordered"]) == ("0.5", "0.5")
        assert (early_now["lines"][0]["reserved"], early_now["lines"][0]["backordered"]) == ("2", "0")
        reorder = (await clerk.ok("GET", f"/sites/{site}/reorder-list"))["items"]
        assert [(r["part_number"], r["below_reorder_point"], r["suggested_quantity"]) for r in reorder] == [("COOL", True, "10.5")]
        ledger = (await clerk.ok("GET", f"/sites/{site}/parts/COOL/ledger"))["items"]
        assert [m["kind"] for m in ledger] == [
            "receipt", "issue", "count", "issue", "issue", "return", "issue", "receipt", "issue", "count"]
        assert all(float(m["balance_after"]) >= 0 for m in ledger)

"""Many clerks at once on the last units of one part: never negative, never more than there is (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from decimal import Decimal

from services.parts.app import create_app
from tests.kit import new_site, running
from tests.parts.helpers import Counter, d, settings


async def test_concurrent_requests_and_issues_of_the_last_units(database_url: str) -> None:
    site = new_site()
    app = create_app(settings(database_url))
    async with running(app) as client:
        clerk = Counter(client, site)
        await clerk.part("SP-9", reorder_point=0)
        await clerk.receive(("SP-9", 10))

        # 30 jobs want 1 each of the last 10: exactly 10 get stock, 20 wait.
        made = await asyncio.gather(*(clerk.request(("SP-9", 1), ro=f"ro-{i}", job=f"job-{i}") for i in range(30)))
        reserved = [r for r in made if r["lines"][0]["reserved"] == "1"]
        assert len(reserved) == 10
        assert all(r["lines"][0]["backordered"] == "1" for r in made if r not in reserved)
        part = await clerk.stock_of("SP-9")
        assert (part["on_hand"], part["reserved"], part["available"], part["backordered"]) == ("10", "10", "0", "20")

        # Everyone tries to issue at once, some twice: only what was reserved leaves the shelf.
        answers = await asyncio.gather(*(
            client.post(f"/parts-requests/{r['request_id']}/issue", json={}, headers=clerk.headers)
            for r in made + reserved
        ))
        assert Tally(a.status_code for a in answers) == {200: 10, 409: 30}
        part = await clerk.stock_of("SP-9")
        assert (part["on_hand"], part["reserved"], part["available"]) == ("0", "0", "0")

        # A delivery of 15 goes to the first 15 waiting, in the order they asked.
        queue = await clerk.ok("GET", f"/sites/{site}/backorders", params={"limit": 50})
        receipt = await clerk.receive(("SP-9", 15))
        assert [f["backorder_id"] for f in receipt["filled"]] == [b["backorder_id"] for b in queue["items"][:15]]

        # Several deliveries and more requests at once still add up.
        await asyncio.gather(
            *(clerk.receive(("SP-9", 2)) for _ in range(5)),
            *(clerk.request(("SP-9", 1), ro=f"ro-late-{i}") for i in range(10)),
        )
        part = await clerk.stock_of("SP-9")
        ledger = await clerk.ok("GET", f"/sites/{site}/parts/SP-9/ledger", params={"limit": 200})
        balances = [d(m["balance_after"]) for m in ledger["items"]]
        assert min(balances) >= 0
        assert d(part["on_hand"]) == balances[-1] == sum((d(m["quantity"]) for m in ledger["items"]), Decimal(0))
        issued = -sum((d(m["quantity"]) for m in ledger["items"] if m["kind"] == "issue"), Decimal(0))
        # 35 units came in; each was issued or is held for a job, and 40 asked for one each.
        assert part["available"] == "0" and part["on_hand"] == part["reserved"]
        assert issued + d(part["reserved"]) == 35
        assert d(part["backordered"]) == 40 - 35


async def test_mixed_traffic_on_two_parts_never_deadlocks_and_adds_up(database_url: str) -> None:
    site = new_site()
    app = create_app(settings(database_url))
    async with running(app) as client:
        clerk = Counter(client, site)
        for number in ("A", "B"):
            await clerk.part(number, reorder_point=3, reorder_quantity=5)
        await clerk.receive(("A", 4), ("B", 4))
        made = await asyncio.gather(*(clerk.request(("A", 1), ("B", 1), ro=f"ro-{i}") for i in range(8)))
        stocked = [r for r in made if all(line["reserved"] == "1" for line in r["lines"])]
        assert len(stocked) == 4
        first_issued = await asyncio.gather(*(clerk.issue(r["request_id"]) for r in stocked[:2]))

        def post(url: str, body: dict[str, object]):  # noqa: ANN202 - a pending request
            return client.post(url, json=body, headers=clerk.headers)

        returns = [post(f"/parts-requests/{r['request_id']}/return",
                        {"request_line_id": r["lines"][0]["request_line_id"], "quantity": 1}) for r in first_issued]
        receipts = [post(f"/sites/{site}/receipts", {"lines": [{"part_number": p, "quantity": 1}, {"part_number": q, "quantity": 1}]})
                    for p, q in (("A", "B"), ("B", "A"))] * 3
        issues = [post(f"/parts-requests/{r['request_id']}/issue", {}) for r in made if r not in stocked[:2]]
        counts = [post(f"/sites/{site}/counts", {"lines": [{"part_number": "B", "counted_quantity": 9}]})]
        answers = await asyncio.gather(*returns, *receipts, *issues, *counts)
        assert all(a.status_code in (200, 201, 409) for a in answers), [a.text for a in answers if a.status_code >= 500]
        assert sum(a.status_code == 409 for a in answers) <= len(issues)

        for number in ("A", "B"):
            part = await clerk.stock_of(number)
            ledger = await clerk.ok("GET", f"/sites/{site}/parts/{number}/ledger", params={"limit": 200})
            assert min(d(m["balance_after"]) for m in ledger["items"]) >= 0
            assert d(part["on_hand"]) == sum((d(m["quantity"]) for m in ledger["items"]), Decimal(0))
            assert 0 <= d(part["reserved"]) <= d(part["on_hand"])
            assert d(part["available"]) == 0 or d(part["backordered"]) == 0

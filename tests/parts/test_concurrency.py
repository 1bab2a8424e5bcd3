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

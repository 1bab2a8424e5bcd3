"""The parts counter: catalogue and opening stock, picking requests, supplier deliveries that fill backorders."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tools.simulator.api import Who
from tools.simulator.state import Job

if TYPE_CHECKING:
    from tools.simulator.day import SiteDay

PARTS = "parts"


class Counter:
    """One parts clerk."""

    def __init__(self, day: SiteDay) -> None:
        self.day = day
        self.clerk = Who(day.plan.clerk, "parts")
        self.jobs: dict[str, Job] = {}  # request id -> job
        self.done: set[str] = set()  # requests issued in full and brought to the bay

    async def setup(self, at: datetime) -> None:
        """The catalogue, the opening stock, and the supplier's deliveries on the agenda."""
        api = self.day.api
        for part in self.day.plan.parts:
            await api.send(PARTS, "POST", f"/sites/{api.site_id}/parts", self.clerk, at, "create part", {
                "part_number": part.part_number, "description": part.description, "unit_cost": str(part.unit_cost),
                "unit_price": str(part.unit_price), "reorder_point": str(part.reorder_point),
                "reorder_quantity": str(part.reorder_quantity), "lead_time_days": part.lead_time_days})
        lines = [{"part_number": p.part_number, "quantity": str(p.stock)} for p in self.day.plan.parts if p.stock > 0]
        await api.send(PARTS, "POST", f"/sites/{api.site_id}/receipts", self.clerk, at + timedelta(minutes=5), "receive stock",
                       {"supplier_reference": "opening stock", "lines": lines})
        for n, when in enumerate(self.day.plan.deliveries, start=1):
            self.day.agenda.at(when, "delivery", lambda n=n: self._delivery(n))
        self.day.agenda.at(self.day.plan.end, "stock at day end", self._close)

    async def _close(self) -> None:
        """The day's last look at the shelves: stock against reorder points, backorders still open."""
        api, now = self.day.api, self.day.agenda.now
        await api.wait("stock at day end", PARTS, f"/sites/{api.site_id}/parts", self.clerk, now, lambda r: True, params={"limit": 200})
        await api.wait("open backorders at day end", PARTS, f"/sites/{api.site_id}/backorders", self.clerk, now, lambda r: True,
                       params={"status": "open", "limit": 200})

    def requested(self, job: Job, request_id: str) -> None:
        """A technician asked for parts: the clerk picks them in a few minutes."""
        self.jobs[request_id] = job
        pick = self.day.agenda.now + timedelta(seconds=self.day.rng.randint(240, 720))
        self.day.agenda.at(pick, "pick parts", lambda: self._pick(request_id))

    async def _request(self, request_id: str) -> dict[str, Any]:
        """The request as the counter holds it (it arrives from the workshop's event)."""
        return await self.day.api.wait("parts request at the counter", PARTS, f"/parts-requests/{request_id}", self.clerk,
                                       self.day.agenda.now, lambda r: isinstance(r, dict) and "lines" in r,
                                       ref={"request": request_id})

    async def _pick(self, request_id: str) -> None:
        request = await self._request(request_id)
        waiting = sum(Decimal(str(line["reserved"])) for line in request["lines"])
        if waiting > 0:
            request = await self.day.api.send(PARTS, "POST", f"/parts-requests/{request_id}/issue", self.clerk, self.day.agenda.now,
                                              "issue parts", {}, ref={"request": request_id})
        await self._maybe_done(request_id, request)

    async def _maybe_done(self, request_id: str, request: dict[str, Any]) -> None:
        if request["status"] == "issued" and request_id not in self.done:
            self.done.add(request_id)
            job = self.jobs[request_id]
            self.day.agenda.at(self.day.agenda.now + timedelta(minutes=3), "parts to the bay", lambda: self.day.floor.parts_ready(job))

    async def _delivery(self, n: int) -> None:
        """The supplier's van: order what the reorder list says, book it in; backorders fill first come first served."""
        api, now = self.day.api, self.day.agenda.now
        for request_id in list(self.jobs):
            await self._request(request_id)  # every request made so far is at the counter, with its backorders
        _, reorder = await api.get(PARTS, f"/sites/{api.site_id}/reorder-list", self.clerk, {"limit": 200})
        lines = [{"part_number": line["part_number"], "quantity": str(line["suggested_quantity"])}
                 for line in reorder["items"] if Decimal(str(line["suggested_quantity"])) > 0]
        if not lines:
            return
        receipt = await api.send(PARTS, "POST", f"/sites/{api.site_id}/receipts", self.clerk, now, "receive delivery",
                                 {"supplier_reference": f"supplier delivery {n}", "lines": lines}, ref={"reorder_list": reorder["items"]})
        for request_id in dict.fromkeys(fill["request_id"] for fill in receipt["filled"]):
            if request_id in self.jobs:
                request = await api.wait("parts request after the delivery", PARTS, f"/parts-requests/{request_id}", self.clerk, now,
                                         lambda r: True, ref={"request": request_id})
                await self._maybe_done(request_id, request)

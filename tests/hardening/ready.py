"""For each write operation: fresh objects in the state it needs, and one schema-valid call a correct service accepts.

The fuzz test (test_fuzz.py) runs that call first in the operation's positive phase, then its generated calls on the same
objects (ids in their bodies taken from it), so every write is seen to succeed, its 2xx answer checked against the
schema, and not only refused. Everything is made through the services' APIs (and reception's facts through the
workshop's events, as in a real shop), on the fuzzed site, before any operation is fuzzed.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.contracts import parts as pc, workshop as wc
from tests.hardening.seeds import Api, repair_order
from tests.kit import publish
from tests.reception.helpers import new_plate, new_vin

Wait = Callable[[Callable[[], Awaitable[bool]]], Awaitable[Any]]
def now() -> datetime:
    """This moment, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


WARRANTY_PART = "06H121026"
# What the clerk fills in that an RO cannot know (tests/warranty/test_lifecycle.py); with it a claim is complete.
CLAIM_DETAILS = {"mileage_out": 30600, "cause": "Water pump seal worn", "causal_part_number": WARRANTY_PART, "condition_code": "C12",
                 "defect_code": "D45"}


@dataclass
class Ready:
    """A call a correct service accepts: its path parameters and body (None: no body)."""

    path: dict[str, str]
    body: Any = None


@dataclass
class Floor:
    """The fuzzed site's API, the broker, and counters for names that must not repeat."""

    api: Api
    bootstrap: str
    wait: Wait
    spare_sites: list[str]
    serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def site(self) -> str:
        """The fuzzed site."""
        return self.api.site

    def unique(self, prefix: str) -> str:
        """A name not used before on this floor."""
        return f"{prefix}-{next(self.serial)}-{uuid.uuid4().hex[:6]}"

    async def ok(self, method: str, path: str, status: int = 200, body: Any = None) -> Any:
        """Call and insist on the status; the JSON answer."""
        return await self.api.ok(method, path, status, body)


Maker = Callable[[Floor], Awaitable[Ready]]


async def prepare(service: str, floor: Floor) -> dict[str, Ready]:
    """Every write operation of the service with its fresh objects made."""
    makers = {"reception": RECEPTION, "workshop": WORKSHOP, "parts": PARTS, "kpi": KPI}[service]
    return {label: await make(floor) for label, make in makers.items()}


# --- reception ---------------------------------------------------------------------------------------------------------

def site_settings() -> dict[str, Any]:
    """The fuzzed site's settings (open around the clock, so any moment is in a slot)."""
    return {"name": "Fuzz 4S", "time_zone": "UTC", "labour_rate": "300", "technician_cost_rate": "80", "tax_rate": "0.13",
            "opening_hours": [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(7)],
            "slot_minutes": 30, "slot_capacity": 2, "quick_lane_capacity": 1, "comeback_window_days": 30}


async def customer(f: Floor) -> str:
    """A new customer who agreed to be contacted."""
    body = {"name": "Wang Wei", "phone": "+86 138 0013 8000", "consent_contact": True}
    return str((await f.ok("POST", f"/sites/{f.site}/customers", 201, body))["id"])


async def vehicle(f: Floor, customer_id: str | None = None) -> str:
    """A new vehicle (of a new customer unless given)."""
    body = {"vin": new_vin("LSV"), "plate": new_plate(), "make": "Buick", "model": "GL8", "year": 2022, "mileage": 30000,
            "customer_id": customer_id or await customer(f)}
    return str((await f.ok("POST", f"/sites/{f.site}/vehicles", 201, body))["id"])


async def visit(f: Floor, at: datetime | None = None, vehicle_id: str | None = None) -> str:
    """A walk-in arrival (of a new vehicle unless given)."""
    body: dict[str, Any] = {"vehicle_id": vehicle_id or await vehicle(f)}
    if at is not None:
        body["occurred_at"] = at.isoformat()
    return str((await f.ok("POST", f"/sites/{f.site}/arrivals", 201, body))["id"])


def line(pay_type: str | None = None, **extra: Any) -> dict[str, Any]:
    """A job line body."""
    body = {"op_code": "BRK01", "description": "front pads", "complaint": "squeal when braking", "sold_hours": "1.5", **extra}
    return body | ({"pay_type": pay_type} if pay_type else {})


async def open_ro(f: Floor, lines: list[dict[str, Any]] | None = None, at: datetime | None = None, vehicle_id: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    """An open RO on a walk-in (arrived at `at`; a new vehicle unless given)."""
    body = {"visit_id": await visit(f, at, vehicle_id), "mileage_in": 30500, "ro_type": "general_repair",
            "job_lines": [line()] if lines is None else lines, **extra}
    if at is not None:
        body["occurred_at"] = (at + timedelta(minutes=5)).isoformat()
    return dict(await f.ok("POST", f"/sites/{f.site}/repair-orders", 201, body))


async def proposed(f: Floor) -> dict[str, Any]:
    """An RO whose line was put to the customer."""
    ro = await open_ro(f)
    return dict(await f.ok("POST", f"/repair-orders/{ro['id']}/request-approval", 200, {}))


async def ready_ro(f: Floor, *, warranty: bool = False) -> dict[str, Any]:
    """An RO approved, worked, its parts issued and QC passed on the workshop's events: ready to invoice."""
    at = now() - timedelta(hours=4)
    kind = {"ro_type": "warranty"} if warranty else {}
    ro = await open_ro(f, [line("warranty" if warranty else None, op_code="10-21-00", description="Replace water pump",
                                complaint="Coolant leak under the engine")], at, **kind)
    stamp = {"occurred_at": (at + timedelta(minutes=10)).isoformat()}
    ro = await f.ok("POST", f"/repair-orders/{ro['id']}/request-approval", 200, stamp)
    for job in ro["lines"]:
        ro = await f.ok("POST", f"/repair-orders/{ro['id']}/lines/{job['id']}/approve", 200,
                        {"by": "Wang Wei", "method": "in_person", **stamp})
    where = {"site_id": f.site, "repair_order_id": ro["id"], "technician_id": "T-7", "bay_id": "B1"}
    events: list[Any] = []
    for job in ro["lines"]:
        events += [wc.JobClockedOn(occurred_at=at + timedelta(minutes=30), job_id=job["id"], **where),
                   wc.JobCompleted(occurred_at=at + timedelta(minutes=120), job_id=job["id"], sold_hours=Decimal("1.5"), **where)]
    events.append(pc.PartsIssued(
        site_id=f.site, occurred_at=at + timedelta(minutes=80), request_id=str(uuid.uuid4()), repair_order_id=ro["id"],
        job_id=ro["lines"][0]["id"], request_fully_issued=True,
        lines=[pc.IssuedLine(request_line_id="rl-1", part_number=WARRANTY_PART, quantity=Decimal("1"), unit_cost=Decimal("90"),
                             unit_price=Decimal("180"), from_stock_at_first_pick=True)]))
    events.append(wc.QcPassed(site_id=f.site, occurred_at=at + timedelta(minutes=130), repair_order_id=ro["id"], inspector="QC-1"))
    await publish(f.bootstrap, *events)

    async def ready_with_parts() -> bool:
        found = await f.ok("GET", f"/repair-orders/{ro['id']}")
        return bool(found["state"] == "ready" and found["parts_lines"])

    await f.wait(ready_with_parts)
    return dict(await f.ok("GET", f"/repair-orders/{ro['id']}"))


async def invoiced(f: Floor, *, warranty: bool = False) -> dict[str, Any]:
    """A ready RO, invoiced."""
    ro = await ready_ro(f, warranty=warranty)
    await f.ok("POST", f"/repair-orders/{ro['id']}/invoice", 201, {"occurred_at": (now() - timedelta(minutes=90)).isoformat()})
    return ro


async def delivered(f: Floor) -> dict[str, Any]:
    """An invoiced RO, delivered an hour ago."""
    ro = await invoiced(f)
    return dict(await f.ok("POST", f"/repair-orders/{ro['id']}/deliver", 200,
                           {"mileage_out": 30600, "occurred_at": (now() - timedelta(minutes=60)).isoformat()}))


async def claim(f: Floor, *, complete: bool = False) -> str:
    """A draft warranty claim (drafted when a warranty RO is invoiced); complete: with what the clerk fills in."""
    ro = await invoiced(f, warranty=True)
    claims = await f.ok("GET", f"/sites/{f.site}/warranty/claims?repair_order_id={ro['id']}")
    claim_id = str(claims["items"][0]["id"])
    if complete:
        await f.ok("PATCH", f"/warranty/claims/{claim_id}", 200, CLAIM_DETAILS)
    return claim_id


async def appointment(f: Floor, slot: datetime | None = None, booked_at: datetime | None = None) -> str:
    """A booked appointment in a slot of its own (tomorrow onwards unless given)."""
    slot = slot or (now() + timedelta(days=1)).replace(hour=0, minute=0, second=0) + timedelta(minutes=30 * next(f.serial))
    customer_id = await customer(f)
    body: dict[str, Any] = {"customer_id": customer_id, "vehicle_id": await vehicle(f, customer_id), "slot_start": slot.isoformat()}
    if booked_at is not None:
        body["occurred_at"] = booked_at.isoformat()
    return str((await f.ok("POST", f"/sites/{f.site}/appointments", 201, body))["id"])


async def complaint(f: Floor) -> str:
    """A new open complaint."""
    body = {"category": "waiting_time", "severity": "low", "owner": "advisor-amy"}
    return str((await f.ok("POST", f"/sites/{f.site}/complaints", 201, body))["id"])


def later_slot(f: Floor) -> str:
    """A free slot start three days on."""
    return ((now() + timedelta(days=3)).replace(hour=0, minute=0, second=0) + timedelta(minutes=30 * next(f.serial))).isoformat()


async def _new_site(f: Floor) -> Ready:
    return Ready({}, {"site_id": f.spare_sites.pop(), **site_settings()})


async def back_again(f: Floor) -> tuple[dict[str, Any], dict[str, Any]]:
    """A delivered RO, and a new RO of the same vehicle for other work (not flagged a comeback by the rule)."""
    earlier = await delivered(f)
    again = await open_ro(f, [line(op_code="OIL01", description="oil change", complaint="")], vehicle_id=earlier["vehicle"]["id"])
    return earlier, again


async def _comeback(f: Floor) -> Ready:
    earlier, again = await back_again(f)
    return Ready({"repair_order_id": again["id"]}, {"is_comeback": True, "comeback_of": earlier["id"], "reason": "same noise"})


async def _complaint_comeback(f: Floor) -> Ready:
    earlier, again = await back_again(f)
    body = {"repair_order_id": earlier["id"], "category": "repair_quality", "severity": "high", "owner": "advisor-amy"}
    found = await f.ok("POST", f"/sites/{f.site}/complaints", 201, body)
    return Ready({"complaint_id": found["id"]}, {"repair_order_id": again["id"]})


async def make_attempt(f: Floor) -> Ready:
    """A follow-up call started on a delivered RO, and the result that ends it."""
    ro = await delivered(f)
    attempt = await f.ok("POST", f"/repair-orders/{ro['id']}/follow-up-attempts", 201, {"channel": "phone"})
    return Ready({"attempt_id": attempt["id"]}, {"reached": True, "scores": {"friendliness": 4}})


async def _line_of(f: Floor, decision: str) -> Ready:
    ro = await proposed(f)
    body = {"by": "Wang Wei", "method": "in_person"} | ({"reason": "too dear"} if decision == "decline" else {})
    return Ready({"repair_order_id": ro["id"], "line_id": ro["lines"][0]["id"]}, body)


async def _ro_line(f: Floor, body: Any) -> Ready:
    ro = await open_ro(f)
    return Ready({"repair_order_id": ro["id"], "line_id": ro["lines"][0]["id"]}, body)


async def _ro(f: Floor, body: Any, of: Callable[[Floor], Awaitable[dict[str, Any]]] = open_ro) -> Ready:
    return Ready({"repair_order_id": (await of(f))["id"]}, body)


RECEPTION: dict[str, Maker] = {
    "POST /sites": _new_site,
    "PUT /sites/{site_id}": lambda f: _own_site(f, site_settings()),
    "PATCH /sites/{site_id}": lambda f: _own_site(f, {"name": "Fuzz 4S Pudong"}),
    "POST /sites/{site_id}/customers": lambda f: _just({"site_id": f.site}, {"name": "Li Na", "phone": "+86 139 0000 0000"}),
    "PATCH /sites/{site_id}/customers/{customer_id}": lambda f: _with(f, customer, "customer_id", {"name": "Li Na"}),
    "POST /sites/{site_id}/vehicles": lambda f: _with(f, customer, "customer_id", None, lambda c: {
        "vin": new_vin("LSV"), "plate": new_plate(), "make": "Buick", "model": "GL8", "year": 2022, "customer_id": c}, site=True),
    "PATCH /sites/{site_id}/vehicles/{vehicle_id}": lambda f: _with(f, vehicle, "vehicle_id", {"mileage": 31000}),
    "POST /sites/{site_id}/appointments": lambda f: _with(f, customer, "customer_id", None, site=True, then=_booking),
    "POST /appointments/{appointment_id}/reschedule": lambda f: _with(f, appointment, "appointment_id", None,
                                                                       lambda _: {"slot_start": later_slot(f)}),
    "POST /appointments/{appointment_id}/cancel": lambda f: _with(f, appointment, "appointment_id", {"reason": "ill"}),
    "POST /appointments/{appointment_id}/no-show": lambda f: _with(
        f, lambda g: appointment(g, (now() - timedelta(days=1)).replace(hour=9, minute=0, second=0), now() - timedelta(days=2)),
        "appointment_id", {}),
    "POST /sites/{site_id}/arrivals": lambda f: _with(f, vehicle, "vehicle_id", None, lambda v: {"vehicle_id": v}, site=True),
    "POST /sites/{site_id}/repair-orders": lambda f: _with(f, visit, "visit_id", None, lambda v: {
        "visit_id": v, "mileage_in": 30500, "ro_type": "general_repair", "job_lines": [line()]}, site=True),
    "PATCH /repair-orders/{repair_order_id}": lambda f: _ro(f, {"promised_at": (now() + timedelta(hours=8)).isoformat()}),
    "POST /repair-orders/{repair_order_id}/invoice": lambda f: _ro(f, {}, ready_ro),
    "POST /repair-orders/{repair_order_id}/deliver": lambda f: _ro(f, {"mileage_out": 30600}, invoiced),
    "POST /repair-orders/{repair_order_id}/cancel": lambda f: _ro(f, {"reason": "customer left"}),
    "PUT /repair-orders/{repair_order_id}/comeback": _comeback,
    "POST /repair-orders/{repair_order_id}/lines": lambda f: _ro(f, line(op_code="OIL01", description="oil change")),
    "PATCH /repair-orders/{repair_order_id}/lines/{line_id}": lambda f: _ro_line(f, {"description": "rear pads"}),
    "DELETE /repair-orders/{repair_order_id}/lines/{line_id}": lambda f: _ro_line(f, None),
    "POST /repair-orders/{repair_order_id}/request-approval": lambda f: _ro(f, {}),
    "POST /repair-orders/{repair_order_id}/lines/{line_id}/approve": lambda f: _line_of(f, "approve"),
    "POST /repair-orders/{repair_order_id}/lines/{line_id}/decline": lambda f: _line_of(f, "decline"),
    "POST /repair-orders/{repair_order_id}/follow-up-attempts": lambda f: _ro(f, {"channel": "phone"}, delivered),
    "POST /follow-up-attempts/{attempt_id}/result": make_attempt,
    "POST /sites/{site_id}/complaints": lambda f: _just({"site_id": f.site}, {"category": "price", "severity": "low",
                                                                               "owner": "advisor-amy"}),
    "POST /complaints/{complaint_id}/actions": lambda f: _with(f, complaint, "complaint_id", {"action": "called back"}),
    "POST /complaints/{complaint_id}/comeback": _complaint_comeback,
    "POST /complaints/{complaint_id}/resolve": lambda f: _with(f, complaint, "complaint_id", {"outcome": "refund"}),
    "PATCH /warranty/claims/{claim_id}": lambda f: _with(f, claim, "claim_id", CLAIM_DETAILS),
    "POST /warranty/claims/{claim_id}/submit": lambda f: _with(f, lambda g: claim(g, complete=True), "claim_id", {}),
    "POST /warranty/claims/{claim_id}/close": lambda f: _with(f, claim, "claim_id", {"reason": "abandoned"}),
}


async def _own_site(f: Floor, body: Any) -> Ready:
    """A site of the call's own (its generated calls then change that site's settings, not those the others rely on)."""
    site_id = f.spare_sites.pop()
    await f.ok("POST", "/sites", 201, {"site_id": site_id, **site_settings()})
    return Ready({"site_id": site_id}, body)


async def _booking(f: Floor, customer_id: str) -> dict[str, Any]:
    slot = (now() + timedelta(days=2)).replace(hour=0, minute=0, second=0) + timedelta(minutes=30 * next(f.serial))
    return {"customer_id": customer_id, "vehicle_id": await vehicle(f, customer_id), "slot_start": slot.isoformat()}


async def _just(path: dict[str, str], body: Any) -> Ready:
    return Ready(path, body)


async def _with(f: Floor, make: Callable[[Floor], Awaitable[str]], name: str, body: Any,
                body_of: Callable[[str], Any] | None = None, *, site: bool = False,
                then: Callable[[Floor, str], Awaitable[Any]] | None = None) -> Ready:
    """A fresh object; the call names it in the path (or, with `site`, in the body on the site's path)."""
    made = await make(f)
    if then is not None:
        body = await then(f, made)
    elif body_of is not None:
        body = body_of(made)
    return Ready({"site_id": f.site} if site else {name: made}, body)


# --- workshop ----------------------------------------------------------------------------------------------------------

async def bay(f: Floor) -> str:
    """A new open general bay."""
    return str((await f.ok("POST", f"/sites/{f.site}/bays", 201, {"name": f.unique("Bay"), "kind": "general"}))["id"])


async def technician(f: Floor, *, clocked_in: bool = False) -> str:
    """A new technician, clocked in if asked."""
    tech = str((await f.ok("POST", f"/sites/{f.site}/technicians", 201, {"name": f.unique("Tech"), "skills": ["brakes"]}))["id"])
    if clocked_in:
        await f.ok("POST", f"/technicians/{tech}/clock-in", 200, {})
    return tech


async def jobs(f: Floor, count: int) -> list[str]:
    """Approved jobs of a new RO, from reception's events as the workshop consumes them."""
    events, _, ids = repair_order(f.site, [None] * count)
    await publish(f.bootstrap, *events)

    async def arrived() -> bool:
        return all([(await f.api.raw("GET", f"/jobs/{job}")).status_code == 200 for job in ids])

    await f.wait(arrived)
    return ids


async def dispatched(f: Floor, *, clocked_on: bool = False) -> tuple[str, str]:
    """(job, technician): a job dispatched to a clocked-in technician on a free bay; clocked on if asked."""
    [job] = await jobs(f, 1)
    tech = await technician(f, clocked_in=True)
    await f.ok("POST", f"/jobs/{job}/dispatch", 200, {"technician_id": tech, "bay_id": await bay(f)})
    if clocked_on:
        await f.ok("POST", f"/jobs/{job}/clock-on", 200, {"technician_id": tech})
    return job, tech


async def _job(f: Floor, *, clocked_on: bool, body: Callable[[str], Any], paused: bool = False) -> Ready:
    job, tech = await dispatched(f, clocked_on=clocked_on or paused)
    if paused:
        await f.ok("POST", f"/jobs/{job}/pause", 200, {"reason": "break"})
    return Ready({"job_id": job}, body(tech))


async def _clock_off(f: Floor) -> Ready:
    """A job two technicians are on: the helper clocks off (the last one on a job pauses or completes it instead)."""
    job, _ = await dispatched(f, clocked_on=True)
    helper = await technician(f, clocked_in=True)
    await f.ok("POST", f"/jobs/{job}/clock-on", 200, {"technician_id": helper})
    return Ready({"job_id": job}, {"technician_id": helper})


async def _dispatch(f: Floor) -> Ready:
    [job] = await jobs(f, 1)
    return Ready({"job_id": job}, {"technician_id": await technician(f, clocked_in=True), "bay_id": await bay(f)})


async def _qc(f: Floor) -> Ready:
    events, ro_id, ids = repair_order(f.site, [None])
    await publish(f.bootstrap, *events)

    async def arrived() -> bool:
        return bool((await f.api.raw("GET", f"/jobs/{ids[0]}")).status_code == 200)

    await f.wait(arrived)
    tech = await technician(f, clocked_in=True)
    await f.ok("POST", f"/jobs/{ids[0]}/dispatch", 200, {"technician_id": tech, "bay_id": await bay(f)})
    await f.ok("POST", f"/jobs/{ids[0]}/clock-on", 200, {"technician_id": tech})
    await f.ok("POST", f"/jobs/{ids[0]}/complete", 200, {"technician_id": tech})
    return Ready({"site_id": f.site, "repair_order_id": ro_id}, {"result": "pass"})


async def _adjustment(f: Floor) -> Ready:
    tech = await technician(f)
    await f.ok("POST", f"/technicians/{tech}/clock-in", 200, {"occurred_at": (now() - timedelta(hours=3)).isoformat()})
    interval = (await f.ok("GET", f"/technicians/{tech}/clockings"))["attendance"][0]["id"]
    return Ready({"site_id": f.site}, {"interval_id": interval, "corrected_start": (now() - timedelta(hours=4)).isoformat(),
                                       "reason": "forgot to clock"})


async def _tech(f: Floor, body: Any, *, clocked_in: bool = False, on_break: bool = False) -> Ready:
    tech = await technician(f, clocked_in=clocked_in or on_break)
    if on_break:
        await f.ok("POST", f"/technicians/{tech}/break-start", 200, {})
    return Ready({"technician_id": tech}, body)


WORKSHOP: dict[str, Maker] = {
    "POST /sites/{site_id}/bays": lambda f: _just({"site_id": f.site}, {"name": f.unique("Bay"), "kind": "general"}),
    "PATCH /bays/{bay_id}": lambda f: _with(f, bay, "bay_id", {"name": f.unique("Bay")}),
    "POST /bays/{bay_id}/status": lambda f: _with(f, bay, "bay_id", {"status": "closed", "reason": "cleaning"}),
    "POST /sites/{site_id}/technicians": lambda f: _just({"site_id": f.site}, {"name": "Xu", "skills": ["brakes"]}),
    "PATCH /technicians/{technician_id}": lambda f: _tech(f, {"team": "night"}),
    "POST /technicians/{technician_id}/clock-in": lambda f: _tech(f, {}),
    "POST /technicians/{technician_id}/clock-out": lambda f: _tech(f, {}, clocked_in=True),
    "POST /technicians/{technician_id}/break-start": lambda f: _tech(f, {}, clocked_in=True),
    "POST /technicians/{technician_id}/break-end": lambda f: _tech(f, {}, on_break=True),
    "POST /jobs/{job_id}/dispatch": _dispatch,
    "POST /jobs/{job_id}/clock-on": lambda f: _job(f, clocked_on=False, body=lambda t: {"technician_id": t}),
    "POST /jobs/{job_id}/pause": lambda f: _job(f, clocked_on=True, body=lambda t: {"reason": "break"}),
    "POST /jobs/{job_id}/resume": lambda f: _job(f, clocked_on=True, paused=True, body=lambda t: {"technician_id": t}),
    "POST /jobs/{job_id}/clock-off": _clock_off,
    "POST /jobs/{job_id}/complete": lambda f: _job(f, clocked_on=True, body=lambda t: {"technician_id": t}),
    "POST /jobs/{job_id}/parts-requests": lambda f: _job(f, clocked_on=True, body=lambda t: {
        "technician_id": t, "lines": [{"part_number": "P-1", "quantity": "1"}]}),
    "POST /sites/{site_id}/repair-orders/{repair_order_id}/qc": _qc,
    "POST /sites/{site_id}/clocking-adjustments": _adjustment,
}


# --- parts -------------------------------------------------------------------------------------------------------------

async def part(f: Floor, stock: int = 0) -> str:
    """A new catalogue part, with stock booked in if asked."""
    number = f.unique("FZ").upper()
    await f.ok("POST", f"/sites/{f.site}/parts", 201, {"part_number": number, "description": "fuzz part", "unit_cost": "10",
                                                      "unit_price": "20"})
    if stock:
        await f.ok("POST", f"/sites/{f.site}/receipts", 201, {"lines": [{"part_number": number, "quantity": str(stock)}]})
    return number


async def request(f: Floor, number: str, *, issued: bool = False) -> dict[str, Any]:
    """A counter request for one piece of the part, issued if asked."""
    made = await f.ok("POST", f"/sites/{f.site}/parts-requests", 201, {
        "repair_order_id": f.unique("ro"), "job_id": f.unique("job"), "lines": [{"part_number": number, "quantity": "1"}]})
    if issued:
        made = await f.ok("POST", f"/parts-requests/{made['request_id']}/issue", 200, {})
    return dict(made)


async def _supersession(f: Floor) -> Ready:
    old, new = await part(f), await part(f)
    return Ready({"site_id": f.site, "part_number": old}, {"superseded_by": new})


async def _issue(f: Floor) -> Ready:
    made = await request(f, await part(f, stock=5))
    return Ready({"request_id": made["request_id"]}, {})


async def _return(f: Floor) -> Ready:
    made = await request(f, await part(f, stock=5), issued=True)
    return Ready({"request_id": made["request_id"]}, {"request_line_id": made["lines"][0]["request_line_id"], "quantity": "1"})


async def _backorder(f: Floor) -> Ready:
    made = await request(f, await part(f))
    backorders = await f.ok("GET", f"/sites/{f.site}/backorders?request_id={made['request_id']}")
    found = next(b for b in backorders["items"] if b["request_id"] == made["request_id"])
    return Ready({"backorder_id": found["backorder_id"]}, {"expected_at": (now() + timedelta(days=3)).isoformat()})


async def _stocked(f: Floor, body: Callable[[str], Any]) -> Ready:
    return Ready({"site_id": f.site}, body(await part(f, stock=5)))


PARTS: dict[str, Maker] = {
    "POST /sites/{site_id}/parts": lambda f: _just({"site_id": f.site}, {"part_number": f.unique("NEW").upper(),
                                                                           "description": "x", "unit_cost": "1", "unit_price": "2"}),
    "PATCH /sites/{site_id}/parts/{part_number}": lambda f: _with(f, part, "part_number", {"description": "renamed"}),
    "PUT /sites/{site_id}/parts/{part_number}/supersession": _supersession,
    "POST /sites/{site_id}/parts-requests": lambda f: _stocked(f, lambda n: {"lines": [{"part_number": n, "quantity": "1"}]}),
    "POST /parts-requests/{request_id}/issue": _issue,
    "POST /parts-requests/{request_id}/return": _return,
    "POST /sites/{site_id}/receipts": lambda f: _stocked(f, lambda n: {"lines": [{"part_number": n, "quantity": "3"}]}),
    "POST /sites/{site_id}/counts": lambda f: _stocked(f, lambda n: {"lines": [{"part_number": n, "counted_quantity": "4"}]}),
    "PATCH /backorders/{backorder_id}": _backorder,
}



# --- kpi ---------------------------------------------------------------------------------------------------------------

KPI: dict[str, Maker] = {
    "PUT /kpi/sites/{site_id}/targets/{year}": lambda f: _just({"site_id": f.site, "year": "2026"}, {
        "targets": [{"indicator": "comeback_rate", "yearly": "0.02"}]}),
    "PUT /kpi/sites/{site_id}/reference-data/{month}": lambda f: _just({"site_id": f.site, "month": "2026-02"},
                                                                         {"service_headcount": 12}),
}

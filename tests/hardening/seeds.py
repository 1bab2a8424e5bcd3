"""Real objects made through each service's API before fuzzing it, so generated calls reach existing records too."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.reception.handlers import HANDLERS as RECEPTION_HANDLERS
from services.workshop.handlers import HANDLERS as WORKSHOP_HANDLERS
from shared.contracts import reception
from shared.contracts.base import Event
from tests.hardening.apps import create, create_from, from_now_on, settings_of, sqlite_url
from tests.kit import eventually, publish

Bindings = list[dict[str, str]]


async def app_for(service: str, directory: Path, bootstrap: str, database_url: str | None = None, **overrides: Any) -> FastAPI:
    """The service on a SQLite file (or the database given); the workshop and reception also consume, from now on (the
    workshop's jobs come from reception's events; an RO is ready to invoice on the workshop's)."""
    url = database_url or sqlite_url(directory, service)
    handlers = {"workshop": WORKSHOP_HANDLERS, "reception": RECEPTION_HANDLERS}.get(service)
    if handlers is None:
        return create(service, url, **overrides)
    if service == "reception":
        # Claims are submitted to an OEM that is not there: they wait in the queue, which is all a submit promises.
        overrides.setdefault("oem_base_url", "http://127.0.0.1:9")
    settings = settings_of(service, url, run_consumer=True, kafka_bootstrap=bootstrap,
                           consumer_group=f"hardening-{uuid.uuid4().hex[:8]}", **overrides)
    await from_now_on(service, settings, sorted({event.topic for event in handlers}))
    return create_from(service, settings)


async def seed(service: str, api: Api, bootstrap: str) -> Bindings:
    """The service's real objects on the api's site; the path parameters naming them."""
    if service == "parts":
        return await parts(api)
    if service == "workshop":
        return await workshop(api, bootstrap, lambda check: eventually(check, timeout=60))
    if service == "reception":
        return [*await reception_desk(api), *await after_sales(api, bootstrap)]
    await api.ok("PUT", f"/kpi/sites/{api.site}/reference-data/2026-01", 200, {"service_headcount": 12})
    return [{"year": "2026", "month": "2026-01"}]


class Api:
    """A client on one site (httpx's async one, or the blocking one schemathesis drives), insisting on each status."""

    def __init__(self, client: Any, site: str, headers: dict[str, str]) -> None:
        self.client = client
        self.site = site
        self.headers = headers

    async def ok(self, method: str, path: str, status: int = 200, body: dict[str, Any] | None = None) -> Any:
        """Call and insist on the status; the JSON answer."""
        response = await self.raw(method, path, body)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json()

    async def raw(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call; the response, whatever its status."""
        response = self.client.request(method, path, json=body, headers=self.headers)
        return await response if inspect.isawaitable(response) else response


async def parts(api: Api) -> Bindings:
    """A catalogue with stock, a delivery, a count, and a counter request part reserved and part backordered."""
    site = api.site
    for number in ("FZ-OIL-1", "FZ-PAD-2"):
        await api.ok("POST", f"/sites/{site}/parts", 201, {"part_number": number, "description": f"part {number}",
                                                      "unit_cost": "10", "unit_price": "20"})
    receipt = await api.ok("POST", f"/sites/{site}/receipts", 201, {"lines": [{"part_number": "FZ-OIL-1", "quantity": "10"}]})
    count = await api.ok("POST", f"/sites/{site}/counts", 201, {"lines": [{"part_number": "FZ-OIL-1", "counted_quantity": "9"}]})
    request = await api.ok("POST", f"/sites/{site}/parts-requests", 201, {
        "repair_order_id": "ro-fz", "job_id": "job-fz",
        "lines": [{"part_number": "FZ-OIL-1", "quantity": "2"}, {"part_number": "FZ-PAD-2", "quantity": "1"}]})
    backorder = (await api.ok("GET", f"/sites/{site}/backorders"))["items"][0]
    return [
        {"part_number": "FZ-OIL-1"}, {"part_number": "FZ-PAD-2"},
        {"receipt_id": receipt["receipt_id"]}, {"count_id": count["count_id"]},
        {"request_id": request["request_id"]}, {"backorder_id": backorder["backorder_id"]},
    ]


def _line(job_line_id: str, skill: str | None) -> reception.JobLine:
    return reception.JobLine(job_line_id=job_line_id, op_code="OP-1", description="work", pay_type=reception.PayType.CUSTOMER,
                             sold_hours=Decimal("1.5"), labour_rate=Decimal("300"), required_skill=skill)


def repair_order(site: str, skills: list[str | None]) -> tuple[list[Event], str, list[str]]:
    """Reception's events opening an RO with one approved line per skill; the RO's id and the job ids they make."""
    suffix, at = uuid.uuid4().hex[:8], datetime.now(UTC) - timedelta(hours=2)
    ro_id = f"ro-{suffix}"
    lines = [_line(f"jl{n}-{suffix}", skill) for n, skill in enumerate(skills, start=1)]
    opened = reception.RepairOrderOpened(
        site_id=site, occurred_at=at, repair_order_id=ro_id, ro_number=f"RO-{suffix}", visit_id=f"v-{suffix}",
        vehicle_id=f"veh-{suffix}", customer_id="c-1", vin="1HGCM82633A004352", advisor="alice",
        ro_type=reception.RoType.GENERAL_REPAIR, mileage_in=42000, arrived_at=at, job_lines=lines)
    approvals = [reception.JobLineApproved(site_id=site, occurred_at=at, repair_order_id=ro_id, job_line_id=line.job_line_id,
                                           line=line, by="customer", method=reception.ApprovalMethod.IN_PERSON) for line in lines]
    return [opened, *approvals], ro_id, [line.job_line_id for line in lines]


async def workshop(api: Api, bootstrap: str, wait: Callable[[Callable[[], Awaitable[bool]]], Awaitable[Any]]) -> Bindings:
    """Two bays, two technicians (one clocked in), and an RO's two approved jobs from reception's events, one started."""
    site = api.site
    events, ro_id, jobs = repair_order(site, ["brakes", None])
    await publish(bootstrap, *events)
    bays = [(await api.ok("POST", f"/sites/{site}/bays", 201, {"name": f"Bay {n}", "kind": "general"}))["id"] for n in (1, 2)]
    techs = [(await api.ok("POST", f"/sites/{site}/technicians", 201, {"name": name, "skills": ["brakes"], "pin": "1234"}))["id"]
             for name in ("Li", "Wu")]
    await api.ok("POST", f"/technicians/{techs[0]}/clock-in", 200, {})
    async def two_jobs() -> bool:
        return bool((await api.ok("GET", f"/sites/{site}/jobs"))["total"] == 2)

    await wait(two_jobs)
    await api.ok("POST", f"/jobs/{jobs[0]}/dispatch", 200, {"technician_id": techs[0], "bay_id": bays[0]})
    await api.ok("POST", f"/jobs/{jobs[0]}/clock-on", 200, {"technician_id": techs[0]})
    return [*({"bay_id": b} for b in bays), *({"technician_id": t} for t in techs), *({"job_id": j} for j in jobs),
            {"repair_order_id": ro_id}]


async def reception_desk(api: Api) -> Bindings:
    """The site, a customer with a vehicle, an appointment, an arrival, an open RO with a line, a complaint about it."""
    site = api.site
    await api.ok("POST", "/sites", 201, {
        "site_id": site, "name": "Fuzz 4S", "time_zone": "UTC", "labour_rate": "300", "technician_cost_rate": "80",
        "tax_rate": "0.13", "opening_hours": [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(7)],
        "slot_minutes": 30, "slot_capacity": 2, "quick_lane_capacity": 1, "comeback_window_days": 30})
    customer = await api.ok("POST", f"/sites/{site}/customers", 201, {"name": "Wang Wei", "phone": "+86 138 0013 8000"})
    vehicle = await api.ok("POST", f"/sites/{site}/vehicles", 201, {"vin": "1HGCM82633A004352", "plate": "沪A12345", "make": "Buick",
                                                              "model": "GL8", "year": 2022, "mileage": 30000,
                                                              "customer_id": customer["id"]})
    now = datetime.now(UTC)
    slot = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    appointment = await api.ok("POST", f"/sites/{site}/appointments", 201, {"customer_id": customer["id"], "vehicle_id": vehicle["id"],
                                                                      "slot_start": slot.isoformat()})
    visit = await api.ok("POST", f"/sites/{site}/arrivals", 201, {"vehicle_id": vehicle["id"]})
    ro = await api.ok("POST", f"/sites/{site}/repair-orders", 201, {
        "visit_id": visit["id"], "mileage_in": 30500, "ro_type": "general_repair",
        "job_lines": [{"op_code": "BRK01", "description": "front pads", "sold_hours": "1.5"}]})
    complaint = await api.ok("POST", f"/sites/{site}/complaints", 201, {"repair_order_id": ro["id"], "category": "waiting_time",
                                                                       "severity": "low", "owner": "advisor-amy"})
    return [
        {"customer_id": customer["id"]}, {"vehicle_id": vehicle["id"]}, {"appointment_id": appointment["id"]},
        {"visit_id": visit["id"]}, {"repair_order_id": ro["id"]},
        {"repair_order_id": ro["id"], "line_id": ro["lines"][0]["id"]}, {"complaint_id": complaint["id"]},
    ]


async def after_sales(api: Api, bootstrap: str) -> Bindings:
    """A warranty claim (drafted when a warranty RO is invoiced) and a follow-up call on a delivered RO: both need the
    workshop's facts, published as the workshop would. The call has no reader of its own: `follow_up_of` names the RO
    whose follow-up shows it."""
    from tests.hardening import ready  # it builds on this module's Api

    floor = ready.Floor(api, bootstrap, lambda check: eventually(check, timeout=60), spare_sites=[])
    claim_id = await ready.claim(floor)
    ro = await ready.delivered(floor)
    attempt = await api.ok("POST", f"/repair-orders/{ro['id']}/follow-up-attempts", 201, {"channel": "phone"})
    return [{"claim_id": claim_id}, {"attempt_id": attempt["id"], "follow_up_of": ro["id"]}]

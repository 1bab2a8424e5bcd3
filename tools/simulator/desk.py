"""The reception desk: appointments, arrivals queueing for an advisor, ROs, approvals, invoices and deliveries."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tools.simulator.api import Who
from tools.simulator.catalog import Operation
from tools.simulator.plan import AppointmentPlan, Vehicle
from tools.simulator.state import Job, Line, Ro, Visit

if TYPE_CHECKING:
    from tools.simulator.day import SiteDay

RECEPTION, PARTS = "reception", "parts"

OPENS, CLOSES = 8, 18  # the simulated sites' opening hours, every day


def _line_body(op: Operation) -> dict[str, Any]:
    body: dict[str, Any] = {"op_code": op.op_code, "description": op.description, "complaint": op.complaint,
                            "sold_hours": str(op.hours), "required_skill": op.skill}
    if op.pay_type is not None:
        body["pay_type"] = op.pay_type
    return body


def _campaign(suggested: dict[str, Any]) -> tuple[Operation, dict[str, Any]]:
    """An open recall campaign of the car, as the job line reception suggested (added as it is)."""
    op = Operation(suggested["op_code"], suggested["description"], suggested["complaint"], None, Decimal(str(suggested["sold_hours"])),
                   pay_type=suggested["pay_type"])
    return op, {key: suggested[key] for key in ("op_code", "description", "complaint", "pay_type", "sold_hours", "campaign_number")}


class Desk:
    """Two advisors on tablets; arrivals wait for the first advisor free (the morning peak)."""

    def __init__(self, day: SiteDay) -> None:
        self.day = day
        plan = day.plan
        self.advisors = [Who(a, "advisor") for a in plan.advisors]
        self.free_at = {a.subject: plan.start for a in self.advisors}
        self.manager = Who(plan.manager, "manager")
        self.visits: list[Visit] = []
        self.comeback_source: Visit | None = None
        self.pay_types: dict[str, str] = {}  # job line id -> who pays, as reception set it

    @property
    def desk_clerk(self) -> Who:
        return self.advisors[0]

    async def create_site(self, at: datetime) -> None:
        """The manager sets the site up."""
        plan, api = self.day.plan, self.day.api
        await api.send(RECEPTION, "POST", "/sites", self.manager, at, "create site", {
            "site_id": plan.site_id, "name": plan.name, "time_zone": plan.time_zone, "labour_rate": str(plan.labour_rate),
            "technician_cost_rate": str(plan.technician_cost_rate), "tax_rate": str(plan.tax_rate),
            "opening_hours": [{"weekday": d, "opens": f"{OPENS:02d}:00", "closes": f"{CLOSES:02d}:00"} for d in range(7)],
            "slot_minutes": 30, "slot_capacity": 3, "comeback_window_days": 30,
        })

    async def setup(self, bookings: datetime) -> None:
        """The day's bookings (made first thing), then arrivals on the agenda."""
        plan, api = self.day.plan, self.day.api
        for i, visit_plan in enumerate(plan.visits):
            visit = Visit(visit_plan)
            self.visits.append(visit)
            if visit_plan.slot is not None:
                moment = bookings + timedelta(seconds=20 * i)
                await self._register(visit, moment)
                appointment = await api.send(RECEPTION, "POST", f"/sites/{api.site_id}/appointments", self.desk_clerk, moment,
                                             "book appointment", {"customer_id": visit.customer_id, "vehicle_id": visit.vehicle_id,
                                                                  "slot_start": visit_plan.slot.isoformat(),
                                                                  "concern": visit_plan.lines[0].op.complaint},
                                             ref={"visit": visit_plan.key})
                visit.appointment_id = appointment["id"]
            self.day.agenda.at(visit_plan.arrival, "arrival", lambda v=visit: self.arrive(v))
        if self.visits and plan.comeback is not None:
            self.comeback_source = self.visits[0]
        for n, extra in enumerate(plan.appointments):
            await self._extra_appointment(extra, bookings + timedelta(minutes=12, seconds=20 * n))

    async def _register(self, visit: Visit, at: datetime) -> None:
        api, plan = self.day.api, visit.plan
        name, phone = plan.customer
        customer = await api.send(RECEPTION, "POST", f"/sites/{api.site_id}/customers", self.desk_clerk, at, "register customer",
                                  {"name": name, "phone": phone, "consent_contact": True}, ref={"visit": plan.key})
        visit.customer_id = customer["id"]
        visit.vehicle_id = await self._vehicle(plan.vehicle, visit.customer_id, at, plan.key)

    async def _vehicle(self, vehicle: Vehicle, customer_id: str, at: datetime, key: str) -> str:
        api = self.day.api
        answer = await api.send(RECEPTION, "POST", f"/sites/{api.site_id}/vehicles", self.desk_clerk, at, "register vehicle", {
            "vin": vehicle.vin, "plate": vehicle.plate, "make": vehicle.make, "model": vehicle.model, "year": vehicle.year,
            "mileage": vehicle.mileage, "customer_id": customer_id}, ref={"visit": key})
        return str(answer["id"])

    async def _extra_appointment(self, extra: AppointmentPlan, at: datetime) -> None:
        """A booking that ends cancelled (the customer calls) or as a no-show."""
        api = self.day.api
        name, phone = extra.customer
        customer = await api.send(RECEPTION, "POST", f"/sites/{api.site_id}/customers", self.desk_clerk, at, "register customer",
                                  {"name": name, "phone": phone}, ref={"appointment": extra.key})
        vehicle_id = await self._vehicle(extra.vehicle, customer["id"], at, extra.key)
        appointment = await api.send(RECEPTION, "POST", f"/sites/{api.site_id}/appointments", self.desk_clerk, at, "book appointment",
                                     {"customer_id": customer["id"], "vehicle_id": vehicle_id, "slot_start": extra.slot.isoformat()},
                                     ref={"appointment": extra.key})
        if extra.outcome == "cancelled":
            when = self.day.plan.at(7, 50)
            step = "cancel"
        else:
            when = datetime.fromisoformat(appointment["slot_end"]).astimezone(extra.slot.tzinfo) + timedelta(minutes=30)
            step = "no-show"
        self.day.agenda.at(when, step, lambda: self._close_appointment(appointment["id"], step, extra.key))

    async def _close_appointment(self, appointment_id: str, step: str, key: str) -> None:
        body = {"reason": "customer called: car not needed"} if step == "cancel" else {}
        await self.day.api.send(RECEPTION, "POST", f"/appointments/{appointment_id}/{step}", self.desk_clerk, self.day.agenda.now,
                                f"appointment {step}", body, ref={"appointment": key})

    # --- arrival to approval ----------------------------------------------------------------------------------

    async def arrive(self, visit: Visit) -> None:
        """The car at the door; the customer waits for the first advisor free."""
        api, now, plan = self.day.api, self.day.agenda.now, visit.plan
        if not visit.vehicle_id:
            await self._register(visit, now)
        body: dict[str, Any] = {"appointment_id": visit.appointment_id} if visit.appointment_id else {
            "vehicle_id": visit.vehicle_id, "customer_id": visit.customer_id}
        if not visit.appointment_id and not self.day.plan.at(OPENS) <= now < self.day.plan.at(CLOSES):
            body["walk_in"] = True  # a car at the gate before opening: the advisor takes it in as a walk-in, explicitly
        answer = await api.send(RECEPTION, "POST", f"/sites/{api.site_id}/arrivals", self.desk_clerk, now, "arrival", body,
                                ref={"visit": plan.key, "booked": visit.appointment_id is not None})
        visit.visit_id = answer["id"]
        visit.suggested = list(answer.get("suggested_lines") or [])  # open recall campaigns of the car
        advisor = min(self.advisors, key=lambda a: (self.free_at[a.subject], a.subject))
        greeted = max(now + timedelta(minutes=1), self.free_at[advisor.subject])
        opened = greeted + timedelta(seconds=plan.write_up)
        self.free_at[advisor.subject] = opened + timedelta(minutes=5)
        self.day.agenda.at(opened, "open RO", lambda: self._open(visit, advisor))

    async def _open(self, visit: Visit, advisor: Who) -> None:
        api, now, plan = self.day.api, self.day.agenda.now, visit.plan
        hours = sum(float(line.op.hours) for line in plan.lines)
        promised = now + timedelta(seconds=hours * 3600 * 2 + plan.promise_margin)
        if plan.ro_type in ("body_and_paint", "accident"):  # body work is promised for the end of the day at the earliest
            promised = max(promised, self.day.plan.at(17, 30))
        promised = promised.replace(second=0, microsecond=0) + timedelta(minutes=(15 - promised.minute % 15) % 15)
        campaigns = [_campaign(s) for s in visit.suggested]
        answer = await api.send(RECEPTION, "POST", f"/sites/{api.site_id}/repair-orders", advisor, now, "open RO", {
            "visit_id": visit.visit_id, "mileage_in": plan.mileage_in, "ro_type": plan.ro_type, "promised_at": promised.isoformat(),
            "job_lines": [_line_body(line.op) for line in plan.lines] + [body for _, body in campaigns]}, ref={"visit": plan.key})
        ro = Ro(visit, answer["id"], answer["ro_number"])
        visit.ro = ro
        by_position = sorted(answer["lines"], key=lambda line: line["position"])
        planned = [(line_plan.op, line_plan) for line_plan in plan.lines] + [(op, None) for op, _ in campaigns]
        ro.lines = [Line(ro, op, line_plan, read["id"]) for (op, line_plan), read in zip(planned, by_position, strict=True)]
        self.pay_types.update({read["id"]: read["pay_type"] for read in by_position})
        self.day.agenda.at(now + timedelta(minutes=1), "request approval",
                           lambda: self._request_approval(ro, list(ro.lines), advisor, initial=True))

    async def _request_approval(self, ro: Ro, lines: list[Line], advisor: Who, *, initial: bool = False) -> None:
        now, plan = self.day.agenda.now, ro.visit.plan
        await self.day.api.send(RECEPTION, "POST", f"/repair-orders/{ro.id}/request-approval", advisor, now, "request approval",
                                {"job_line_ids": [line.line_id for line in lines]}, ref={"ro": ro.number})
        for line in lines:
            line.status = "proposed"
        if initial:
            delays = plan.decision_delay + (plan.decision_delay[0],) * (len(lines) - len(plan.decision_delay))  # recalls: at once
            for line, delay in zip(lines, delays, strict=True):
                answer = "decline" if line.plan is not None and line.plan.declined else "approve"
                self.day.agenda.at(now + timedelta(seconds=delay), answer,
                                   lambda li=line, a=answer: self._decide(li, a, plan.method, advisor))

    async def _decide(self, line: Line, answer: str, method: str, advisor: Who, after: Job | None = None) -> None:
        ro, now = line.ro, self.day.agenda.now
        body: dict[str, Any] = {"by": ro.visit.plan.customer[0], "method": method}
        if answer == "decline":
            body["reason"] = "not today"
        await self.day.api.send(RECEPTION, "POST", f"/repair-orders/{ro.id}/lines/{line.line_id}/{answer}", advisor, now,
                                f"{answer} line", body, ref={"ro": ro.number, "op_code": line.op.op_code})
        line.status, line.decided_at = ("approved" if answer == "approve" else "declined"), now
        if after is not None:
            self.day.floor.answered(after, now)
        if line.status == "approved":
            await self.day.floor.job_approved(line, now)
        else:
            self.day.floor.check_ro(ro)

    def found_work(self, job: Job, op: Operation, declined: bool, delay: int) -> None:
        """The technician found more work: the advisor adds a line and calls the customer."""
        now = self.day.agenda.now
        advisor = self.advisors[0]
        self.day.agenda.at(now + timedelta(minutes=5), "add line", lambda: self._add_found_line(job, op, declined, delay, advisor))

    async def _add_found_line(self, job: Job, op: Operation, declined: bool, delay: int, advisor: Who) -> None:
        ro, now = job.ro, self.day.agenda.now
        answer = await self.day.api.send(RECEPTION, "POST", f"/repair-orders/{ro.id}/lines", advisor, now, "add line",
                                         _line_body(op), ref={"ro": ro.number, "found_by": job.id})
        known = {line.line_id for line in ro.lines}
        read = next(line for line in answer["lines"] if line["id"] not in known)
        self.pay_types[read["id"]] = read["pay_type"]
        line = Line(ro, op, None, read["id"])
        ro.lines.append(line)
        self.day.agenda.at(now + timedelta(minutes=1), "request approval", lambda: self._request_approval(ro, [line], advisor))
        self.day.agenda.at(now + timedelta(minutes=1, seconds=delay), "decide",
                           lambda: self._decide(line, "decline" if declined else "approve", "phone", advisor, after=job))

    # --- ready to delivered ---------------------------------------------------------------------------------

    def qc_passed(self, ro: Ro) -> None:
        """The advisor tells the customer; they come back for the car."""
        now, plan = self.day.agenda.now, ro.visit.plan
        latest = max(now + timedelta(minutes=10), self.day.plan.at(19, 30))
        self.day.agenda.at(min(now + timedelta(seconds=plan.pickup_delay), latest), "pickup", lambda: self._pickup(ro))

    async def _pickup(self, ro: Ro) -> None:
        api, now, plan = self.day.api, self.day.agenda.now, ro.visit.plan
        advisor = self.advisors[0]
        expected: dict[str, Decimal] = defaultdict(Decimal)
        for request_id in ro.requests:
            _, request = await api.get(PARTS, f"/parts-requests/{request_id}", advisor)
            for line in request["lines"]:
                expected[line["part_number"]] += Decimal(str(line["issued"])) - Decimal(str(line["returned"]))

        def complete(read: dict[str, Any]) -> bool:
            got: dict[str, Decimal] = defaultdict(Decimal)
            for line in read["parts_lines"]:
                got[line["part_number"]] += Decimal(str(line["quantity"]))
            return read["state"] == "ready" and {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}

        await api.wait("RO ready with its parts", RECEPTION, f"/repair-orders/{ro.id}", advisor, now, complete, ref={"ro": ro.number})
        body: dict[str, Any] = {}
        if plan.sublet is not None:
            description, amount, cost = plan.sublet
            pay = "insurance" if plan.ro_type == "accident" else "customer"
            body["sublet_lines"] = [{"description": description, "pay_type": pay, "amount": str(amount), "cost": str(cost)}]
        invoice = await api.send(RECEPTION, "POST", f"/repair-orders/{ro.id}/invoice", advisor, now, "invoice", body,
                                 ref={"ro": ro.number})
        self.day.invoices.append(invoice)
        self.day.agenda.at(now + timedelta(minutes=plan.deliver_minutes), "deliver", lambda: self._deliver(ro, advisor))

    async def _deliver(self, ro: Ro, advisor: Who) -> None:
        now = self.day.agenda.now
        await self.day.api.send(RECEPTION, "POST", f"/repair-orders/{ro.id}/deliver", advisor, now, "deliver",
                                {"mileage_out": ro.visit.plan.mileage_in + 8}, ref={"ro": ro.number})
        ro.delivered = True
        self.day.delivered += 1
        self.day.warranty.delivered(ro)
        comeback = self.day.plan.comeback
        if ro.visit is self.comeback_source and comeback is not None and comeback.comeback_delay is not None:
            back = now + timedelta(seconds=comeback.comeback_delay)
            if back <= self.day.plan.at(16, 0):  # too late in the day: the customer comes tomorrow instead
                visit = Visit(comeback, customer_id=ro.visit.customer_id, vehicle_id=ro.visit.vehicle_id)
                self.visits.append(visit)
                self.day.agenda.at(back, "comeback arrival", lambda: self.arrive(visit))

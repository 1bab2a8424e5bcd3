"""A realistic event log without running the services: the simulator's site-days turned straight into contract events.

Each site-day is drawn by `tools.simulator.plan.draw_site` (the same arrivals, RO types, job lines, declines, found work,
parts, helpers, QC fails, pickups and the comeback as a simulated day), then played on a simple timeline: two advisors at
the desk, the foreman giving each job to the first free technician with the skill and a bay that takes it, the clerk
picking parts (backorders filled by the supplier's van), QC, invoice and delivery. The events are what the reception,
workshop and parts services publish for those actions, at the times they happen.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.cloudevents import CloudEvent
from shared.contracts import parts as p
from shared.contracts import reception as r
from shared.contracts import workshop as w
from shared.contracts.base import Event
from tools.simulator import catalog
from tools.simulator.plan import LinePlan, SitePlan, VisitPlan, draw_site

D = Decimal
TIME_ZONE = "Asia/Shanghai"
DEFAULT_PAY = {"warranty": "warranty", "first_free_service": "warranty", "accident": "insurance"}
PARTS = {part.part_number: part for part in catalog.PARTS}
MINUTE = timedelta(minutes=1)


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


@dataclass
class _Job:
    line_id: str
    op: catalog.Operation
    plan: LinePlan | None
    approved: datetime
    pay: str
    tech: str = ""
    bay: str = ""
    end: datetime | None = None
    parts: list[tuple[str, int]] = field(default_factory=list)


class _SiteDay:
    """One site's day played on a timeline; `events` holds what the services publish."""

    def __init__(self, plan: SitePlan, rng: random.Random, stock: dict[str, int]) -> None:
        self.plan, self.rng, self.stock = plan, rng, stock
        self.site = plan.site_id
        self.events: list[Event] = []
        self.tech_free = {t.id: t.clock_in for t in plan.technicians}
        self.bay_ids = [f"{self.site}-bay-{n}" for n in range(len(plan.bays))]
        self.bay_free = dict.fromkeys(self.bay_ids, plan.at(8))
        self.advisor_free = dict.fromkeys(plan.advisors, plan.start)
        self.backorders: list[tuple[str, str, str, str, int, _Job]] = []  # backorder, request, line, part, qty, job
        self.below: set[str] = {n for n, q in stock.items() if q < PARTS[n].reorder_point}
        self.found: list[_Job] = []  # work found under a car and approved: it goes to the floor too

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add(self, cls: type[Event], at: datetime, **fields: Any) -> None:
        self.events.append(cls(site_id=self.site, occurred_at=at, **fields))

    # --- the day -----------------------------------------------------------------------------------------------

    def play(self) -> list[Event]:
        plan = self.plan
        for tech in plan.technicians:
            self.add(w.TechnicianClockedIn, tech.clock_in, technician_id=tech.id, name=tech.name, shift_end=tech.shift_end)
            self.add(w.TechnicianBreakStarted, tech.break_at, technician_id=tech.id)
            self.add(w.TechnicianBreakEnded, tech.break_at + timedelta(minutes=tech.break_minutes), technician_id=tech.id)
            self.add(w.TechnicianClockedOut, tech.shift_end, technician_id=tech.id)
        appointments = self._appointments()
        first_ro: tuple[str, datetime, str] | None = None
        for visit in plan.visits:
            ro_id, delivered = self._visit(visit, appointments.get(visit.key))
            if first_ro is None:
                first_ro = (ro_id, delivered, visit.vehicle.vin)
        if plan.comeback is not None and first_ro is not None and plan.comeback.comeback_delay is not None:
            back = first_ro[1] + _s(plan.comeback.comeback_delay)
            if back <= plan.at(16):
                self._visit(plan.comeback, None, arrival=back, comeback_of=first_ro[0])
        self._deliveries()
        return self.events

    def _appointments(self) -> dict[str, str]:
        plan, booked = self.plan, {}
        bookings = plan.at(7, 20)
        for i, visit in enumerate(plan.visits):
            if visit.slot is not None:
                appointment = self.uid()
                self.add(r.AppointmentBooked, bookings + _s(20 * i), appointment_id=appointment, customer_id=self.uid(),
                         vehicle_id=self.uid(), slot_start=visit.slot, slot_end=visit.slot + timedelta(minutes=30))
                booked[visit.key] = appointment
        for n, extra in enumerate(plan.appointments):
            appointment = self.uid()
            self.add(r.AppointmentBooked, bookings + timedelta(minutes=12, seconds=20 * n), appointment_id=appointment,
                     customer_id=self.uid(), vehicle_id=self.uid(), slot_start=extra.slot, slot_end=extra.slot + timedelta(minutes=30))
            if extra.outcome == "cancelled":
                self.add(r.AppointmentCancelled, plan.at(7, 50), appointment_id=appointment, reason="customer called")
            else:
                self.add(r.AppointmentNoShow, extra.slot + timedelta(minutes=60), appointment_id=appointment)
        return booked

    def _visit(self, visit: VisitPlan, appointment: str | None, *, arrival: datetime | None = None,
               comeback_of: str | None = None) -> tuple[str, datetime]:
        plan, at = self.plan, arrival or visit.arrival
        visit_id, vehicle_id, customer_id, ro_id = self.uid(), self.uid(), self.uid(), self.uid()
        self.add(r.VehicleArrived, at, visit_id=visit_id, vehicle_id=vehicle_id, customer_id=customer_id, vin=visit.vehicle.vin,
                 appointment_id=appointment)
        self.add(r.RecallChecked, at, visit_id=visit_id, vin=visit.vehicle.vin, status="none")
        advisor = min(self.advisor_free, key=lambda a: (self.advisor_free[a], a))
        opened = max(at + MINUTE, self.advisor_free[advisor]) + _s(visit.write_up)
        self.advisor_free[advisor] = opened + timedelta(minutes=5)
        lines = [(self.uid(), line.op, line) for line in visit.lines]
        hours = sum(float(op.hours) for _, op, _ in lines)
        promised = opened + _s(hours * 3600 * 1.4 + visit.promise_margin)
        pay = DEFAULT_PAY.get(visit.ro_type, "customer")
        job_lines = [self._job_line(line_id, op, pay) for line_id, op, _ in lines]
        self.add(r.RepairOrderOpened, opened, repair_order_id=ro_id, ro_number=f"RO{self.rng.randint(10000, 99999)}", visit_id=visit_id,
                 vehicle_id=vehicle_id, customer_id=customer_id, vin=visit.vehicle.vin, advisor=advisor, ro_type=visit.ro_type,
                 mileage_in=visit.mileage_in, arrived_at=at, promised_at=promised, is_comeback=comeback_of is not None,
                 comeback_of=comeback_of, job_lines=job_lines)
        asked = opened + MINUTE
        self.add(r.ApprovalRequested, asked, repair_order_id=ro_id, job_line_ids=[line_id for line_id, _, _ in lines])
        jobs: list[_Job] = []
        for (line_id, op, line), job_line, delay in zip(lines, job_lines, visit.decision_delay, strict=True):
            decided = asked + _s(delay)
            if line.declined:
                self.add(r.JobLineDeclined, decided, repair_order_id=ro_id, job_line_id=line_id, by=visit.customer[0],
                         method=visit.method)
                continue
            self.add(r.JobLineApproved, decided, repair_order_id=ro_id, job_line_id=line_id, line=job_line, by=visit.customer[0],
                     method=visit.method)
            jobs.append(_Job(line_id, op, line, decided, job_line.pay_type.value))
        done = [self._work(ro_id, job) for job in sorted(jobs, key=lambda j: j.approved)]
        while self.found:
            done.append(self._work(ro_id, self.found.pop(0)))
        finished = max([j.end for j in done if j.end is not None], default=asked)
        ready = self._qc(ro_id, done, finished, visit)
        self.add(r.RepairOrderReady, ready + _s(2), repair_order_id=ro_id, ro_number="RO", promised_at=promised)
        pickup = min(ready + _s(visit.pickup_delay), max(ready + timedelta(minutes=10), plan.at(19, 30)))
        self._invoice(ro_id, visit, done, pickup)
        delivered = pickup + timedelta(minutes=visit.deliver_minutes)
        self.add(r.VehicleDelivered, delivered, repair_order_id=ro_id, mileage_out=visit.mileage_in + 8)
        return ro_id, delivered

    def _job_line(self, line_id: str, op: catalog.Operation, pay: str) -> r.JobLine:
        return r.JobLine(job_line_id=line_id, op_code=op.op_code, description=op.description, complaint=op.complaint,
                         pay_type=op.pay_type or pay, sold_hours=op.hours, labour_rate=self.plan.labour_rate,
                         required_skill=op.skill)

    # --- the floor ---------------------------------------------------------------------------------------------

    def _tech_for(self, skill: str | None, besides: str = "") -> str:
        able = [t for t in self.plan.technicians if (skill is None or skill in t.skills) and t.id != besides]
        able = able or [t for t in self.plan.technicians if t.id != besides]
        return min(able, key=lambda t: (self.tech_free[t.id], t.id)).id

    def _bay_for(self, skill: str | None) -> str:
        able = [b for b, profile in zip(self.bay_ids, self.plan.bays, strict=True)
                if not profile.job_kinds or (skill or "general") in profile.job_kinds] or self.bay_ids
        return min(able, key=lambda b: (self.bay_free[b], b))

    def _work(self, ro_id: str, job: _Job) -> _Job:
        """Queue, dispatch, clock on, the planned interruptions, completion."""
        ids = {"job_id": job.line_id, "repair_order_id": ro_id}
        self.add(w.JobQueued, job.approved + _s(1), ro_number="RO", required_skill=job.op.skill, sold_hours=job.op.hours,
                 approved_at=job.approved, **ids)
        job.tech, job.bay = self._tech_for(job.op.skill), self._bay_for(job.op.skill)
        dispatched = max(job.approved + MINUTE, self.tech_free[job.tech], self.bay_free[job.bay])
        where = {"technician_id": job.tech, "bay_id": job.bay}
        self.add(w.JobDispatched, dispatched, **ids, **where)
        now = dispatched + _s(self.rng.randint(90, 300))
        self.add(w.JobClockedOn, now, **ids, **where)
        speed = next(t.speed for t in self.plan.technicians if t.id == job.tech)
        total = float(job.op.hours) * 3600 * speed * (job.plan.work_factor if job.plan else 1.0)
        done = 0.0
        steps = sorted((share, kind) for share, kind in ((job.plan.parts_at, "parts"), (job.plan.found_at, "found"),
                                                          (job.plan.helper_at, "helper")) if share is not None) if job.plan else []
        for share, kind in steps:
            now += _s(share * total - done)
            done = share * total
            if kind == "parts":
                now = self._parts(ro_id, job, now)
            elif kind == "found":
                now = self._found(ro_id, job, now)
            else:
                helper = self._tech_for(job.op.skill, besides=job.tech)
                self.add(w.JobClockedOn, now, **ids, technician_id=helper, bay_id=job.bay)
                self.add(w.JobClockedOff, now + timedelta(minutes=job.plan.helper_minutes if job.plan else 20), **ids,
                         technician_id=helper, bay_id=job.bay)
        end = now + _s(max(total - done, 60))
        tech = next(t for t in self.plan.technicians if t.id == job.tech)
        if not steps and now < tech.break_at < end:  # the workshop pauses a running job for the break
            back = tech.break_at + timedelta(minutes=tech.break_minutes)
            self.add(w.JobPaused, tech.break_at, **ids, **where, reason="break")
            self.add(w.JobResumed, back, **ids, **where)
            end += back - tech.break_at
        self.add(w.JobCompleted, end, **ids, **where, sold_hours=job.op.hours)
        job.end = self.tech_free[job.tech] = self.bay_free[job.bay] = end
        return job

    def _parts(self, ro_id: str, job: _Job, now: datetime) -> datetime:
        ids = {"job_id": job.line_id, "repair_order_id": ro_id}
        request = self.uid()
        wanted = [(number, quantity, self.uid()) for number, quantity in job.op.parts]
        self.add(w.PartsRequested, now, request_id=request, requested_by=job.tech, **ids,
                 lines=[w.RequestedPart(part_number=n, quantity=D(q)) for n, q, _ in wanted])
        self.add(p.PartsRequestReceived, now + _s(1), request_id=request, origin="workshop", requested_at=now, **ids,
                 lines=[p.RequestLine(request_line_id=line, part_number=n, quantity=D(q)) for n, q, line in wanted])
        self.add(w.JobPaused, now + _s(2), **ids, technician_id=job.tech, bay_id=job.bay, reason="waiting_parts")
        in_stock = [(n, q, line) for n, q, line in wanted if self.stock.get(n, 0) >= q]
        if in_stock:
            self.add(p.PartsReserved, now + _s(3), request_id=request,
                     lines=[p.RequestLine(request_line_id=line, part_number=n, quantity=D(q)) for n, q, line in in_stock])
        picked = now + _s(self.rng.randint(240, 720))
        missing = [x for x in wanted if x not in in_stock]
        if in_stock:
            for n, q, _ in in_stock:
                self.stock[n] -= q
                job.parts.append((n, q))
            self.add(p.PartsIssued, picked, request_id=request, request_fully_issued=not missing, **ids, lines=[
                p.IssuedLine(request_line_id=line, part_number=n, quantity=D(q), unit_cost=PARTS[n].unit_cost,
                             unit_price=PARTS[n].unit_price, from_stock_at_first_pick=True) for n, q, line in in_stock])
            for n, _, _ in in_stock:
                if self.stock[n] < PARTS[n].reorder_point and n not in self.below:
                    self.below.add(n)
                    self.add(p.PartBelowReorderPoint, picked, part_number=n, available=D(self.stock[n]),
                             reorder_point=D(PARTS[n].reorder_point), reorder_quantity=D(PARTS[n].reorder_quantity))
        if not missing:
            back = picked + timedelta(minutes=3)
        else:
            van = next((t for t in self.plan.deliveries if t > picked), self.plan.at(17))
            for n, q, line in missing:
                backorder = self.uid()
                self.add(p.PartsBackordered, picked, request_id=request, backorder_id=backorder, request_line_id=line, part_number=n,
                         quantity=D(q), **ids)
                self.backorders.append((backorder, request, line, n, q, job))
            back = van + timedelta(minutes=10)
        self.add(w.JobResumed, back, **ids, technician_id=job.tech, bay_id=job.bay)
        return back

    def _found(self, ro_id: str, job: _Job, now: datetime) -> datetime:
        plan = job.plan
        assert plan is not None and plan.found is not None
        ids = {"job_id": job.line_id, "repair_order_id": ro_id}
        self.add(w.JobPaused, now, **ids, technician_id=job.tech, bay_id=job.bay, reason="waiting_approval", note=plan.found.description)
        line_id = self.uid()
        line = self._job_line(line_id, plan.found, "customer")
        added = now + timedelta(minutes=5)
        self.add(r.JobLineAdded, added, repair_order_id=ro_id, line=line)
        self.add(r.ApprovalRequested, added + MINUTE, repair_order_id=ro_id, job_line_ids=[line_id])
        decided = added + MINUTE + _s(plan.found_delay)
        if plan.found_declined:
            self.add(r.JobLineDeclined, decided, repair_order_id=ro_id, job_line_id=line_id, by="customer", method="phone")
        else:
            self.add(r.JobLineApproved, decided, repair_order_id=ro_id, job_line_id=line_id, line=line, by="customer", method="phone")
            self.found.append(_Job(line_id, plan.found, None, decided, line.pay_type.value))
        back = decided + timedelta(minutes=2)
        self.add(w.JobResumed, back, **ids, technician_id=job.tech, bay_id=job.bay)
        return back

    def _qc(self, ro_id: str, jobs: list[_Job], finished: datetime, visit: VisitPlan) -> datetime:
        """QC (a fail sends the first job back to its technician), then the pass."""
        checked = finished + timedelta(minutes=3 + visit.qc_minutes[0])
        inspector = self.plan.inspector
        if visit.qc_fail and jobs:
            job = jobs[0]
            self.add(w.QcFailed, checked, repair_order_id=ro_id, inspector=inspector, job_ids=[job.line_id], reason="road test")
            ids = {"job_id": job.line_id, "repair_order_id": ro_id, "technician_id": job.tech, "bay_id": job.bay}
            start = max(checked + timedelta(minutes=2), self.tech_free[job.tech])
            self.add(w.JobClockedOn, start, **ids)
            end = start + timedelta(minutes=visit.rework_minutes)
            self.add(w.JobCompleted, end, **ids, sold_hours=job.op.hours)
            self.tech_free[job.tech] = max(self.tech_free[job.tech], end)
            checked = end + timedelta(minutes=3 + visit.qc_minutes[1])
        self.add(w.QcPassed, checked, repair_order_id=ro_id, inspector=inspector)
        return checked

    def _invoice(self, ro_id: str, visit: VisitPlan, jobs: list[_Job], at: datetime) -> None:
        rate, lines = self.plan.labour_rate, []
        for job in jobs:
            lines.append(r.InvoiceLine(kind="labour", pay_type=job.pay, amount=job.op.hours * rate, job_line_id=job.line_id,
                                       sold_hours=job.op.hours))
            for number, quantity in job.parts:
                part = PARTS[number]
                lines.append(r.InvoiceLine(kind="parts", pay_type=job.pay, amount=part.unit_price * quantity,
                                           cost=part.unit_cost * quantity, part_number=number, quantity=D(quantity)))
        if visit.sublet is not None:
            description, amount, cost = visit.sublet
            lines.append(r.InvoiceLine(kind="sublet", pay_type="insurance" if visit.ro_type == "accident" else "customer",
                                       amount=amount, cost=cost))
        total = {kind: sum((x.amount for x in lines if x.kind == kind), D(0)) for kind in ("labour", "parts", "sublet")}
        by_pay: dict[str, Decimal] = {}
        for x in lines:
            by_pay[x.pay_type.value] = by_pay.get(x.pay_type.value, D(0)) + x.amount
        amount = sum(total.values(), D(0))
        self.add(r.RepairOrderInvoiced, at, repair_order_id=ro_id, invoice_id=self.uid(), ro_number="RO", ro_type=visit.ro_type,
                 labour_amount=total["labour"], parts_amount=total["parts"], sublet_amount=total["sublet"], total_amount=amount,
                 tax_amount=(amount * self.plan.tax_rate).quantize(D("0.01")),
                 parts_cost=sum((x.cost for x in lines if x.kind == "parts"), D(0)),
                 sublet_cost=sum((x.cost for x in lines if x.kind == "sublet"), D(0)),
                 sold_hours=sum((j.op.hours for j in jobs), D(0)), amounts_by_pay_type=by_pay, lines=lines)

    def _deliveries(self) -> None:
        """The supplier's van: what the reorder points ask for, then the backorders first come first served."""
        for van in self.plan.deliveries:
            for number in sorted(self.below):
                part = PARTS[number]
                if part.reorder_quantity:
                    self.add(p.PartsReceived, van, part_number=number, receipt_id=self.uid(), quantity=D(part.reorder_quantity),
                             unit_cost=part.unit_cost)
                    self.stock[number] += part.reorder_quantity
                    self.add(p.PartBackAboveReorderPoint, van, part_number=number, available=D(self.stock[number]),
                             reorder_point=D(part.reorder_point))
            self.below = {n for n in self.below if self.stock[n] < PARTS[n].reorder_point}
        for backorder, request, line, number, quantity, job in self.backorders:
            van = next((t for t in self.plan.deliveries if t > job.approved), self.plan.at(17))
            self.add(p.PartsReceived, van, part_number=number, receipt_id=self.uid(), quantity=D(quantity),
                     unit_cost=PARTS[number].unit_cost)
            self.add(p.BackorderFilled, van, request_id=request, backorder_id=backorder, part_number=number, quantity=D(quantity),
                     request_line_id=line)
            self.add(p.PartsIssued, van + timedelta(minutes=2), request_id=request, request_fully_issued=True, job_id=job.line_id,
                     lines=[p.IssuedLine(request_line_id=line, part_number=number, quantity=D(quantity),
                                         unit_cost=PARTS[number].unit_cost, unit_price=PARTS[number].unit_price,
                                         from_stock_at_first_pick=False, backorder_id=backorder)])
            job.parts.append((number, quantity))


def site_setup(site_id: str, plan: SitePlan) -> list[Event]:
    """What a site publishes once: its configuration, its bays opening, its opening stock."""
    at = plan.start - timedelta(days=1)
    opening = [r.OpeningHours(weekday=d, opens="08:00", closes="18:00") for d in range(7)]
    events: list[Event] = [r.SiteConfigured(site_id=site_id, occurred_at=at, name=plan.name, time_zone=plan.time_zone,
                                            opening_hours=opening, labour_rate=plan.labour_rate,
                                            technician_cost_rate=plan.technician_cost_rate, tax_rate=plan.tax_rate,
                                            comeback_window_days=30)]
    for n, bay in enumerate(plan.bays):
        events.append(w.BayStatusChanged(site_id=site_id, occurred_at=at, bay_id=f"{site_id}-bay-{n}", name=bay.name, kind=bay.kind,
                                         status="open"))
    for part in catalog.PARTS:
        if part.stock:
            events.append(p.PartsReceived(site_id=site_id, occurred_at=at, part_number=part.part_number, receipt_id=f"{site_id}-open",
                                          quantity=D(part.stock), unit_cost=part.unit_cost))
    return events


def as_cloud_event(event: Event) -> CloudEvent:
    """An event as a producing service's relay sends it."""
    return CloudEvent(id=str(uuid.uuid4()), source=f"/pitwall/bench/sites/{event.site_id}", type=event.type, time=event.occurred_at,
                      subject=f"{event.aggregate}/{event.aggregate_id()}", site_id=event.site_id, sequence=1,
                      data=event.model_dump(mode="json"))


def site_ids(sites: int, prefix: str) -> list[str]:
    """The benchmark's site ids."""
    return [f"{prefix}-{n:03d}" for n in range(1, sites + 1)]


def event_log(sites: list[str], days: list[date], *, seed: int = 7, ros: int = 20,
              time_zone: str = TIME_ZONE) -> Iterator[list[Event]]:
    """Day by day, every site's events of that day in time order (the first day starts with each site's set-up)."""
    stock = {site: {part.part_number: part.stock for part in catalog.PARTS} for site in sites}
    for d, day in enumerate(days):
        batch: list[Event] = []
        for i, site in enumerate(sites):
            plan = draw_site(seed * 100_003 + d, i, site, time_zone, day, ros)
            if d == 0:
                batch += site_setup(site, plan)
            batch += _SiteDay(plan, random.Random(f"{seed}:{d}:{i}:bench"), stock[site]).play()
        batch.sort(key=lambda e: e.occurred_at)
        yield batch


def last_days(count: int, before: date) -> list[date]:
    """`count` consecutive dates ending the day before `before`."""
    return [before - timedelta(days=count - n) for n in range(count)]

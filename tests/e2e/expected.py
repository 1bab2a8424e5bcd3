"""The figures of ../shared/domain.md for one site, computed straight from the simulator's log.

A separate, deliberately plain calculation: it knows the formulas, not the KPI service's code. Money is recomputed
from what was sold (approved lines × rate, parts issued × catalogue price, sublets as sent) and checked against the
invoices reception wrote.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.e2e.day_log import D, Interval, Site

Key = tuple[str, tuple[tuple[str, str], ...]]
RO_TYPES = ("scheduled_maintenance", "first_free_service", "warranty", "general_repair", "body_and_paint", "accident", "accessories")
PAY_TYPES = ("customer", "warranty", "internal", "insurance")
WIP_STATES = ("open", "awaiting_approval", "awaiting_work", "in_work", "awaiting_qc", "qc_passed", "ready", "invoiced")
WAIT_KINDS = ("reception", "approval", "dispatch", "parts", "qc", "pickup", "dwell")


@dataclass
class Expected:
    """Figures by (name, labels) and wait samples by kind."""

    values: dict[Key, float | None] = field(default_factory=dict)
    waits: dict[str, list[float]] = field(default_factory=dict)

    def put(self, name: str, value: float | Decimal | int | None, **labels: str) -> None:
        self.values[(name, tuple(sorted(labels.items())))] = None if value is None else float(value)

    def get(self, name: str, **labels: str) -> float | None:
        return self.values[(name, tuple(sorted(labels.items())))]


def ratio(a: float | Decimal | int, b: float | Decimal | int) -> float | None:
    return float(a) / float(b) if b else None


def nearest_rank(samples: list[float], q: float) -> float | None:
    """The ⌈q·n⌉-th smallest sample."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else None


Span = tuple[float, float]


def union(spans: list[Span]) -> list[Span]:
    out: list[list[float]] = []
    for lo, hi in sorted(s for s in spans if s[1] > s[0]):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(a, b) for a, b in out]


def overlap(spans: list[Span], lo: float, hi: float) -> float:
    """Seconds of the (unioned) spans inside [lo, hi)."""
    return sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in union(spans))


def minus(spans: list[Span], cuts: list[Span]) -> list[Span]:
    """The time of the spans outside the cuts."""
    out = []
    for lo, hi in union(spans):
        for a, b in union(cuts):
            if a > lo:
                out.append((lo, min(a, hi)))
            lo = max(lo, b)
        out.append((lo, hi))
    return [(a, b) for a, b in out if b > a]


def local(site: Site, hhmm: str) -> float:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(date.fromisoformat(site.date), time(hours, minutes), tzinfo=ZoneInfo(site.time_zone)).timestamp()


class Day:
    """Figures of a site over [start, end), states read at `as_of`, open intervals running to `now`."""

    def __init__(self, site: Site, start: float, end: float, as_of: float, now: float) -> None:
        self.s, self.start, self.end, self.as_of, self.now = site, start, end, as_of, now
        self.out = Expected()

    def inside(self, t: float | None) -> bool:
        return t is not None and self.start <= t < self.end

    def clip(self, lo: float, hi: float | None) -> Span:
        return (max(lo, self.start), min(self.now if hi is None else hi, self.end))

    def worked(self) -> list[Interval]:
        """The job clocks cut to the time their technician was clocked in and off break (domain.md: job hours)."""
        pieces = []
        for i in self.s.intervals:
            shifts = [(a, self.now if b is None else b) for a, b in self.s.shifts.get(i.tech, []) if a is not None]
            breaks = [(a, self.now if b is None else b) for a, b in self.s.breaks.get(i.tech, []) if a is not None]
            for lo, hi in minus(shifts, breaks):
                start, end = max(i.start, lo), min(self.now if i.end is None else i.end, hi)
                if end > start:
                    pieces.append(Interval(i.job, i.tech, i.bay, start, end))
        return pieces

    def ready_at(self) -> dict[str, float]:
        """An RO is ready when the QC after its last completion passes (reception says the same: checked)."""
        ready = {}
        for ro in self.s.ros.values():
            passes = [t for t, ok in ro.qc if ok]
            if passes:
                ready[ro.id] = passes[-1]
                if ro.ready_seen is not None:
                    assert abs(ro.ready_seen - passes[-1]) < 1, f"reception's ready_at of {ro.id} is not its QC pass"
        return ready

    def compute(self) -> Expected:
        self.ready = self.ready_at()
        self.technicians()
        self.bays()
        self.waits()
        self.volume()
        self.wip()
        self.money()
        self.quality()
        self.parts()
        self.appointments()
        return self.out

    # --- time -------------------------------------------------------------------------------------------------

    def technicians(self) -> None:
        s, put = self.s, self.out.put
        attendance = {}
        for tech in s.technicians:
            shifts = [self.clip(a, b) for a, b in s.shifts.get(tech, [])]
            breaks = [self.clip(a, b) for a, b in s.breaks.get(tech, [])]
            attendance[tech] = sum(hi - lo for lo, hi in union(shifts)) - sum(overlap(shifts, lo, hi) for lo, hi in union(breaks))
        worked = self.worked()
        job_time = {t: overlap([self.clip(i.start, i.end) for i in worked if i.tech == t], self.start, self.end)
                    for t in s.technicians}
        sold: dict[str, float] = defaultdict(float)
        clocked: dict[str, float] = defaultdict(float)
        for job, completed in s.completions.items():
            if not self.inside(completed[0]):
                continue
            spent: dict[str, float] = defaultdict(float)
            for i in worked:
                if i.job == job:
                    spent[i.tech] += max(0.0, min(self.now if i.end is None else i.end, self.end) - i.start)
            total = sum(spent.values())
            for tech, seconds in spent.items():
                sold[tech] += float(s.lines[job].hours) * 3600 * seconds / total
                clocked[tech] += seconds
        present = [t for t in s.technicians if attendance[t] or job_time[t] or sold[t] or clocked[t]]
        for t in present:
            a, j = attendance[t], job_time[t]
            put("attendance_time", a, technician=t)
            put("job_time", j, technician=t)
            put("sold_time", sold[t], technician=t)
            put("completed_jobs_clocked_time", clocked[t], technician=t)
            put("technician_productivity", ratio(j, a), technician=t)
            put("technician_efficiency", ratio(sold[t], clocked[t]), technician=t)
            put("technician_proficiency", ratio(sold[t], a), technician=t)
        a, j, so, c = sum(attendance.values()), sum(job_time.values()), sum(sold.values()), sum(clocked.values())
        put("attendance_time", a)
        put("job_time", j)
        put("sold_time", so)
        put("completed_jobs_clocked_time", c)
        put("technician_productivity", ratio(j, a))
        put("technician_efficiency", ratio(so, c))
        put("technician_proficiency", ratio(so, a))
        clocked_in = sum(1 for t in s.technicians if attendance[t] > 0)
        put("technicians_clocked_in", clocked_in)
        put("vehicles_per_technician", ratio(self.ready_count(), clocked_in))

    def ready_count(self) -> int:
        return sum(1 for t in self.ready.values() if self.inside(t))

    def bays(self) -> None:
        s, put = self.s, self.out.put
        opens, closes = local(s, s.opening[0]), local(s, s.opening[1])
        totals = [0.0, 0.0, 0.0]
        bays_open = 0
        worked = self.worked()
        for bay, (_, created) in s.bays.items():
            lo, hi = max(opens, created, self.start), min(closes, self.end, self.now)
            open_time = max(0.0, hi - lo)
            busy = overlap([(i.start, self.now if i.end is None else i.end) for i in worked if i.bay == bay], lo, hi)
            held = overlap([(h.start, self.now if h.end is None else h.end) for h in s.holds if h.bay == bay], lo, hi)
            bays_open += open_time > 0
            totals = [totals[0] + open_time, totals[1] + busy, totals[2] + held]
            put("bay_open_time", open_time, bay=bay)
            put("bay_busy_time", busy, bay=bay)
            put("bay_occupied_time", held, bay=bay)
            put("bay_utilization", ratio(busy, open_time), bay=bay)
            put("bay_occupancy", ratio(held, open_time), bay=bay)
        put("bay_open_time", totals[0])
        put("bay_busy_time", totals[1])
        put("bay_occupied_time", totals[2])
        put("bay_utilization", ratio(totals[1], totals[0]))
        put("bay_occupancy", ratio(totals[2], totals[0]))
        put("bays_open", bays_open)
        put("bay_turnover", ratio(self.ready_count(), bays_open))  # one day with open time

    # --- waits ------------------------------------------------------------------------------------------------

    def waits(self) -> None:
        s = self.s
        w: dict[str, list[float]] = {k: [] for k in WAIT_KINDS}
        for ro in s.ros.values():
            if self.inside(ro.opened_at):
                w["reception"].append(ro.opened_at - ro.arrived_at)
            if self.inside(ro.delivered_at):
                assert ro.delivered_at is not None
                w["pickup"].append(ro.delivered_at - self.ready[ro.id])
                w["dwell"].append(ro.delivered_at - ro.arrived_at)
            completions = [t for job in ro.lines for t in s.completions.get(job, [])]
            for at, _ in ro.qc:
                if self.inside(at):
                    w["qc"].append(at - max(t for t in completions if t <= at))
        for line in s.lines.values():
            if self.inside(line.decided_at) and line.proposed_at is not None:
                w["approval"].append(line.decided_at - line.proposed_at)  # type: ignore[operator]
        first_on: dict[str, float] = {}
        for i in s.intervals:
            first_on[i.job] = min(first_on.get(i.job, i.start), i.start)
        for job, on in first_on.items():
            if self.inside(on):
                w["dispatch"].append(on - s.approved_at[job])
        for request in s.requests.values():
            if self.inside(request.issued_at):
                w["parts"].append(request.issued_at - request.requested_at)  # type: ignore[operator]
        self.out.waits = w
        ready = [ro for ro in s.ros.values() if self.inside(self.ready.get(ro.id)) and ro.promised_at is not None]
        self.out.put("on_time_rate", ratio(sum(1 for ro in ready if self.ready[ro.id] <= ro.promised_at), len(ready)))

    # --- volume and work in progress ----------------------------------------------------------------------------

    def volume(self) -> None:
        s, put = self.s, self.out.put
        arrived = [v for v, visit in s.visits.items() if self.inside(visit["arrived_at"])]
        ro_of = {ro.visit: ro for ro in s.ros.values()}
        put("vehicle_entries", len(arrived))
        put("repair_orders_opened", sum(1 for ro in s.ros.values() if self.inside(ro.opened_at)))
        put("repair_orders_ready", self.ready_count())
        put("repair_orders_invoiced", sum(1 for ro in s.ros.values() if self.inside(ro.invoiced_at)))
        put("repair_orders_delivered", sum(1 for ro in s.ros.values() if self.inside(ro.delivered_at)))
        linked = [ro_of[v] for v in arrived if v in ro_of]
        for ro_type in RO_TYPES:
            put("entry_share_by_ro_type", ratio(sum(1 for ro in linked if ro.ro_type == ro_type), len(arrived)), ro_type=ro_type)
        put("comeback_entry_share", ratio(sum(1 for ro in linked if ro.is_comeback), len(arrived)))
        paying = sum(1 for ro in linked if any(s.lines[i].pay_type == "customer" and s.lines[i].approved is not False for i in ro.lines))
        put("customer_pay_entries", paying)

    def wip(self) -> None:
        s, t = self.s, self.as_of
        states: dict[str, str] = {}
        for ro in s.ros.values():
            if ro.opened_at > t or (ro.delivered_at is not None and ro.delivered_at <= t):
                continue
            if ro.invoiced_at is not None and ro.invoiced_at <= t:
                states[ro.id] = "invoiced"
            elif ro.id in self.ready and self.ready[ro.id] <= t:
                states[ro.id] = "ready"
            else:
                states[ro.id] = self.work_state(ro.id, t)
        for state in WIP_STATES:
            self.out.put("wip", sum(1 for x in states.values() if x == state), state=state)
        ages = [t - s.ros[rid].arrived_at for rid in states]
        self.out.put("wip_total", len(states))
        self.out.put("wip_oldest_age", max(ages) if ages else 0.0)
        self.out.put("wip_over_threshold", sum(1 for age in ages if age > 24 * 3600))

    def work_state(self, rid: str, t: float) -> str:
        s, ro = self.s, self.s.ros[rid]
        jobs = [j for j in ro.lines if j in s.approved_at and s.approved_at[j] <= t]
        if not jobs:
            pending = any(s.lines[j].proposed_at is not None and s.lines[j].proposed_at <= t  # type: ignore[operator]
                          and not (s.lines[j].decided_at is not None and s.lines[j].decided_at <= t) for j in ro.lines)
            return "awaiting_approval" if pending else "open"
        done = []
        for j in jobs:
            starts = [i.start for i in s.intervals if i.job == j and i.start <= t]
            ends = [c for c in s.completions.get(j, []) if c <= t]
            done.append("queued" if not starts else "completed" if ends and max(ends) >= max(starts) else "started")
        if all(d == "completed" for d in done):
            last = max(c for j in jobs for c in s.completions[j] if c <= t)
            return "qc_passed" if any(last <= at <= t and ok for at, ok in ro.qc) else "awaiting_qc"
        return "in_work" if "started" in done else "awaiting_work"

    # --- money and quality ------------------------------------------------------------------------------------

    def sold(self, ro_id: str) -> dict[str, Decimal]:
        """What the RO sold, from the lines, the parts issued to it and the sublets: checked against its invoice."""
        s, ro = self.s, self.s.ros[ro_id]
        by_pay: dict[str, Decimal] = defaultdict(Decimal)
        labour = hours = customer_labour = parts = parts_cost = D(0)
        for line_id in ro.lines:
            line = s.lines[line_id]
            if line.approved:
                amount = (line.hours * line.rate).quantize(D("0.01"))
                labour, hours = labour + amount, hours + line.hours
                by_pay[line.pay_type] += amount
                customer_labour += amount if line.pay_type == "customer" else D(0)
        for request in s.requests.values():
            if request.ro == ro_id:
                assert request.issued_at is not None and request.issued_at <= ro.invoiced_at, "invoiced before its parts"  # type: ignore[operator]
                for number, quantity in request.lines:
                    price = (quantity * D(s.parts[number]["unit_price"])).quantize(D("0.01"))
                    parts, parts_cost = parts + price, parts_cost + quantity * D(s.parts[number]["unit_cost"])
                    by_pay[s.lines[request.job].pay_type] += price
        sublet = sum((D(x["amount"]) for x in ro.sublets), D(0))
        for x in ro.sublets:
            by_pay[x["pay_type"]] += D(x["amount"])
        sublet_cost = sum((D(x["cost"]) for x in ro.sublets), D(0))
        invoice = ro.invoice
        assert invoice is not None
        mine = {"labour_amount": labour, "parts_amount": parts, "sublet_amount": sublet, "total_amount": labour + parts + sublet,
                "sold_hours": hours, "parts_cost": parts_cost, "sublet_cost": sublet_cost}
        theirs = {k: D(str(invoice[k])) for k in mine}
        assert mine == theirs, f"reception's invoice of {ro_id} differs from what was sold: {theirs} != {mine}"
        assert {k: D(str(v)) for k, v in invoice["amounts_by_pay_type"].items() if D(str(v))} == {k: v for k, v in by_pay.items() if v}
        return {**mine, "customer_labour": customer_labour, **{f"pay:{k}": v for k, v in by_pay.items()}}

    def money(self) -> None:
        s, put = self.s, self.out.put
        invoiced = [ro for ro in s.ros.values() if self.inside(ro.invoiced_at)]
        sold = {ro.id: self.sold(ro.id) for ro in invoiced}

        def total(key: str, ros: list = invoiced) -> Decimal:
            return sum((sold[ro.id].get(key, D(0)) for ro in ros), D(0))

        revenue, labour, hours = total("total_amount"), total("labour_amount"), total("sold_hours")
        cost = total("parts_cost") + total("sublet_cost") + hours * s.technician_cost_rate
        put("labour_revenue", labour)
        put("parts_revenue", total("parts_amount"))
        put("sublet_revenue", total("sublet_amount"))
        put("total_revenue", revenue)
        put("revenue_per_repair_order", ratio(revenue, len(invoiced)))
        put("invoiced_sold_time", hours * 3600)
        put("effective_labour_rate", ratio(labour, hours))
        put("gross_margin", ratio(revenue - cost, revenue))
        put("labour_revenue_share", ratio(labour, revenue))
        put("parts_revenue_share", ratio(total("parts_amount"), revenue))
        put("sublet_revenue_share", ratio(total("sublet_amount"), revenue))
        put("customer_labour_revenue_share", ratio(total("customer_labour"), revenue))
        for pay in PAY_TYPES:
            put("revenue_by_pay_type", total(f"pay:{pay}"), pay_type=pay)
            put("revenue_share_by_pay_type", ratio(total(f"pay:{pay}"), revenue), pay_type=pay)
        for ro_type in RO_TYPES:
            amount = total("total_amount", [ro for ro in invoiced if ro.ro_type == ro_type])
            put("revenue_by_ro_type", amount, ro_type=ro_type)
            put("revenue_share_by_ro_type", ratio(amount, revenue), ro_type=ro_type)

    def quality(self) -> None:
        s, put = self.s, self.out.put
        opened = [ro for ro in s.ros.values() if self.inside(ro.opened_at)]
        put("comeback_rate", ratio(sum(1 for ro in opened if ro.is_comeback), len(opened)))
        against = {ro.comeback_of for ro in s.ros.values() if ro.is_comeback}
        invoiced = [ro for ro in s.ros.values() if self.inside(ro.invoiced_at)]
        fixed = [ro for ro in invoiced if all(ok for _, ok in ro.qc) and ro.id not in against]
        put("first_time_fix_rate", ratio(len(fixed), len(invoiced)))
        firsts = [ro.qc[0] for ro in s.ros.values() if ro.qc and self.inside(ro.qc[0][0])]
        put("qc_first_pass_rate", ratio(sum(1 for _, ok in firsts if ok), len(firsts)))

    def parts(self) -> None:
        s = self.s
        lines = [(quantity, held) for r in s.requests.values() if self.inside(r.requested_at)
                 for (_, quantity), held in zip(r.lines, r.reserved, strict=True)]
        self.out.put("parts_fill_rate", ratio(sum(1 for quantity, held in lines if held == quantity), len(lines)))
        self.out.put("open_backorders", len(s.open_backorders_at_end))
        self.out.put("parts_below_reorder_point", sum(1 for p in s.stock_at_end if D(p["available"]) < D(p["reorder_point"])))

    def appointments(self) -> None:
        s = self.s
        due = [a for a in s.appointments.values() if self.inside(a["slot_start"]) and not a["cancelled"]]
        arrived = [v for v in s.visits.values() if self.inside(v["arrived_at"])]
        self.out.put("appointments_due", len(due))
        self.out.put("appointment_show_rate", ratio(sum(1 for a in due if a["arrived"]), len(due)))
        self.out.put("booked_arrival_share", ratio(sum(1 for v in arrived if v["appointment_id"]), len(arrived)))


def expected(site: Site, start: float, end: float, as_of: float, now: float) -> Expected:
    """Every figure of the site over the window."""
    return Day(site, start, end, as_of, now).compute()

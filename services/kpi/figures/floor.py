"""Time on the floor: attendance, job and sold time per technician; open, busy and held time per bay."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from services.kpi.figures.clock import adjusted_attendance, current_invoices, sold_hours, worked_clocks
from services.kpi.figures.intervals import Span, clip, intersect, local_dates, opening_spans, subtract, total, union, until
from services.kpi.figures.model import Facts
from services.kpi.figures.result import Value, ratio, value
from services.kpi.figures.window import Window


def ready_count(facts: Facts, window: Window) -> int:
    """ROs that became ready in the window."""
    return sum(1 for ro in facts.repair_orders if window.contains(ro.ready_at))


def attendance_by_technician(facts: Facts, window: Window) -> dict[str, float]:
    """Seconds of attendance (shifts minus breaks) per technician in the window."""
    shifts: dict[str, list[Span | None]] = defaultdict(list)
    breaks: dict[str, list[Span | None]] = defaultdict(list)
    for a in adjusted_attendance(facts):
        (shifts if a.series == "shift" else breaks)[a.technician_id].append(clip(a.start, a.end, window))
    return {t: total(subtract(union(spans), union(breaks.get(t, [])))) for t, spans in shifts.items()}


def _sold_split(facts: Facts, window: Window) -> tuple[dict[str, float], dict[str, float], set[str]]:
    """Sold and clocked seconds on the jobs completed in the window per technician, and who has provisional ones."""
    invoices = current_invoices(facts)
    clocks = worked_clocks(facts)
    by_job: dict[str, list] = defaultdict(list)
    for interval in clocks:
        by_job[interval.job_id].append(interval)
    sold: dict[str, float] = defaultdict(float)
    clocked: dict[str, float] = defaultdict(float)
    provisional: set[str] = set()
    for job in facts.jobs:
        if not window.contains(job.first_completed_at):
            continue
        hours, is_provisional = sold_hours(job, invoices.get(job.repair_order_id or ""))
        per_technician: dict[str, float] = defaultdict(float)
        for interval in by_job.get(job.job_id, []):
            per_technician[interval.technician_id] += until(interval.start, interval.end, window)
        job_total = sum(per_technician.values())
        seconds = float(hours * Decimal(3600))
        shares = {t: spent / job_total for t, spent in per_technician.items()} if job_total > 0 else (
            {job.completed_by: 1.0} if job.completed_by else {})
        for technician, share in shares.items():
            sold[technician] += seconds * share
            clocked[technician] += per_technician.get(technician, 0.0)
            if is_provisional:
                provisional.add(technician)
    return sold, clocked, provisional


def technician_figures(facts: Facts, window: Window) -> list[Value]:
    """Attendance, job and sold time, productivity, efficiency and proficiency per technician and for the site."""
    attendance = attendance_by_technician(facts, window)
    job_spans: dict[str, list[Span | None]] = defaultdict(list)
    for interval in worked_clocks(facts):
        job_spans[interval.technician_id].append(clip(interval.start, interval.end, window))
    job_time = {t: total(union(spans)) for t, spans in job_spans.items()}
    sold, clocked, provisional = _sold_split(facts, window)
    technicians = sorted(t for t in set(attendance) | set(job_time) | set(sold) | set(clocked)
                         if attendance.get(t) or job_time.get(t) or sold.get(t) or clocked.get(t))
    out: list[Value] = []
    for t in technicians:
        a, j, s, c = attendance.get(t, 0.0), job_time.get(t, 0.0), sold.get(t, 0.0), clocked.get(t, 0.0)
        mine = t in provisional
        out += [
            value("attendance_time", a, technician=t),
            value("job_time", j, technician=t),
            value("sold_time", s, mine, technician=t),
            value("completed_jobs_clocked_time", c, technician=t),
            value("technician_productivity", ratio(j, a), technician=t),
            value("technician_efficiency", ratio(s, c), mine, technician=t),
            value("technician_proficiency", ratio(s, a), mine, technician=t),
        ]
    a, j = sum(attendance.values()), sum(job_time.values())
    s, c = sum(sold.values()), sum(clocked.values())
    present = sum(1 for seconds in attendance.values() if seconds > 0)
    any_provisional = bool(provisional)
    out += [
        value("attendance_time", a),
        value("job_time", j),
        value("sold_time", s, any_provisional),
        value("completed_jobs_clocked_time", c),
        value("technician_productivity", ratio(j, a)),
        value("technician_efficiency", ratio(s, c), any_provisional),
        value("technician_proficiency", ratio(s, a), any_provisional),
        value("technicians_clocked_in", present),
        value("vehicles_per_technician", ratio(ready_count(facts, window), present)),
    ]
    return out


def bay_open_spans(facts: Facts, window: Window) -> dict[str, list[Span]]:
    """Per bay: opening hours while its status is open, inside the window (the last status runs to now)."""
    opening = opening_spans(facts.site, window)
    by_bay: dict[str, list] = defaultdict(list)
    for status in facts.bay_statuses:
        by_bay[status.bay_id].append(status)
    result: dict[str, list[Span]] = {}
    for bay, statuses in by_bay.items():
        ordered = sorted(statuses, key=lambda s: (s.at, s.status))
        spans = []
        for i, status in enumerate(ordered):
            if status.status == "open":
                spans.append(clip(status.at, ordered[i + 1].at if i + 1 < len(ordered) else None, window))
        result[bay] = intersect(union(spans), opening)
    return result


def bay_figures(facts: Facts, window: Window) -> list[Value]:
    """Open, busy and occupied time, utilization and occupancy per bay and for the site; turnover."""
    open_spans = bay_open_spans(facts, window)
    busy_spans: dict[str, list[Span | None]] = defaultdict(list)
    for interval in worked_clocks(facts):
        if interval.bay_id:
            busy_spans[interval.bay_id].append(clip(interval.start, interval.end, window))
    held_spans: dict[str, list[Span | None]] = defaultdict(list)
    for hold in facts.holds:
        held_spans[hold.bay_id].append(clip(hold.start, hold.end, window))
    out: list[Value] = []
    sums = [0.0, 0.0, 0.0]
    for bay in sorted(set(open_spans) | set(busy_spans) | set(held_spans)):
        opened = open_spans.get(bay, [])
        o = total(opened)
        b = total(intersect(union(busy_spans.get(bay, [])), opened))
        h = total(intersect(union(held_spans.get(bay, [])), opened))
        sums = [sums[0] + o, sums[1] + b, sums[2] + h]
        out += [
            value("bay_open_time", o, bay=bay),
            value("bay_busy_time", b, bay=bay),
            value("bay_occupied_time", h, bay=bay),
            value("bay_utilization", ratio(b, o), bay=bay),
            value("bay_occupancy", ratio(h, o), bay=bay),
        ]
    bays_open = sum(1 for spans in open_spans.values() if total(spans) > 0)
    days = len(local_dates([s for spans in open_spans.values() for s in spans], window.time_zone))
    out += [
        value("bay_open_time", sums[0]),
        value("bay_busy_time", sums[1]),
        value("bay_occupied_time", sums[2]),
        value("bay_utilization", ratio(sums[1], sums[0])),
        value("bay_occupancy", ratio(sums[2], sums[0])),
        value("bays_open", bays_open),
        value("bay_turnover", ratio(ready_count(facts, window), bays_open * days)),
    ]
    return out

"""Clocked intervals after the foremen's corrections, the part of them a technician worked, and a job's sold hours."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from decimal import Decimal

from services.kpi.figures.intervals import Span, intersect, subtract, union
from services.kpi.figures.model import Attendance, ClockInterval, Facts, Invoice, Job


def _corrections(adjustments: list, job: bool) -> list:
    return sorted((a for a in adjustments if (a.job_id is not None) == job), key=lambda a: (a.adjusted_at, a.adjustment_id))


def adjusted_clocks(facts: Facts) -> list[ClockInterval]:
    """Job intervals with each ClockingAdjusted replacing the interval that started at its original_start."""
    slots: dict[tuple[str, str], dict[float, ClockInterval]] = defaultdict(dict)
    job_bay: dict[str, str] = {}
    for interval in sorted(facts.clock_intervals, key=lambda i: (i.start, i.technician_id)):
        slots[(interval.technician_id, interval.job_id)][interval.start] = interval
        if interval.bay_id:
            job_bay.setdefault(interval.job_id, interval.bay_id)
    for a in _corrections(facts.adjustments, job=True):
        slot = slots[(a.technician_id, a.job_id)]
        replaced = slot.pop(a.original_start, None)
        bay = replaced.bay_id if replaced is not None else job_bay.get(a.job_id)
        slot[a.corrected_start] = ClockInterval(a.job_id, a.technician_id, a.corrected_start, a.corrected_end, bay)
    return [i for slot in slots.values() for i in slot.values() if i.end is None or i.end > i.start]


def adjusted_attendance(facts: Facts) -> list[Attendance]:
    """Shifts (corrected the same way when the adjustment names no job) and breaks."""
    shifts: dict[str, dict[float, Attendance]] = defaultdict(dict)
    breaks = [a for a in facts.attendance if a.series == "break"]
    for a in facts.attendance:
        if a.series == "shift":
            shifts[a.technician_id][a.start] = a
    for adj in _corrections(facts.adjustments, job=False):
        slot = shifts[adj.technician_id]
        slot.pop(adj.original_start, None)
        slot[adj.corrected_start] = Attendance(adj.technician_id, "shift", adj.corrected_start, adj.corrected_end)
    return [a for slot in shifts.values() for a in slot.values() if a.end is None or a.end > a.start] + breaks


def _present(attendance: list[Attendance]) -> dict[str, list[Span]]:
    """Per technician: when they were clocked in and not on a break (an open shift or break runs on for ever)."""
    shifts: dict[str, list[Span | None]] = defaultdict(list)
    breaks: dict[str, list[Span | None]] = defaultdict(list)
    for a in attendance:
        (shifts if a.series == "shift" else breaks)[a.technician_id].append((a.start, math.inf if a.end is None else a.end))
    return {t: subtract(union(spans), union(breaks.get(t, []))) for t, spans in shifts.items()}


_last: list[tuple[Facts, list[ClockInterval]]] = []  # the facts of the windows being computed, and their worked clocks


def worked_clocks(facts: Facts) -> list[ClockInterval]:
    """The corrected job clocks cut to the time their technician was clocked in and off break: a break pauses a job, a
    clock-out stops it counting, and a clock left running after clock-out adds nothing (it is a stale clock)."""
    # Every window of a site is computed from one read of its facts, and three figures ask: worked out once per read.
    if _last and _last[0][0] is facts:
        return _last[0][1]
    present = _present(adjusted_attendance(facts))
    ends = {technician: [hi for _, hi in spans] for technician, spans in present.items()}
    worked: list[ClockInterval] = []
    for c in adjusted_clocks(facts):
        spans = present.get(c.technician_id, [])
        first = bisect_right(ends.get(c.technician_id, []), c.start)  # the first span still open after the clock's start
        clocked = [(c.start, math.inf if c.end is None else c.end)]
        for lo, hi in intersect(clocked, spans[first:]):
            worked.append(ClockInterval(c.job_id, c.technician_id, lo, None if hi == math.inf else hi, c.bay_id))
    _last[:] = [(facts, worked)]
    return worked


def current_invoices(facts: Facts) -> dict[str, Invoice]:
    """Each RO's latest invoice."""
    latest: dict[str, Invoice] = {}
    for invoice in sorted(facts.invoices, key=lambda i: (i.invoiced_at, i.invoice_id)):
        latest[invoice.repair_order_id] = invoice
    return latest


def sold_hours(job: Job, invoice: Invoice | None) -> tuple[Decimal, bool]:
    """The job's sold hours and whether they are provisional (its RO not invoiced yet)."""
    at_completion = job.completion_sold_hours if job.completion_sold_hours is not None else job.queued_sold_hours
    if invoice is None:
        return at_completion or Decimal("0"), True
    lines = [line for line in invoice.lines if line.kind == "labour" and line.job_line_id == job.job_id]
    if lines:
        return sum((line.sold_hours for line in lines), Decimal("0")), False
    return at_completion or Decimal("0"), False

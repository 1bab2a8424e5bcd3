"""Waits as distributions (one sample per occurrence, counted in the window where it ends), and on-time rate."""

from __future__ import annotations

from collections import defaultdict

from services.kpi.figures.model import Facts
from services.kpi.figures.result import Distribution, Value, ratio, value
from services.kpi.figures.window import Window


def arrival_of(facts: Facts) -> dict[str, float]:
    """When each RO's vehicle arrived (the RO's own statement, else its visit's)."""
    visits = {v.visit_id: v.arrived_at for v in facts.visits if v.arrived_at is not None}
    arrivals: dict[str, float] = {}
    for ro in facts.repair_orders:
        at = ro.arrived_at if ro.arrived_at is not None else visits.get(ro.visit_id or "")
        if at is not None:
            arrivals[ro.repair_order_id] = at
    return arrivals


def _gap(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else max(0.0, end - start)


def wait_distributions(facts: Facts, window: Window) -> list[Distribution]:
    """The seven waits of the floor."""
    samples: dict[str, list[float | None]] = defaultdict(list)
    arrivals = arrival_of(facts)
    for ro in facts.repair_orders:
        arrived = arrivals.get(ro.repair_order_id)
        if window.contains(ro.opened_at):
            samples["reception"].append(_gap(arrived, ro.opened_at))
        if window.contains(ro.delivered_at):
            samples["pickup"].append(_gap(ro.ready_at, ro.delivered_at))
            samples["dwell"].append(_gap(arrived, ro.delivered_at))
    line_approved: dict[str, float] = {}
    for line in facts.job_lines:
        decided = min((t for t in (line.approved_at, line.declined_at) if t is not None), default=None)
        if line.approved_at is not None:
            line_approved[line.job_line_id] = line.approved_at
        if window.contains(decided) and line.proposed_at is not None and decided is not None and decided >= line.proposed_at:
            samples["approval"].append(decided - line.proposed_at)
    for job in facts.jobs:
        if window.contains(job.first_clock_on):
            approved = job.approved_at if job.approved_at is not None else line_approved.get(job.job_id)
            samples["dispatch"].append(_gap(approved, job.first_clock_on))
    for request in facts.parts_requests:
        if window.contains(request.fully_issued_at):
            samples["parts"].append(_gap(request.requested_at, request.fully_issued_at))
    completions: dict[str, list[float]] = defaultdict(list)
    for mark in facts.job_marks:
        if mark.kind == "complete" and mark.repair_order_id:
            completions[mark.repair_order_id].append(mark.at)
    for result in facts.qc_results:
        if window.contains(result.at):
            before = [t for t in completions.get(result.repair_order_id, []) if t <= result.at]
            samples["qc"].append(result.at - max(before) if before else None)
    kinds = ("reception", "approval", "dispatch", "parts", "qc", "pickup", "dwell")
    return [Distribution(kind, tuple(s for s in samples.get(kind, []) if s is not None)) for kind in kinds]


def on_time(facts: Facts, window: Window) -> list[Value]:
    """ROs ready by their promised time ÷ ROs that became ready with a promised time."""
    ready = [ro for ro in facts.repair_orders if window.contains(ro.ready_at) and ro.promised_at is not None]
    kept = sum(1 for ro in ready if ro.ready_at is not None and ro.promised_at is not None and ro.ready_at <= ro.promised_at)
    return [value("on_time_rate", ratio(kept, len(ready)))]

"""Volume (entries, ROs opened/ready/invoiced/delivered, shares of entries) and work in progress."""

from __future__ import annotations

from collections import defaultdict

from services.kpi.figures.clock import current_invoices
from services.kpi.figures.model import Facts, JobMark, RepairOrder
from services.kpi.figures.result import Value, ratio, value
from services.kpi.figures.waits import arrival_of
from services.kpi.figures.window import Window
from shared.contracts.reception import RoType

RO_TYPES = tuple(t.value for t in RoType)
WIP_STATES = ("open", "awaiting_approval", "awaiting_work", "in_work", "awaiting_qc", "qc_passed", "ready", "invoiced")


def entries(facts: Facts, window: Window) -> list:
    """The visits that arrived in the window."""
    return [v for v in facts.visits if window.contains(v.arrived_at)]


def ro_of_visit(facts: Facts) -> dict[str, RepairOrder]:
    """The RO opened on each visit."""
    by_id = {ro.repair_order_id: ro for ro in facts.repair_orders}
    mapping = {ro.visit_id: ro for ro in facts.repair_orders if ro.visit_id}
    for v in facts.visits:
        if v.repair_order_id in by_id:
            mapping.setdefault(v.visit_id, by_id[v.repair_order_id])
    return mapping


def volume_figures(facts: Facts, window: Window) -> list[Value]:
    """Entries, ROs by what they reached in the window, entry shares by RO type and comebacks."""
    arrived = entries(facts, window)
    invoiced = [i for i in current_invoices(facts).values() if window.contains(i.invoiced_at)]
    ros = facts.repair_orders
    out = [
        value("vehicle_entries", len(arrived)),
        value("repair_orders_opened", sum(1 for ro in ros if window.contains(ro.opened_at))),
        value("repair_orders_ready", sum(1 for ro in ros if window.contains(ro.ready_at))),
        value("repair_orders_invoiced", len(invoiced)),
        value("repair_orders_delivered", sum(1 for ro in ros if window.contains(ro.delivered_at))),
    ]
    by_visit = ro_of_visit(facts)
    linked = [by_visit.get(v.visit_id) for v in arrived]
    for ro_type in RO_TYPES:
        count = sum(1 for ro in linked if ro is not None and ro.ro_type == ro_type)
        out.append(value("entry_share_by_ro_type", ratio(count, len(arrived)), ro_type=ro_type))
    comebacks = sum(1 for ro in linked if ro is not None and ro.is_comeback)
    out.append(value("comeback_entry_share", ratio(comebacks, len(arrived))))
    paying = {line.repair_order_id for line in facts.job_lines
              if line.pay_type == "customer" and line.removed_at is None and line.declined_at is None}
    out.append(value("customer_pay_entries", sum(1 for ro in linked if ro is not None and ro.repair_order_id in paying)))
    return out


def job_state(marks: list[JobMark], t: float) -> str:
    seen = [m for m in marks if m.at <= t and m.kind in ("on", "resume", "complete")]
    if not seen:
        return "queued"
    last = max(seen, key=lambda m: (m.at, m.kind == "complete"))
    return "completed" if last.kind == "complete" else "started"


def wip_states(facts: Facts, t: float) -> dict[str, str]:
    """The state of every RO in progress at t."""
    invoiced_at: dict[str, float] = defaultdict(lambda: float("inf"))
    for invoice in facts.invoices:
        invoiced_at[invoice.repair_order_id] = min(invoiced_at[invoice.repair_order_id], invoice.invoiced_at)
    jobs_of: dict[str, list] = defaultdict(list)
    for job in facts.jobs:
        if job.repair_order_id:
            jobs_of[job.repair_order_id].append(job)
    marks_of: dict[str, list[JobMark]] = defaultdict(list)
    for mark in facts.job_marks:
        marks_of[mark.job_id].append(mark)
    lines_of: dict[str, list] = defaultdict(list)
    for line in facts.job_lines:
        lines_of[line.repair_order_id].append(line)
    passes_of: dict[str, list[float]] = defaultdict(list)
    for result in facts.qc_results:
        if result.passed:
            passes_of[result.repair_order_id].append(result.at)
    states: dict[str, str] = {}
    for ro in facts.repair_orders:
        rid = ro.repair_order_id
        if ro.opened_at is None or ro.opened_at > t:
            continue
        if (ro.delivered_at is not None and ro.delivered_at <= t) or (ro.cancelled_at is not None and ro.cancelled_at <= t):
            continue
        if invoiced_at[rid] <= t:
            states[rid] = "invoiced"
        elif ro.ready_at is not None and ro.ready_at <= t:
            states[rid] = "ready"
        else:
            states[rid] = _work_state(ro, t, jobs_of[rid], marks_of, lines_of[rid], passes_of[rid])
    return states


def _work_state(ro: RepairOrder, t: float, jobs: list, marks_of: dict[str, list[JobMark]], lines: list, passes: list[float]) -> str:
    active = [j for j in jobs if (j.withdrawn_at is None or j.withdrawn_at > t)
              and ((j.queued_at is not None and j.queued_at <= t) or any(m.at <= t for m in marks_of[j.job_id]))]
    if not active:
        pending = any(line.proposed_at is not None and line.proposed_at <= t
                      and not any(d is not None and d <= t for d in (line.approved_at, line.declined_at, line.removed_at))
                      for line in lines)
        return "awaiting_approval" if pending else "open"
    states = [job_state(marks_of[j.job_id], t) for j in active]
    if all(s == "completed" for s in states):
        last_completion = max(m.at for j in active for m in marks_of[j.job_id] if m.kind == "complete" and m.at <= t)
        return "qc_passed" if any(last_completion <= p <= t for p in passes) else "awaiting_qc"
    return "in_work" if "started" in states else "awaiting_work"


def wip_figures(facts: Facts, window: Window, threshold_seconds: float) -> list[Value]:
    """WIP count by state, the oldest one's age and how many are older than the threshold, at the window's end."""
    t = window.as_of
    states = wip_states(facts, t)
    arrivals = arrival_of(facts)
    ros = {ro.repair_order_id: ro for ro in facts.repair_orders}
    ages = [t - arrivals.get(rid, ros[rid].opened_at or t) for rid in states]
    out = [value("wip", sum(1 for s in states.values() if s == state), state=state) for state in WIP_STATES]
    out += [
        value("wip_total", len(states)),
        value("wip_oldest_age", max(ages) if ages else 0.0),
        value("wip_over_threshold", sum(1 for age in ages if age > threshold_seconds)),
    ]
    return out

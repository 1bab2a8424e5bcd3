"""The floor at the window's end (or now): cars waiting at reception, ROs past their promise or waiting for parts, stale
clocks; who the technicians and bays are. (On /metrics, and on REST `/floor` but the names.)"""

from __future__ import annotations

from collections import defaultdict

from services.kpi.figures.clock import adjusted_attendance, adjusted_clocks
from services.kpi.figures.model import Facts, JobMark, StaleFlag
from services.kpi.figures.result import Value, value
from services.kpi.figures.volume import job_state, wip_states
from services.kpi.figures.window import Window, today
from shared.contracts.workshop import StaleClockKind

STALE_KINDS = tuple(k.value for k in StaleClockKind)


def reception_queue(facts: Facts, window: Window) -> list[Value]:
    """Vehicles that arrived on the site's day and have no RO opened yet, and how long the first of them has waited."""
    t = window.as_of
    midnight = today(window.time_zone, t).start
    waiting = [v.arrived_at for v in facts.queued_visits
               if midnight <= v.arrived_at <= t and (v.opened_at is None or v.opened_at > t)]
    return [value("reception_queue", len(waiting)),
            value("reception_queue_longest_wait", t - min(waiting) if waiting else 0.0)]


def _open_request(facts: Facts, t: float) -> dict[str, list[str | None]]:
    """RO → the jobs of its parts requests not issued in full at t (None: a request for no job)."""
    jobs: dict[str, list[str | None]] = defaultdict(list)
    for r in facts.ro_parts_requests:
        if r.requested_at <= t and (r.fully_issued_at is None or r.fully_issued_at > t):
            jobs[r.repair_order_id].append(r.job_id)
    return jobs


def late_and_waiting_parts(facts: Facts, t: float) -> tuple[int, int]:
    """ROs in progress and not ready at t: those past their promised time, those with a parts request (or backorder)
    not issued in full for a job neither finished nor withdrawn."""
    requests = _open_request(facts, t)
    promised = {ro.repair_order_id for ro in facts.repair_orders if ro.promised_at is not None and ro.promised_at < t
                and not any(done is not None and done <= t for done in (ro.ready_at, ro.delivered_at, ro.cancelled_at))}
    if not requests and not promised:
        return 0, 0
    not_ready = {rid for rid, state in wip_states(facts, t).items() if state not in ("ready", "invoiced")}
    marks_of: dict[str, list[JobMark]] = defaultdict(list)
    for mark in facts.job_marks:
        marks_of[mark.job_id].append(mark)
    withdrawn = {j.job_id for j in facts.jobs if j.withdrawn_at is not None and j.withdrawn_at <= t}
    waiting = {rid for rid, jobs in requests.items() if rid in not_ready and any(
        job is None or (job not in withdrawn and job_state(marks_of[job], t) != "completed") for job in jobs)}
    return len(promised & not_ready), len(waiting)


def _running(start: float, end: float | None, flagged_at: float, t: float) -> bool:
    """A clock that was running when flagged and still runs at t (not stopped, corrected or restarted since)."""
    return start <= flagged_at and (end is None or end > t)


def still_stale(facts: Facts, t: float) -> list[StaleFlag]:
    """The flags, raised by t, whose clock still runs at t: a job clock until clocked off, paused, completed, withdrawn or
    corrected (and, past clock-out, until the technician clocks in again); a shift until clocked out or corrected."""
    clocks = adjusted_clocks(facts)
    shifts = [a for a in adjusted_attendance(facts) if a.series == "shift"]
    clocked_in = {a.technician_id for a in shifts if a.start <= t and (a.end is None or a.end > t)}
    standing = []
    for flag in facts.stale_flags:
        if flag.flagged_at > t:
            continue
        if flag.job_id is None:
            runs = any(_running(a.start, a.end, flag.flagged_at, t) for a in shifts if a.technician_id == flag.technician_id)
        else:
            runs = any(_running(c.start, c.end, flag.flagged_at, t) for c in clocks
                       if c.job_id == flag.job_id and c.technician_id == flag.technician_id)
            if flag.kind == StaleClockKind.JOB_PAST_CLOCK_OUT.value and flag.technician_id in clocked_in:
                runs = False
        if runs:
            standing.append(flag)
    return standing


def one_kind_per_clock(flags: list[StaleFlag]) -> list[StaleFlag]:
    """Each stale clock once, under its most urgent kind (a job left on past clock-out is often over its sold hours too)."""
    urgent: dict[tuple[str, str | None], StaleFlag] = {}
    for flag in sorted(flags, key=lambda f: STALE_KINDS.index(f.kind) if f.kind in STALE_KINDS else len(STALE_KINDS)):
        urgent.setdefault((flag.technician_id, flag.job_id), flag)
    return list(urgent.values())


def now_figures(facts: Facts, window: Window) -> list[Value]:
    """Cars waiting at reception, ROs past their promise or waiting for parts, clocks flagged stale that still run."""
    late, waiting = late_and_waiting_parts(facts, window.as_of)
    standing = one_kind_per_clock(still_stale(facts, window.as_of)) if facts.stale_flags else []
    return [*reception_queue(facts, window), value("wip_past_promise", late), value("wip_waiting_parts", waiting),
            *(value("stale_clocks", sum(1 for f in standing if f.kind == kind), kind=kind) for kind in STALE_KINDS)]


def name_figures(facts: Facts, window: Window) -> list[Value]:
    """Each technician's and bay's display name, as the workshop's events state it (1 per name)."""
    # Built directly: a `name` label cannot be a keyword of `value`.
    return ([Value("technician_name", 1.0, (("name", n), ("technician", t))) for t, n in sorted(facts.technician_names.items()) if n]
            + [Value("bay_name", 1.0, (("bay", b), ("name", n))) for b, n in sorted(facts.bay_names.items()) if n])

"""The rows each statement of a figures read selects, taken from a site's rows in memory instead of the database.

Each function here is the statement of the same name in facts.py, satisfaction/load.py, warranty/load.py or review.py,
condition for condition (a missing time compares as SQL's NULL: never in a range), so the same `from_rows` turns them
into the same figures' facts. tests/kpi/test_memory_reads.py holds the two side by side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.kpi.db import (
    AppointmentFact,
    AttendanceIntervalFact,
    BackorderFact,
    BayFact,
    BayHoldFact,
    BayStatusFact,
    ClockingAdjustmentFact,
    InvoiceFact,
    JobFact,
    JobIntervalFact,
    JobLineFact,
    JobMarkFact,
    PartsIssueLineFact,
    PartsRequestFact,
    PartsRequestLineFact,
    QcResultFact,
    RepairOrderFact,
    SiteFact,
    StaleClockFact,
    StockFlagFact,
    TechnicianFact,
    VisitFact,
)
from services.kpi.satisfaction.tables import ComplaintFact, FollowUpAttemptFact, FollowUpDueFact
from services.kpi.state.rows import Row, SiteState
from services.kpi.warranty.figures import RECEIVABLE
from services.kpi.warranty.tables import WarrantyClaimFact

Rows = dict[str, list[Any]]


def _within(value: datetime | None, lo: datetime, hi: datetime) -> bool:
    return value is not None and lo <= value < hi


def _overlaps(start: datetime | None, end: datetime | None, lo: datetime, hi: datetime) -> bool:
    return start is not None and start < hi and (end is None or end > lo)


def _open_at(end: datetime | None, at: datetime) -> bool:
    return end is None or end > at


def _arrival(visit: Row) -> datetime | None:
    return visit["arrived_at"] if visit["arrived_at"] is not None else visit["ro_arrived_at"]


def _ids(rows: Iterable[Row], column: str) -> set[Any]:
    return {row[column] for row in rows if row[column] is not None}


def _latest_per(rows: Iterable[Row], group: str, keep: Any) -> list[Row]:
    """The rows at the latest `at` of their group among those `keep` accepts."""
    chosen: dict[Any, list[Row]] = {}
    latest: dict[Any, datetime] = {}
    for row in rows:
        if not keep(row):
            continue
        key, at = row[group], row["at"]
        if key not in latest or at > latest[key]:
            latest[key], chosen[key] = at, [row]
        elif at == latest[key]:
            chosen[key].append(row)
    return [row for rows_at in chosen.values() for row in rows_at]


def facts_rows(state: SiteState, lo: datetime, hi: datetime, at: datetime, day_back: datetime) -> Rows:
    """What facts.py's statements read for :lo, :hi, :at and :day_back (facts.facts_from_rows takes it)."""
    t = state.tables
    visits, ros, jobs = t[VisitFact].values(), t[RepairOrderFact].values(), t[JobFact].values()
    invoices, qc = t[InvoiceFact].values(), t[QcResultFact].values()
    visits_in = [v for v in visits if _within(_arrival(v), lo, hi)]
    jobs_in = [j for j in jobs if _within(j["first_completed_at"], lo, hi) or _within(j["first_clock_on"], lo, hi)]
    completed = {j["job_id"] for j in jobs if _within(j["first_completed_at"], lo, hi)}
    ro_of_others = (_ids((i for i in invoices if _within(i["invoiced_at"], lo, hi)), "repair_order_id")
                    | _ids((q for q in qc if _within(q["at"], lo, hi)), "repair_order_id")
                    | _ids(jobs_in, "repair_order_id") | _ids(visits_in, "repair_order_id"))
    visit_ids_in = _ids(visits_in, "visit_id")

    def ro_wanted(r: Row) -> bool:
        return (_within(r["opened_at"], lo, hi) or _within(r["ready_at"], lo, hi) or _within(r["delivered_at"], lo, hi)
                or (r["opened_at"] is not None and r["opened_at"] <= at and _open_at(r["delivered_at"], at)
                    and _open_at(r["cancelled_at"], at))
                or r["repair_order_id"] in ro_of_others or (r["visit_id"] is not None and r["visit_id"] in visit_ids_in))

    repair_orders = [r for r in ros if ro_wanted(r)]
    ro_ids = _ids(repair_orders, "repair_order_id")
    adjustments = [a for a in t[ClockingAdjustmentFact].values()
                   if _overlaps(a["original_start"], a["original_end"], lo, hi)
                   or _overlaps(a["corrected_start"], a["corrected_end"], lo, hi) or a["job_id"] in completed]
    adjusted_starts = _ids(adjustments, "original_start")
    intervals = [i for i in t[JobIntervalFact].values()
                 if _overlaps(i["start"], i["end"], lo, hi) or i["job_id"] in completed or i["start"] in adjusted_starts]
    interval_jobs = _ids(intervals, "job_id")
    jobs_in_ids = {j["job_id"] for j in jobs_in}
    wanted_jobs = [j for j in jobs if j["job_id"] in jobs_in_ids or j["repair_order_id"] in ro_ids or j["job_id"] in interval_jobs]
    wanted_job_ids, wanted_job_ros = {j["job_id"] for j in wanted_jobs}, _ids(wanted_jobs, "repair_order_id")
    requests = [r for r in t[PartsRequestFact].values()
                if _within(r["requested_at"], lo, hi) or _within(r["fully_issued_at"], lo, hi)]
    request_ids = {r["request_id"] for r in requests}
    appointments = [a for a in t[AppointmentFact].values() if _within(a["slot_start"], lo, hi)]
    appointment_ids = {a["appointment_id"] for a in appointments}
    statuses = t[BayStatusFact].values()
    site = t[SiteFact].get((state.site_id,))
    return {
        "site": [site] if site is not None else [],
        "visits": visits_in,
        "repair_orders": repair_orders,
        "comebacks": [{"comeback_of": r["comeback_of"]} for r in ros if r["is_comeback"] is True and r["comeback_of"] in ro_ids],
        "lines": [x for x in t[JobLineFact].values() if x["repair_order_id"] in ro_ids or _within(x["approved_at"], lo, hi)
                  or _within(x["declined_at"], lo, hi)],
        "jobs": wanted_jobs,
        "invoices": [i for i in invoices if i["repair_order_id"] in ro_ids or i["repair_order_id"] in wanted_job_ros],
        "adjustments": adjustments,
        "intervals": intervals,
        "holds": [h for h in t[BayHoldFact].values() if _overlaps(h["start"], h["end"], lo, hi)],
        "attendance": [a for a in t[AttendanceIntervalFact].values() if _overlaps(a["start"], a["end"], lo, hi)
                       or (a["series"] == "shift" and a["start"] in adjusted_starts)],
        "marks": [m for m in t[JobMarkFact].values() if m["kind"] in ("on", "resume", "complete", "withdraw")
                  and (m["repair_order_id"] in ro_ids or m["job_id"] in wanted_job_ids)],
        "qc": [q for q in qc if q["repair_order_id"] in ro_ids],
        "statuses_in": [s for s in statuses if _within(s["at"], lo, hi)],
        "statuses_before": _latest_per(statuses, "bay_id", lambda s: s["at"] < lo),
        "requests": requests,
        "request_lines": [x for x in t[PartsRequestLineFact].values() if x["request_id"] in request_ids],
        "first_picks": [x for x in t[PartsIssueLineFact].values()
                        if x["request_id"] in request_ids and x["from_stock_at_first_pick"] is True],
        "backorders": [b for b in t[BackorderFact].values()
                       if b["created_at"] is not None and b["created_at"] <= at and _open_at(b["filled_at"], at)],
        "stock_flags": _latest_per(t[StockFlagFact].values(), "part_number", lambda f: f["at"] <= at),
        "appointments": appointments,
        "appointments_arrived": [{"appointment_id": v["appointment_id"]} for v in visits
                                 if v["appointment_id"] in appointment_ids and _arrival(v) is not None],
        "technicians": [{"technician_id": x["technician_id"], "name": x["name"]} for x in t[TechnicianFact].values()],
        "bays": [{"bay_id": x["bay_id"], "name": x["name"]} for x in t[BayFact].values()],
        **_now_rows(state, at, day_back),
    }


def _now_rows(state: SiteState, at: datetime, day_back: datetime) -> Rows:
    t = state.tables
    running_clocks = {(i["job_id"], i["technician_id"]) for i in t[JobIntervalFact].values() if _open_at(i["end"], at)}
    on_shift = {a["technician_id"] for a in t[AttendanceIntervalFact].values() if a["series"] == "shift" and _open_at(a["end"], at)}
    ros = t[RepairOrderFact]
    site_id = state.site_id

    def in_progress(ro_id: Any) -> bool:
        ro = ros.get((site_id, ro_id))
        return (ro is not None and ro["opened_at"] is not None and ro["opened_at"] <= at
                and all(_open_at(ro[c], at) for c in ("ready_at", "delivered_at", "cancelled_at")))

    def opened(visit: Row) -> Any:
        ro = ros.get((site_id, visit["repair_order_id"])) if visit["repair_order_id"] is not None else None
        return None if ro is None else ro["opened_at"]

    return {
        "stale_flags": [f for f in t[StaleClockFact].values() if f["flagged_at"] is not None and f["flagged_at"] <= at and (
            (f["job_id"], f["technician_id"]) in running_clocks if f["job_id"] is not None else f["technician_id"] in on_shift)],
        "ro_parts_requests": [r for r in t[PartsRequestFact].values() if in_progress(r["repair_order_id"])
                              and r["requested_at"] is not None and r["requested_at"] <= at and _open_at(r["fully_issued_at"], at)],
        "queued_visits": [{"visit_id": v["visit_id"], "arrived_at": v["arrived_at"], "opened_at": opened(v)}
                          for v in t[VisitFact].values() if v["arrived_at"] is not None and day_back <= v["arrived_at"] <= at],
    }


def satisfaction_rows(state: SiteState, lo: datetime, hi: datetime) -> Rows:
    """What satisfaction/load.py's statements read."""
    t = state.tables
    ros = t[RepairOrderFact]
    delivered = [d for d in t[FollowUpDueFact].values() if _within(d["delivered_at"], lo, hi)]
    delivered_ids = {d["repair_order_id"] for d in delivered}

    def advisor(ro_id: str) -> Any:
        ro = ros.get((state.site_id, ro_id))
        return None if ro is None else ro["advisor"]

    return {
        "deliveries": [{"repair_order_id": d["repair_order_id"], "delivered_at": d["delivered_at"], "due_at": d["due_at"],
                        "advisor": advisor(d["repair_order_id"])} for d in delivered],
        "attempts": [a for a in t[FollowUpAttemptFact].values() if _within(a["at"], lo, hi) or a["repair_order_id"] in delivered_ids],
        "complaints": [c for c in t[ComplaintFact].values() if c["opened_at"] is not None and c["opened_at"] < hi
                       and (c["resolved_at"] is None or c["resolved_at"] >= lo)],
    }


def warranty_rows(state: SiteState, lo: datetime, hi: datetime) -> Rows:
    """What warranty/load.py's statements read."""
    claims = state.tables[WarrantyClaimFact].values()
    by_status: dict[str, int] = defaultdict(int)
    for claim in claims:
        if claim["status"] is not None:
            by_status[claim["status"]] += 1
    return {
        "by_status": list(by_status.items()),
        "awaiting": [c for c in claims if c["status"] in RECEIVABLE],
        "claims": [c for c in claims if any(_within(c[k], lo, hi) for k in ("first_submitted_at", "decided_at", "paid_at"))],
    }


def review_rows(state: SiteState, lo: datetime, hi: datetime, back: datetime) -> Rows:
    """What review.py's statements on the projection read (ROs opened by type, vehicles seen since `back`)."""
    t = state.tables
    types: dict[Any, int] = defaultdict(int)
    for ro in t[RepairOrderFact].values():
        if _within(ro["opened_at"], lo, hi):
            types[ro["ro_type"]] += 1
    vehicles = {v["vehicle_id"] for v in t[VisitFact].values() if v["vehicle_id"] is not None and _within(_arrival(v), back, hi)}
    return {"ro_types": list(types.items()), "vehicles": [(len(vehicles),)]}

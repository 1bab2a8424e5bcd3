"""Read the fact rows a range of time needs into plain `figures.model` objects (read side of the projection)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import String, and_, bindparam, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

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
from services.kpi.figures import model as m
from shared.db import UtcDateTime


def _t(model: Any) -> Any:
    return model.__table__


def ts(value: datetime | None) -> float | None:
    """A DB time as POSIX seconds."""
    return None if value is None else value.timestamp()


def dt(value: float) -> datetime:
    """POSIX seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(value, UTC)


def _within(column: Any, lo: Any, hi: Any) -> Any:
    return and_(column >= lo, column < hi)


def _overlaps(start: Any, end: Any, lo: Any, hi: Any) -> Any:
    return and_(start < hi, or_(end.is_(None), end > lo))


def site_config(row: Any) -> m.SiteConfig:
    """The figures' view of a kpi_site row."""
    if row is None or row["time_zone"] is None:
        return m.SiteConfig()
    hours = tuple(m.OpeningHours(h["weekday"], h["opens"], h["closes"]) for h in row["opening_hours"] or [])
    return m.SiteConfig(row["time_zone"], hours, row["labour_rate"], row["technician_cost_rate"], True)


async def load_site(conn: AsyncConnection, site_id: str) -> Any:
    """The kpi_site row (None if no event of the site was ever seen)."""
    return (await conn.execute(statement("site"), {"site": site_id})).mappings().first()


def statement(name: str) -> Any:
    """One of the facts read's statements (bound parameters :site, :lo, :hi, :at)."""
    return _statements()[name]


# Every statement of a facts read is built once, on bound parameters (:site, :lo, :hi, :at), so a read only binds values:
# building and compiling these expressions each time cost more than running them.
SITE = bindparam("site", type_=String())
LO, HI, AT, DAY_BACK = (bindparam(name, type_=UtcDateTime()) for name in ("lo", "hi", "at", "day_back"))


@cache
def _statements() -> dict[str, Any]:
    """The statements of `load_facts`, keyed by what they read."""
    ro, visit, inv, job, qc = _t(RepairOrderFact), _t(VisitFact), _t(InvoiceFact), _t(JobFact), _t(QcResultFact)
    line, adj, ivl = _t(JobLineFact), _t(ClockingAdjustmentFact), _t(JobIntervalFact)
    # Id sets stay subqueries (no id lists in Python): a long range may hold more ids than a query may bind.
    visit_in_range = and_(visit.c.site_id == SITE, _within(func.coalesce(visit.c.arrived_at, visit.c.ro_arrived_at), LO, HI))
    job_in_range = and_(job.c.site_id == SITE, or_(_within(job.c.first_completed_at, LO, HI), _within(job.c.first_clock_on, LO, HI)))
    completed_jobs = select(job.c.job_id).where(job.c.site_id == SITE, _within(job.c.first_completed_at, LO, HI))
    ro_wanted = and_(ro.c.site_id == SITE, or_(
        _within(ro.c.opened_at, LO, HI), _within(ro.c.ready_at, LO, HI), _within(ro.c.delivered_at, LO, HI),
        and_(ro.c.opened_at <= AT, or_(ro.c.delivered_at.is_(None), ro.c.delivered_at > AT),
             or_(ro.c.cancelled_at.is_(None), ro.c.cancelled_at > AT)),
        ro.c.repair_order_id.in_(select(inv.c.repair_order_id).where(inv.c.site_id == SITE, _within(inv.c.invoiced_at, LO, HI))),
        ro.c.repair_order_id.in_(select(qc.c.repair_order_id).where(qc.c.site_id == SITE, _within(qc.c.at, LO, HI))),
        ro.c.repair_order_id.in_(select(job.c.repair_order_id).where(job_in_range)),
        ro.c.repair_order_id.in_(select(visit.c.repair_order_id).where(visit_in_range)),
        ro.c.visit_id.in_(select(visit.c.visit_id).where(visit_in_range))))
    ro_ids = select(ro.c.repair_order_id).where(ro_wanted)
    adj_wanted = and_(adj.c.site_id == SITE, or_(
        _overlaps(adj.c.original_start, adj.c.original_end, LO, HI),
        _overlaps(adj.c.corrected_start, adj.c.corrected_end, LO, HI), adj.c.job_id.in_(completed_jobs)))
    adjusted_starts = select(adj.c.original_start).where(adj_wanted)
    ivl_wanted = and_(ivl.c.site_id == SITE, or_(
        _overlaps(ivl.c.start, ivl.c.end, LO, HI), ivl.c.job_id.in_(completed_jobs), ivl.c.start.in_(adjusted_starts)))
    job_wanted = or_(job_in_range, and_(job.c.site_id == SITE, or_(
        job.c.repair_order_id.in_(ro_ids), job.c.job_id.in_(select(ivl.c.job_id).where(ivl_wanted)))))
    hold, att, mark = _t(BayHoldFact), _t(AttendanceIntervalFact), _t(JobMarkFact)
    status, bo, flag, tech, bay = _t(BayStatusFact), _t(BackorderFact), _t(StockFlagFact), _t(TechnicianFact), _t(BayFact)
    before = select(status.c.bay_id, func.max(status.c.at).label("at")).where(
        status.c.site_id == SITE, status.c.at < LO).group_by(status.c.bay_id).subquery()
    latest_flag = select(flag.c.part_number, func.max(flag.c.at).label("at")).where(
        flag.c.site_id == SITE, flag.c.at <= AT).group_by(flag.c.part_number).subquery()
    req, req_line, issue = _t(PartsRequestFact), _t(PartsRequestLineFact), _t(PartsIssueLineFact)
    req_wanted = and_(req.c.site_id == SITE, or_(_within(req.c.requested_at, LO, HI), _within(req.c.fully_issued_at, LO, HI)))
    req_ids = select(req.c.request_id).where(req_wanted)
    appt = _t(AppointmentFact)
    appt_wanted = and_(appt.c.site_id == SITE, _within(appt.c.slot_start, LO, HI))
    return {
        "site": select(_t(SiteFact)).where(_t(SiteFact).c.site_id == SITE),
        "visits": select(visit).where(visit_in_range),
        "repair_orders": select(ro).where(ro_wanted),
        "comebacks": select(ro.c.comeback_of).where(ro.c.site_id == SITE, ro.c.is_comeback.is_(True), ro.c.comeback_of.in_(ro_ids)),
        "lines": select(line).where(line.c.site_id == SITE, or_(
            line.c.repair_order_id.in_(ro_ids), _within(line.c.approved_at, LO, HI), _within(line.c.declined_at, LO, HI))),
        "jobs": select(job).where(job_wanted),
        "invoices": select(inv).where(inv.c.site_id == SITE, or_(
            inv.c.repair_order_id.in_(ro_ids), inv.c.repair_order_id.in_(select(job.c.repair_order_id).where(job_wanted)))),
        "adjustments": select(adj).where(adj_wanted),
        "intervals": select(ivl).where(ivl_wanted),
        "holds": select(hold).where(hold.c.site_id == SITE, _overlaps(hold.c.start, hold.c.end, LO, HI)),
        "attendance": select(att).where(att.c.site_id == SITE, or_(
            _overlaps(att.c.start, att.c.end, LO, HI), and_(att.c.series == "shift", att.c.start.in_(adjusted_starts)))),
        "marks": select(mark.c.job_id, mark.c.repair_order_id, mark.c.at, mark.c.kind).where(
            mark.c.site_id == SITE, mark.c.kind.in_(["on", "resume", "complete", "withdraw"]),
            or_(mark.c.repair_order_id.in_(ro_ids), mark.c.job_id.in_(select(job.c.job_id).where(job_wanted)))),
        "qc": select(qc).where(qc.c.site_id == SITE, qc.c.repair_order_id.in_(ro_ids)),
        "statuses_in": select(status).where(status.c.site_id == SITE, _within(status.c.at, LO, HI)),
        "statuses_before": select(status).join(before, and_(status.c.bay_id == before.c.bay_id, status.c.at == before.c.at))
        .where(status.c.site_id == SITE),
        "requests": select(req).where(req_wanted),
        "request_lines": select(req_line).where(req_line.c.site_id == SITE, req_line.c.request_id.in_(req_ids)),
        "first_picks": select(issue).where(issue.c.site_id == SITE, issue.c.request_id.in_(req_ids),
                                           issue.c.from_stock_at_first_pick.is_(True)),
        "backorders": select(bo).where(bo.c.site_id == SITE, bo.c.created_at <= AT, or_(bo.c.filled_at.is_(None), bo.c.filled_at > AT)),
        "stock_flags": select(flag).join(latest_flag, and_(flag.c.part_number == latest_flag.c.part_number,
                                                           flag.c.at == latest_flag.c.at)).where(flag.c.site_id == SITE),
        "appointments": select(appt).where(appt_wanted),
        "appointments_arrived": select(visit.c.appointment_id).where(
            visit.c.site_id == SITE, visit.c.appointment_id.in_(select(appt.c.appointment_id).where(appt_wanted)),
            func.coalesce(visit.c.arrived_at, visit.c.ro_arrived_at).is_not(None)),
        "technicians": select(tech.c.technician_id, tech.c.name).where(tech.c.site_id == SITE),
        "bays": select(bay.c.bay_id, bay.c.name).where(bay.c.site_id == SITE),
        **_now_statements(),
    }


def _open_at(table: Any) -> Any:
    return or_(table.c.end.is_(None), table.c.end > AT)


def _now_statements() -> dict[str, Any]:
    """What is going on at :at: flagged clocks that may still run, open parts requests of ROs in progress, arrivals of the
    last day with the RO opened on them."""
    flag, ivl, att = _t(StaleClockFact), _t(JobIntervalFact), _t(AttendanceIntervalFact)
    ro, req, visit = _t(RepairOrderFact), _t(PartsRequestFact), _t(VisitFact)
    clock_runs = select(ivl.c.job_id).where(ivl.c.site_id == flag.c.site_id, ivl.c.job_id == flag.c.job_id,
                                            ivl.c.technician_id == flag.c.technician_id, _open_at(ivl)).exists()
    shift_runs = select(att.c.technician_id).where(att.c.site_id == flag.c.site_id, att.c.technician_id == flag.c.technician_id,
                                                   att.c.series == "shift", _open_at(att)).exists()
    in_progress = and_(ro.c.opened_at <= AT, *(or_(c.is_(None), c > AT) for c in (ro.c.ready_at, ro.c.delivered_at, ro.c.cancelled_at)))
    ro_of_visit = and_(ro.c.site_id == visit.c.site_id, ro.c.repair_order_id == visit.c.repair_order_id)
    return {
        "stale_flags": select(flag).where(flag.c.site_id == SITE, flag.c.flagged_at <= AT, or_(
            and_(flag.c.job_id.is_not(None), clock_runs), and_(flag.c.job_id.is_(None), shift_runs))),
        "ro_parts_requests": select(req).join(ro, and_(ro.c.site_id == req.c.site_id, ro.c.repair_order_id == req.c.repair_order_id))
        .where(req.c.site_id == SITE, in_progress, req.c.requested_at <= AT,
               or_(req.c.fully_issued_at.is_(None), req.c.fully_issued_at > AT)),
        "queued_visits": select(visit.c.visit_id, visit.c.arrived_at, ro.c.opened_at).select_from(visit.outerjoin(ro, ro_of_visit))
        .where(visit.c.site_id == SITE, visit.c.arrived_at >= DAY_BACK, visit.c.arrived_at <= AT),
    }


def params(site_id: str, start: float, end: float, now: float) -> dict[str, Any]:
    """The bound values of a facts read: the range, the moment states are read at, and a day before it."""
    at = min(end, now)
    return {"site": site_id, "lo": dt(start), "hi": dt(end), "at": dt(at), "day_back": dt(at - 86400)}


async def load_facts(conn: AsyncConnection, site_id: str, start: float, end: float, now: float) -> m.Facts:
    """Every fact that figures over windows inside [start, end) need, with states read at min(end, now)."""
    return await conn.run_sync(load_facts_sync, site_id, start, end, now)


def load_facts_sync(conn: Connection, site_id: str, start: float, end: float, now: float) -> m.Facts:
    """`load_facts` on a synchronous connection (for a worker thread: no hop between threads per statement)."""
    bound = params(site_id, start, end, now)
    return facts_from_rows({name: list(conn.execute(statement, bound).mappings().all())
                            for name, statement in _statements().items()})


def facts_from_rows(rows: dict[str, list[Any]]) -> m.Facts:
    """The figures' facts from the rows each statement of `_statements` read."""
    facts = m.Facts(site=site_config(rows["site"][0] if rows["site"] else None))
    facts.visits = [m.Visit(v["visit_id"], ts(v["arrived_at"] or v["ro_arrived_at"]), v["appointment_id"],
                            v["repair_order_id"], v["vehicle_id"]) for v in rows["visits"]]
    facts.repair_orders = [m.RepairOrder(
        r["repair_order_id"], ts(r["opened_at"]), r["ro_type"], r["visit_id"], r["vehicle_id"], ts(r["arrived_at"]),
        ts(r["ready_at"]), ts(r["delivered_at"]), ts(r["cancelled_at"]), ts(r["promised_at"]), bool(r["is_comeback"]),
        r["comeback_of"]) for r in rows["repair_orders"]]
    facts.comebacks_against = {r["comeback_of"] for r in rows["comebacks"]}
    facts.job_lines = [m.JobLine(r["repair_order_id"], r["job_line_id"], r["pay_type"], r["sold_hours"], ts(r["removed_at"]),
                                 ts(r["proposed_at"]), ts(r["approved_at"]), ts(r["declined_at"])) for r in rows["lines"]]
    facts.jobs = [m.Job(j["job_id"], j["repair_order_id"], ts(j["approved_at"]), ts(j["queued_at"]), ts(j["withdrawn_at"]),
                        ts(j["first_clock_on"]), ts(j["first_completed_at"]), j["completed_by"],
                        j["completion_sold_hours"], j["queued_sold_hours"]) for j in rows["jobs"]]
    facts.invoices = [_invoice(r) for r in rows["invoices"]]
    facts.adjustments = [m.Adjustment(a["adjustment_id"], a["technician_id"], a["job_id"], ts(a["original_start"]),
                                      ts(a["corrected_start"]), ts(a["corrected_end"]), ts(a["adjusted_at"]))  # type: ignore[arg-type]
                         for a in rows["adjustments"]]
    facts.clock_intervals = [m.ClockInterval(c["job_id"], c["technician_id"], ts(c["start"]), ts(c["end"]), c["bay_id"])
                             for c in rows["intervals"]]  # type: ignore[arg-type]
    facts.holds = [m.Hold(h["job_id"], h["bay_id"], ts(h["start"]), ts(h["end"])) for h in rows["holds"]]  # type: ignore[arg-type]
    facts.attendance = [m.Attendance(a["technician_id"], a["series"], ts(a["start"]), ts(a["end"]))  # type: ignore[arg-type]
                        for a in rows["attendance"]]
    facts.job_marks = [m.JobMark(r["job_id"], r["repair_order_id"], ts(r["at"]), r["kind"])  # type: ignore[arg-type]
                       for r in rows["marks"]]
    facts.qc_results = [m.QcResult(r["repair_order_id"], ts(r["at"]), r["passed"]) for r in rows["qc"]]  # type: ignore[arg-type]
    facts.bay_statuses = [m.BayStatus(r["bay_id"], ts(r["at"]), r["status"])  # type: ignore[arg-type]
                          for r in rows["statuses_in"] + rows["statuses_before"]]
    facts.parts_requests = _parts_requests(rows["requests"], rows["request_lines"], rows["first_picks"])
    facts.backorders = [m.Backorder(b["backorder_id"], ts(b["created_at"]), ts(b["filled_at"])) for b in rows["backorders"]]
    facts.stock_flags = [m.StockFlag(r["part_number"], ts(r["at"]), r["below"]) for r in rows["stock_flags"]]  # type: ignore[arg-type]
    arrived = {r["appointment_id"] for r in rows["appointments_arrived"]}
    facts.appointments = [m.Appointment(r["appointment_id"], ts(r["slot_start"]), ts(r["cancelled_at"]), r["appointment_id"] in arrived)
                          for r in rows["appointments"]]
    facts.technician_names = {r["technician_id"]: r["name"] or "" for r in rows["technicians"]}
    facts.bay_names = {r["bay_id"]: r["name"] or "" for r in rows["bays"]}
    facts.stale_flags = [m.StaleFlag(r["technician_id"], r["kind"], r["job_id"], ts(r["since"]), ts(r["flagged_at"]))  # type: ignore[arg-type]
                         for r in rows["stale_flags"]]
    facts.ro_parts_requests = [m.RoPartsRequest(r["request_id"], r["repair_order_id"], r["job_id"], ts(r["requested_at"]),  # type: ignore[arg-type]
                                                ts(r["fully_issued_at"])) for r in rows["ro_parts_requests"]]
    facts.queued_visits = [m.QueuedVisit(r["visit_id"], ts(r["arrived_at"]), ts(r["opened_at"]))  # type: ignore[arg-type]
                           for r in rows["queued_visits"]]
    return facts


def _invoice(r: Any) -> m.Invoice:
    lines = tuple(m.InvoiceLine(x["kind"], x["pay_type"], Decimal(x["amount"]), x.get("job_line_id"),
                                Decimal(x.get("sold_hours") or "0")) for x in r["lines"] or [])
    return m.Invoice(r["invoice_id"], r["repair_order_id"], ts(r["invoiced_at"]), r["ro_type"], r["labour_amount"],  # type: ignore[arg-type]
                     r["parts_amount"], r["sublet_amount"], r["total_amount"], r["parts_cost"], r["sublet_cost"],
                     r["sold_hours"], {k: Decimal(v) for k, v in (r["amounts_by_pay_type"] or {}).items()}, lines)


def _parts_requests(requests: list[Any], request_lines: list[Any], first_picks: list[Any]) -> list[m.PartsRequest]:
    lines: dict[str, list[Any]] = defaultdict(list)
    for r in request_lines:
        lines[r["request_id"]].append(r)
    first_pick: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in first_picks:
        first_pick[(r["request_id"], r["request_line_id"])] += r["quantity"]
    return [m.PartsRequest(r["request_id"], ts(r["requested_at"]), ts(r["fully_issued_at"]), tuple(
        m.RequestLine(x["request_line_id"], x["quantity"], first_pick[(r["request_id"], x["request_line_id"])])
        for x in lines[r["request_id"]])) for r in requests]


async def distinct_vehicles(conn: AsyncConnection, site_id: str, start: float, end: float) -> int:
    """Distinct vehicles that arrived in [start, end)."""
    visit = _t(VisitFact)
    arrival = func.coalesce(visit.c.arrived_at, visit.c.ro_arrived_at)
    return int((await conn.execute(select(func.count(func.distinct(visit.c.vehicle_id))).where(
        visit.c.site_id == site_id, _within(arrival, dt(start), dt(end))))).scalar() or 0)


async def ro_types_opened(conn: AsyncConnection, site_id: str, start: float, end: float) -> dict[str, int]:
    """ROs opened in [start, end) by RO type."""
    ro = _t(RepairOrderFact)
    rows = await conn.execute(select(ro.c.ro_type, func.count()).where(
        ro.c.site_id == site_id, _within(ro.c.opened_at, dt(start), dt(end))).group_by(ro.c.ro_type))
    return {t or "": int(n) for t, n in rows}


async def sites_page(conn: AsyncConnection, sites: set[str] | None, limit: int, offset: int) -> tuple[int, list[Any]]:
    """How many of the sites (all when None) the figures know, and one page of their kpi_site rows, by id."""
    table = _t(SiteFact)
    visible = select(table).order_by(table.c.site_id)
    if sites is not None:
        visible = visible.where(table.c.site_id.in_(sorted(sites)))
    total = (await conn.execute(select(func.count()).select_from(visible.subquery()))).scalar_one()
    return total, list((await conn.execute(visible.limit(limit).offset(offset))).mappings().all())


async def known_sites(conn: AsyncConnection) -> list[str]:
    """Every site seen on any topic."""
    return sorted((await conn.execute(select(_t(SiteFact).c.site_id))).scalars())

"""Read the fact rows a range of time needs into plain `figures.model` objects (read side of the projection)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
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
    StockFlagFact,
    TechnicianFact,
    VisitFact,
)
from services.kpi.figures import model as m


def _t(model: Any) -> Any:
    return model.__table__


def ts(value: datetime | None) -> float | None:
    """A DB time as POSIX seconds."""
    return None if value is None else value.timestamp()


def dt(value: float) -> datetime:
    """POSIX seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(value, UTC)


def _within(column: Any, lo: datetime, hi: datetime) -> Any:
    return and_(column >= lo, column < hi)


def _overlaps(start: Any, end: Any, lo: datetime, hi: datetime) -> Any:
    return and_(start < hi, or_(end.is_(None), end > lo))


def site_config(row: Any) -> m.SiteConfig:
    """The figures' view of a kpi_site row."""
    if row is None or row["time_zone"] is None:
        return m.SiteConfig()
    hours = tuple(m.OpeningHours(h["weekday"], h["opens"], h["closes"]) for h in row["opening_hours"] or [])
    return m.SiteConfig(row["time_zone"], hours, row["labour_rate"], row["technician_cost_rate"], True)


async def load_site(conn: AsyncConnection, site_id: str) -> Any:
    """The kpi_site row (None if no event of the site was ever seen)."""
    return (await conn.execute(select(_t(SiteFact)).where(_t(SiteFact).c.site_id == site_id))).mappings().first()


async def _rows(conn: AsyncConnection, statement: Any) -> list[Any]:
    return list((await conn.execute(statement)).mappings().all())


async def load_facts(conn: AsyncConnection, site_id: str, start: float, end: float, now: float) -> m.Facts:
    """Every fact that figures over windows inside [start, end) need, with states read at min(end, now)."""
    lo, hi, at = dt(start), dt(end), dt(min(end, now))
    facts = m.Facts(site=site_config(await load_site(conn, site_id)))
    s = site_id

    ro, visit, inv, job, qc = _t(RepairOrderFact), _t(VisitFact), _t(InvoiceFact), _t(JobFact), _t(QcResultFact)
    line, adj, ivl = _t(JobLineFact), _t(ClockingAdjustmentFact), _t(JobIntervalFact)
    # Id sets stay subqueries (no id lists in Python): a long range may hold more ids than a query may bind.
    visit_in_range = and_(visit.c.site_id == s, _within(func.coalesce(visit.c.arrived_at, visit.c.ro_arrived_at), lo, hi))
    job_in_range = and_(job.c.site_id == s, or_(_within(job.c.first_completed_at, lo, hi), _within(job.c.first_clock_on, lo, hi)))
    completed_jobs = select(job.c.job_id).where(job.c.site_id == s, _within(job.c.first_completed_at, lo, hi))
    ro_wanted = and_(ro.c.site_id == s, or_(
        _within(ro.c.opened_at, lo, hi), _within(ro.c.ready_at, lo, hi), _within(ro.c.delivered_at, lo, hi),
        and_(ro.c.opened_at <= at, or_(ro.c.delivered_at.is_(None), ro.c.delivered_at > at),
             or_(ro.c.cancelled_at.is_(None), ro.c.cancelled_at > at)),
        ro.c.repair_order_id.in_(select(inv.c.repair_order_id).where(inv.c.site_id == s, _within(inv.c.invoiced_at, lo, hi))),
        ro.c.repair_order_id.in_(select(qc.c.repair_order_id).where(qc.c.site_id == s, _within(qc.c.at, lo, hi))),
        ro.c.repair_order_id.in_(select(job.c.repair_order_id).where(job_in_range)),
        ro.c.repair_order_id.in_(select(visit.c.repair_order_id).where(visit_in_range)),
        ro.c.visit_id.in_(select(visit.c.visit_id).where(visit_in_range))))
    ro_ids = select(ro.c.repair_order_id).where(ro_wanted)
    adj_wanted = and_(adj.c.site_id == s, or_(
        _overlaps(adj.c.original_start, adj.c.original_end, lo, hi),
        _overlaps(adj.c.corrected_start, adj.c.corrected_end, lo, hi), adj.c.job_id.in_(completed_jobs)))
    adjusted_starts = select(adj.c.original_start).where(adj_wanted)
    ivl_wanted = and_(ivl.c.site_id == s, or_(
        _overlaps(ivl.c.start, ivl.c.end, lo, hi), ivl.c.job_id.in_(completed_jobs), ivl.c.start.in_(adjusted_starts)))
    job_wanted = or_(job_in_range, and_(job.c.site_id == s, or_(
        job.c.repair_order_id.in_(ro_ids), job.c.job_id.in_(select(ivl.c.job_id).where(ivl_wanted)))))

    facts.visits = [m.Visit(v["visit_id"], ts(v["arrived_at"] or v["ro_arrived_at"]), v["appointment_id"],
                            v["repair_order_id"], v["vehicle_id"]) for v in await _rows(conn, select(visit).where(visit_in_range))]
    facts.repair_orders = [m.RepairOrder(
        r["repair_order_id"], ts(r["opened_at"]), r["ro_type"], r["visit_id"], r["vehicle_id"], ts(r["arrived_at"]),
        ts(r["ready_at"]), ts(r["delivered_at"]), ts(r["cancelled_at"]), ts(r["promised_at"]), bool(r["is_comeback"]),
        r["comeback_of"]) for r in await _rows(conn, select(ro).where(ro_wanted))]
    facts.comebacks_against = set((await conn.execute(select(ro.c.comeback_of).where(
        ro.c.site_id == s, ro.c.is_comeback.is_(True), ro.c.comeback_of.in_(ro_ids)))).scalars())
    lines = await _rows(conn, select(line).where(line.c.site_id == s, or_(
        line.c.repair_order_id.in_(ro_ids), _within(line.c.approved_at, lo, hi), _within(line.c.declined_at, lo, hi))))
    facts.job_lines = [m.JobLine(r["repair_order_id"], r["job_line_id"], r["pay_type"], r["sold_hours"], ts(r["removed_at"]),
                                 ts(r["proposed_at"]), ts(r["approved_at"]), ts(r["declined_at"])) for r in lines]
    facts.jobs = [m.Job(j["job_id"], j["repair_order_id"], ts(j["approved_at"]), ts(j["queued_at"]), ts(j["withdrawn_at"]),
                        ts(j["first_clock_on"]), ts(j["first_completed_at"]), j["completed_by"],
                        j["completion_sold_hours"], j["queued_sold_hours"])
                  for j in await _rows(conn, select(job).where(job_wanted))]
    invoices = await _rows(conn, select(inv).where(inv.c.site_id == s, or_(
        inv.c.repair_order_id.in_(ro_ids), inv.c.repair_order_id.in_(select(job.c.repair_order_id).where(job_wanted)))))
    facts.invoices = [_invoice(r) for r in invoices]
    facts.adjustments = [m.Adjustment(a["adjustment_id"], a["technician_id"], a["job_id"], ts(a["original_start"]),
                                      ts(a["corrected_start"]), ts(a["corrected_end"]), ts(a["adjusted_at"]))  # type: ignore[arg-type]
                         for a in await _rows(conn, select(adj).where(adj_wanted))]
    facts.clock_intervals = [m.ClockInterval(c["job_id"], c["technician_id"], ts(c["start"]), ts(c["end"]), c["bay_id"])
                             for c in await _rows(conn, select(ivl).where(ivl_wanted))]  # type: ignore[arg-type]

    hold = _t(BayHoldFact)
    facts.holds = [m.Hold(h["job_id"], h["bay_id"], ts(h["start"]), ts(h["end"]))  # type: ignore[arg-type]
                   for h in await _rows(conn, select(hold).where(hold.c.site_id == s, _overlaps(hold.c.start, hold.c.end, lo, hi)))]
    att = _t(AttendanceIntervalFact)
    facts.attendance = [m.Attendance(a["technician_id"], a["series"], ts(a["start"]), ts(a["end"]))  # type: ignore[arg-type]
                        for a in await _rows(conn, select(att).where(att.c.site_id == s, or_(
                            _overlaps(att.c.start, att.c.end, lo, hi),
                            and_(att.c.series == "shift", att.c.start.in_(adjusted_starts)))))]

    mark = _t(JobMarkFact)
    marks = await _rows(conn, select(mark.c.job_id, mark.c.repair_order_id, mark.c.at, mark.c.kind).where(
        mark.c.site_id == s, mark.c.kind.in_(["on", "resume", "complete", "withdraw"]),
        or_(mark.c.repair_order_id.in_(ro_ids), mark.c.job_id.in_(select(job.c.job_id).where(job_wanted)))))
    facts.job_marks = [m.JobMark(r["job_id"], r["repair_order_id"], ts(r["at"]), r["kind"]) for r in marks]  # type: ignore[arg-type]
    facts.qc_results = [m.QcResult(r["repair_order_id"], ts(r["at"]), r["passed"])  # type: ignore[arg-type]
                        for r in await _rows(conn, select(qc).where(qc.c.site_id == s, qc.c.repair_order_id.in_(ro_ids)))]

    facts.bay_statuses = await _bay_statuses(conn, s, lo, hi)
    facts.parts_requests = await _parts_requests(conn, s, lo, hi)
    bo = _t(BackorderFact)
    facts.backorders = [m.Backorder(b["backorder_id"], ts(b["created_at"]), ts(b["filled_at"]))
                        for b in await _rows(conn, select(bo).where(bo.c.site_id == s, bo.c.created_at <= at,
                                                                    or_(bo.c.filled_at.is_(None), bo.c.filled_at > at)))]
    facts.stock_flags = await _latest_stock_flags(conn, s, at)
    facts.appointments = await _appointments(conn, s, lo, hi)
    tech, bay = _t(TechnicianFact), _t(BayFact)
    facts.technician_names = {r["technician_id"]: r["name"] or "" for r in await _rows(conn, select(tech).where(tech.c.site_id == s))}
    facts.bay_names = {r["bay_id"]: r["name"] or "" for r in await _rows(conn, select(bay).where(bay.c.site_id == s))}
    return facts


def _invoice(r: Any) -> m.Invoice:
    lines = tuple(m.InvoiceLine(x["kind"], x["pay_type"], Decimal(x["amount"]), x.get("job_line_id"),
                                Decimal(x.get("sold_hours") or "0")) for x in r["lines"] or [])
    return m.Invoice(r["invoice_id"], r["repair_order_id"], ts(r["invoiced_at"]), r["ro_type"], r["labour_amount"],  # type: ignore[arg-type]
                     r["parts_amount"], r["sublet_amount"], r["total_amount"], r["parts_cost"], r["sublet_cost"],
                     r["sold_hours"], {k: Decimal(v) for k, v in (r["amounts_by_pay_type"] or {}).items()}, lines)


async def _bay_statuses(conn: AsyncConnection, s: str, lo: datetime, hi: datetime) -> list[m.BayStatus]:
    status = _t(BayStatusFact)
    before = select(status.c.bay_id, func.max(status.c.at).label("at")).where(
        status.c.site_id == s, status.c.at < lo).group_by(status.c.bay_id).subquery()
    rows = await _rows(conn, select(status).where(status.c.site_id == s, _within(status.c.at, lo, hi)))
    rows += await _rows(conn, select(status).join(before, and_(status.c.bay_id == before.c.bay_id, status.c.at == before.c.at))
                        .where(status.c.site_id == s))
    return [m.BayStatus(r["bay_id"], ts(r["at"]), r["status"]) for r in rows]  # type: ignore[arg-type]


async def _parts_requests(conn: AsyncConnection, s: str, lo: datetime, hi: datetime) -> list[m.PartsRequest]:
    req, line, issue = _t(PartsRequestFact), _t(PartsRequestLineFact), _t(PartsIssueLineFact)
    wanted = and_(req.c.site_id == s, or_(_within(req.c.requested_at, lo, hi), _within(req.c.fully_issued_at, lo, hi)))
    requests = await _rows(conn, select(req).where(wanted))
    ids = select(req.c.request_id).where(wanted)
    lines: dict[str, list[Any]] = defaultdict(list)
    for r in await _rows(conn, select(line).where(line.c.site_id == s, line.c.request_id.in_(ids))):
        lines[r["request_id"]].append(r)
    first_pick: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in await _rows(conn, select(issue).where(issue.c.site_id == s, issue.c.request_id.in_(ids),
                                                   issue.c.from_stock_at_first_pick.is_(True))):
        first_pick[(r["request_id"], r["request_line_id"])] += r["quantity"]
    return [m.PartsRequest(r["request_id"], ts(r["requested_at"]), ts(r["fully_issued_at"]), tuple(
        m.RequestLine(x["request_line_id"], x["quantity"], first_pick[(r["request_id"], x["request_line_id"])])
        for x in lines[r["request_id"]])) for r in requests]


async def _latest_stock_flags(conn: AsyncConnection, s: str, at: datetime) -> list[m.StockFlag]:
    flag = _t(StockFlagFact)
    latest = select(flag.c.part_number, func.max(flag.c.at).label("at")).where(
        flag.c.site_id == s, flag.c.at <= at).group_by(flag.c.part_number).subquery()
    rows = await _rows(conn, select(flag).join(latest, and_(flag.c.part_number == latest.c.part_number, flag.c.at == latest.c.at))
                       .where(flag.c.site_id == s))
    return [m.StockFlag(r["part_number"], ts(r["at"]), r["below"]) for r in rows]  # type: ignore[arg-type]


async def _appointments(conn: AsyncConnection, s: str, lo: datetime, hi: datetime) -> list[m.Appointment]:
    appt, visit = _t(AppointmentFact), _t(VisitFact)
    wanted = and_(appt.c.site_id == s, _within(appt.c.slot_start, lo, hi))
    rows = await _rows(conn, select(appt).where(wanted))
    ids = select(appt.c.appointment_id).where(wanted)
    arrived = set((await conn.execute(select(visit.c.appointment_id).where(
        visit.c.site_id == s, visit.c.appointment_id.in_(ids), func.coalesce(visit.c.arrived_at, visit.c.ro_arrived_at).is_not(None)))).scalars())
    return [m.Appointment(r["appointment_id"], ts(r["slot_start"]), ts(r["cancelled_at"]), r["appointment_id"] in arrived)
            for r in rows]


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


async def known_sites(conn: AsyncConnection) -> list[str]:
    """Every site seen on any topic."""
    return sorted((await conn.execute(select(_t(SiteFact).c.site_id))).scalars())

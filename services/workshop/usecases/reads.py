"""What the foreman, the terminals and the wall read: lists, the dispatch queue, clockings and the job board."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.adapters.store import (
    bay_views,
    get_job,
    intervals_of_jobs,
    parts_of_jobs,
    technician_now,
    technicians_now,
)
from services.workshop.adapters.tables import (
    AttendanceRow,
    BayRow,
    BreakRow,
    JobIntervalRow,
    JobRow,
    QcResultRow,
    StaleFlagRow,
    TechnicianRow,
)
from services.workshop.adapters.views import (
    bay_read_from,
    job_read_from,
    parts_request_read,
    parts_summary,
    qc_read,
    queue_entry,
    spans,
    stale_read,
    technician_read,
)
from services.workshop.api.schemas import (
    AttendanceRead,
    BayRead,
    BoardBay,
    BoardJob,
    BoardRead,
    BoardTechnician,
    BreakRead,
    ClockingsRead,
    JobIntervalRead,
    JobRead,
    PartsRequestRead,
    QcRead,
    QueueEntry,
    StaleFlagRead,
    TechnicianRead,
)
from services.workshop.domain.clock import clocked_seconds
from services.workshop.domain.jobs import JobStatus
from services.workshop.usecases.corrections import list_adjustments
from shared.http import Page, PageParams
from shared.uow import UnitOfWork


async def _page(session: AsyncSession, statement: Any, page: PageParams) -> tuple[list[Any], int]:
    total = (await session.exec(select(func.count()).select_from(statement.subquery()))).one()
    rows = (await session.exec(statement.limit(page.limit).offset(page.offset))).all()
    return list(rows), int(total)


async def list_bays(session: AsyncSession, site_id: str, page: PageParams) -> Page[BayRead]:
    """The site's bays by name."""
    rows, total = await _page(session, select(BayRow).where(BayRow.site_id == site_id).order_by(col(BayRow.name)), page)
    holders = {v.id: v.holder_job_id for v in await bay_views(session, site_id)}
    return Page(
        items=[bay_read_from(b, holders.get(b.id)) for b in rows], total=total, limit=page.limit, offset=page.offset
    )


async def list_technicians(session: AsyncSession, site_id: str, page: PageParams) -> Page[TechnicianRead]:
    """The site's technicians by name, with where they stand."""
    statement = (
        select(TechnicianRow)
        .where(TechnicianRow.site_id == site_id)
        .order_by(col(TechnicianRow.name), col(TechnicianRow.id))
    )
    rows, total = await _page(session, statement, page)
    return Page(
        items=[technician_read(await technician_now(session, t)) for t in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def _job_reads(session: AsyncSession, jobs: list[JobRow], now: datetime) -> list[JobRead]:
    ids = [j.id for j in jobs]
    intervals, requests = await intervals_of_jobs(session, ids), await parts_of_jobs(session, ids)
    return [job_read_from(j, intervals[j.id], requests[j.id], now) for j in jobs]


async def list_jobs(
    session: AsyncSession,
    site_id: str,
    page: PageParams,
    now: datetime,
    status: JobStatus | None,
    repair_order_id: str | None,
    technician_id: str | None,
) -> Page[JobRead]:
    """The site's jobs (not proposed lines), filtered."""
    statement = select(JobRow).where(JobRow.site_id == site_id, JobRow.status != JobStatus.PROPOSED.value)
    if status is not None:
        statement = statement.where(JobRow.status == status.value)
    if repair_order_id:
        statement = statement.where(JobRow.repair_order_id == repair_order_id)
    if technician_id:
        statement = statement.where(JobRow.technician_id == technician_id)
    rows, total = await _page(session, statement.order_by(col(JobRow.approved_at), col(JobRow.id)), page)
    return Page(items=await _job_reads(session, rows, now), total=total, limit=page.limit, offset=page.offset)


async def read_job(session: AsyncSession, job_id: str, principal: Any, now: datetime) -> JobRead:
    """One job."""
    job = await get_job(session, job_id, principal)
    return (await _job_reads(session, [job], now))[0]


async def parts_requests(session: AsyncSession, job_id: str, principal: Any) -> list[PartsRequestRead]:
    """A job's parts requests, oldest first."""
    job = await get_job(session, job_id, principal)
    return [parts_request_read(r) for r in (await parts_of_jobs(session, [job.id]))[job.id]]


def _queue_statement(site_id: str) -> Any:
    return (
        select(JobRow)
        .where(JobRow.site_id == site_id, JobRow.status == JobStatus.QUEUED.value)
        .order_by(col(JobRow.approved_at), col(JobRow.id))
    )


async def dispatch_queue(session: AsyncSession, site_id: str, page: PageParams, now: datetime) -> Page[QueueEntry]:
    """Jobs waiting for dispatch, longest waiting first."""
    rows, total = await _page(session, _queue_statement(site_id), page)
    return Page(items=[queue_entry(j, now) for j in rows], total=total, limit=page.limit, offset=page.offset)


async def qc_results(session: AsyncSession, site_id: str, repair_order_id: str) -> list[QcRead]:
    """An RO's QC results, oldest first."""
    statement = (
        select(QcResultRow)
        .where(QcResultRow.site_id == site_id, QcResultRow.repair_order_id == repair_order_id)
        .order_by(col(QcResultRow.recorded_at))
    )
    return [qc_read(r) for r in (await session.exec(statement)).all()]


async def stale_flags(session: AsyncSession, site_id: str, include_cleared: bool = False) -> list[StaleFlagRead]:
    """The site's stale-clock flags, newest first."""
    statement = select(StaleFlagRow).where(StaleFlagRow.site_id == site_id)
    if not include_cleared:
        statement = statement.where(col(StaleFlagRow.cleared_at).is_(None))
    return [stale_read(r) for r in (await session.exec(statement.order_by(col(StaleFlagRow.flagged_at).desc()))).all()]


async def clockings(uow: UnitOfWork, technician: TechnicianRow, since: datetime | None) -> ClockingsRead:
    """A technician's shifts (with breaks) and job clockings, recorded and corrected, with the corrections."""
    session = uow.session
    shifts = select(AttendanceRow).where(AttendanceRow.technician_id == technician.id)
    jobs = select(JobIntervalRow).where(JobIntervalRow.technician_id == technician.id)
    if since is not None:
        shifts = shifts.where((col(AttendanceRow.end_at).is_(None)) | (col(AttendanceRow.end_at) >= since))
        jobs = jobs.where((col(JobIntervalRow.end_at).is_(None)) | (col(JobIntervalRow.end_at) >= since))
    breaks = (
        await session.exec(
            select(BreakRow).where(BreakRow.technician_id == technician.id).order_by(col(BreakRow.start_at))
        )
    ).all()
    attendance = [
        AttendanceRead(
            id=a.id,
            start=a.start_at,
            end=a.end_at,
            recorded_start=a.recorded_start,
            recorded_end=a.recorded_end,
            adjusted=a.adjusted,
            shift_end=a.shift_end,
            breaks=[BreakRead(id=b.id, start=b.start_at, end=b.end_at) for b in breaks if b.attendance_id == a.id],
        )
        for a in (await session.exec(shifts.order_by(col(AttendanceRow.start_at)))).all()
    ]
    job_reads = [
        JobIntervalRead(
            id=i.id,
            job_id=i.job_id,
            bay_id=i.bay_id,
            start=i.start_at,
            end=i.end_at,
            end_reason=i.end_reason,
            recorded_start=i.recorded_start,
            recorded_end=i.recorded_end,
            adjusted=i.adjusted,
        )
        for i in (await session.exec(jobs.order_by(col(JobIntervalRow.start_at)))).all()
    ]
    return ClockingsRead(
        technician_id=technician.id,
        attendance=attendance,
        jobs=job_reads,
        adjustments=await list_adjustments(uow, technician.site_id, technician.id),
    )


async def board(session: AsyncSession, site_id: str, now: datetime) -> BoardRead:
    """The job board: each bay with its job, the dispatch queue with waits, every technician's state, stale clocks."""
    techs = await technicians_now(session, site_id)
    names = {t.row.id: t.row.name for t in techs}
    views = await bay_views(session, site_id)
    held = [v.holder_job_id for v in views if v.holder_job_id]
    jobs = {j.id: j for j in (await session.exec(select(JobRow).where(col(JobRow.id).in_(held)))).all()} if held else {}
    intervals, requests = await intervals_of_jobs(session, held), await parts_of_jobs(session, held)
    bays = []
    for view in views:
        job = jobs.get(view.holder_job_id or "")
        board_job = None
        if job is not None:
            board_job = BoardJob(
                job_id=job.id,
                repair_order_id=job.repair_order_id,
                ro_number=job.ro_number,
                description=job.description,
                status=job.status,
                technician_id=job.technician_id,
                technician_name=names.get(job.technician_id or ""),
                clocked_seconds=clocked_seconds(spans(intervals[job.id]), now),
                sold_hours=job.sold_hours,
                sold_seconds=int(job.sold_hours * 3600),
                pause_reason=job.pause_reason,
                pause_note=job.pause_note,
                parts=parts_summary(requests[job.id]),
                rework_round=job.rework_round,
            )
        bays.append(
            BoardBay(
                bay_id=view.id,
                name=view.name,
                kind=view.kind,
                status=view.status,
                reason=view.reason,
                expected_return=view.expected_return,
                job=board_job,
            )
        )
    queue = [queue_entry(j, now) for j in (await session.exec(_queue_statement(site_id))).all()]
    flags = await stale_flags(session, site_id)
    flagged = {f.technician_id for f in flags}
    technicians = [
        BoardTechnician(
            technician_id=t.row.id,
            name=t.row.name,
            team=t.row.team,
            state=t.state.value,
            job_id=t.interval.job_id if t.interval else None,
            bay_id=t.interval.bay_id if t.interval else None,
            stale=t.row.id in flagged,
        )
        for t in techs
    ]
    return BoardRead(site_id=site_id, at=now, bays=bays, queue=queue, technicians=technicians, stale_clocks=flags)

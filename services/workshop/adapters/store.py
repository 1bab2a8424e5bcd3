"""Loading and querying the workshop's rows; helpers add to the session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.adapters.tables import (
    AttendanceRow,
    BayRow,
    BreakRow,
    JobIntervalRow,
    JobRow,
    PartsRequestRow,
    TechnicianRow,
)
from services.workshop.domain.dispatch import BayView, TechnicianView, TechState
from services.workshop.domain.jobs import HOLDS_BAY, OPEN_WORK, JobStatus
from shared.auth import Principal
from shared.contracts.workshop import BayStatus
from shared.problems import not_found

Row = TypeVar("Row", bound=SQLModel)


async def _get(
    session: AsyncSession,
    model: type[Row],
    ident: str,
    what: str,
    principal: Principal | None,
    site_id: str | None,
    lock: bool,
) -> Row:
    statement = select(model).where(model.id == ident)  # type: ignore[attr-defined]
    if lock:
        statement = statement.with_for_update()
    row = (await session.exec(statement)).first()
    row_site = getattr(row, "site_id", None)
    if (
        row is None
        or (principal is not None and not principal.may_see(row_site or ""))
        or (site_id and row_site != site_id)
    ):
        raise not_found(what, ident)
    return row


async def get_job(
    session: AsyncSession, job_id: str, principal: Principal | None = None, *, lock: bool = False
) -> JobRow:
    """A job the token may see (404 otherwise); proposed lines are not jobs yet."""
    job = await _get(session, JobRow, job_id, "job", principal, None, lock)
    if job.status == JobStatus.PROPOSED:
        raise not_found("job", job_id)
    return job


async def get_bay(
    session: AsyncSession,
    bay_id: str,
    principal: Principal | None = None,
    *,
    site_id: str | None = None,
    lock: bool = False,
) -> BayRow:
    """A bay the token may see, of the given site when named (404 otherwise)."""
    return await _get(session, BayRow, bay_id, "bay", principal, site_id, lock)


async def get_technician(
    session: AsyncSession,
    technician_id: str,
    principal: Principal | None = None,
    *,
    site_id: str | None = None,
    lock: bool = False,
) -> TechnicianRow:
    """A technician the token may see, of the given site when named (404 otherwise)."""
    return await _get(session, TechnicianRow, technician_id, "technician", principal, site_id, lock)


async def open_attendance(session: AsyncSession, technician_id: str) -> AttendanceRow | None:
    """The technician's running shift."""
    statement = select(AttendanceRow).where(
        AttendanceRow.technician_id == technician_id, col(AttendanceRow.end_at).is_(None)
    )
    return (await session.exec(statement)).first()


async def last_attendance(session: AsyncSession, technician_id: str) -> AttendanceRow | None:
    """The technician's latest shift, running or not."""
    statement = (
        select(AttendanceRow)
        .where(AttendanceRow.technician_id == technician_id)
        .order_by(col(AttendanceRow.start_at).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


async def open_break(session: AsyncSession, technician_id: str) -> BreakRow | None:
    """The technician's running break."""
    statement = select(BreakRow).where(BreakRow.technician_id == technician_id, col(BreakRow.end_at).is_(None))
    return (await session.exec(statement)).first()


async def open_interval_of(session: AsyncSession, technician_id: str) -> JobIntervalRow | None:
    """The job clock the technician has running."""
    statement = select(JobIntervalRow).where(
        JobIntervalRow.technician_id == technician_id, col(JobIntervalRow.end_at).is_(None)
    )
    return (await session.exec(statement)).first()


async def intervals_of_jobs(session: AsyncSession, job_ids: Sequence[str]) -> dict[str, list[JobIntervalRow]]:
    """Every clocked interval of these jobs, oldest first."""
    found: dict[str, list[JobIntervalRow]] = {job_id: [] for job_id in job_ids}
    if job_ids:
        statement = (
            select(JobIntervalRow).where(col(JobIntervalRow.job_id).in_(job_ids)).order_by(col(JobIntervalRow.start_at))
        )
        for row in (await session.exec(statement)).all():
            found[row.job_id].append(row)
    return found


async def parts_of_jobs(session: AsyncSession, job_ids: Sequence[str]) -> dict[str, list[PartsRequestRow]]:
    """The parts requests of these jobs, oldest first."""
    found: dict[str, list[PartsRequestRow]] = {job_id: [] for job_id in job_ids}
    if job_ids:
        statement = (
            select(PartsRequestRow)
            .where(col(PartsRequestRow.job_id).in_(job_ids))
            .order_by(col(PartsRequestRow.requested_at))
        )
        for row in (await session.exec(statement)).all():
            found[row.job_id].append(row)
    return found


async def bay_holder(session: AsyncSession, bay_id: str) -> JobRow | None:
    """The job standing on the bay (clocked on or paused there)."""
    statement = select(JobRow).where(JobRow.bay_id == bay_id, col(JobRow.status).in_([s.value for s in HOLDS_BAY]))
    return (await session.exec(statement)).first()


async def jobs_of_ro(session: AsyncSession, site_id: str, repair_order_id: str) -> list[JobRow]:
    """The jobs (not proposed lines) of a repair order."""
    statement = (
        select(JobRow)
        .where(
            JobRow.site_id == site_id,
            JobRow.repair_order_id == repair_order_id,
            JobRow.status != JobStatus.PROPOSED.value,
        )
        .order_by(col(JobRow.id))
    )
    return list((await session.exec(statement)).all())


@dataclass
class TechnicianNow:
    """A technician's clocks at this moment."""

    row: TechnicianRow
    state: TechState
    attendance: AttendanceRow | None
    on_break: BreakRow | None
    interval: JobIntervalRow | None


async def technician_now(session: AsyncSession, tech: TechnicianRow) -> TechnicianNow:
    """Where a technician stands: not clocked in, idle, on a job or on a break."""
    attendance = await open_attendance(session, tech.id)
    on_break = await open_break(session, tech.id) if attendance else None
    interval = await open_interval_of(session, tech.id)
    if attendance is None:
        state = TechState.NOT_CLOCKED_IN
    elif on_break is not None:
        state = TechState.ON_BREAK
    elif interval is not None:
        state = TechState.ON_JOB
    else:
        state = TechState.IDLE
    return TechnicianNow(tech, state, attendance, on_break, interval)


async def technicians_now(session: AsyncSession, site_id: str) -> list[TechnicianNow]:
    """Every active technician of the site with their clocks, by name."""
    techs = (
        await session.exec(
            select(TechnicianRow)
            .where(TechnicianRow.site_id == site_id, col(TechnicianRow.active).is_(True))
            .order_by(col(TechnicianRow.name))
        )
    ).all()
    return [await technician_now(session, tech) for tech in techs]


async def workload(session: AsyncSession, site_id: str) -> dict[str, tuple[Decimal, int]]:
    """Per technician: sold hours and count of open jobs assigned to them."""
    statement = select(JobRow).where(JobRow.site_id == site_id, col(JobRow.status).in_([s.value for s in OPEN_WORK]))
    load: dict[str, tuple[Decimal, int]] = {}
    for job in (await session.exec(statement)).all():
        if job.technician_id:
            hours, count = load.get(job.technician_id, (Decimal("0"), 0))
            load[job.technician_id] = (hours + job.sold_hours, count + 1)
    return load


def technician_view(now: TechnicianNow, load: tuple[Decimal, int] = (Decimal("0"), 0)) -> TechnicianView:
    """The dispatch view of a technician."""
    tech = now.row
    return TechnicianView(tech.id, tech.name, frozenset(tech.skills), tech.level, now.state, load[0], load[1])


async def bay_views(session: AsyncSession, site_id: str) -> list[BayView]:
    """Every bay of the site with the job on it and how many jobs are assigned to it."""
    bays = (await session.exec(select(BayRow).where(BayRow.site_id == site_id).order_by(col(BayRow.name)))).all()
    jobs = (
        await session.exec(
            select(JobRow).where(
                JobRow.site_id == site_id,
                col(JobRow.bay_id).is_not(None),
                col(JobRow.status).in_([s.value for s in OPEN_WORK]),
            )
        )
    ).all()
    return [bay_view(bay, jobs) for bay in bays]


def bay_view(bay: BayRow, open_jobs: Sequence[JobRow]) -> BayView:
    """The dispatch view of a bay, given the site's open jobs."""
    mine = [j for j in open_jobs if j.bay_id == bay.id]
    holder = next((j.id for j in mine if j.status in {s.value for s in HOLDS_BAY}), None)
    return BayView(
        bay.id,
        bay.name,
        bay.kind,
        BayStatus(bay.status),
        frozenset(bay.job_kinds),
        bay.reason,
        bay.expected_return,
        holder,
        len(mine),
    )

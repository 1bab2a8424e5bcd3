"""Job-clock primitives every use case shares: start and stop intervals, pause, and the checks before a clock starts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.adapters.store import bay_holder, technician_now
from services.workshop.adapters.tables import BayRow, JobIntervalRow, JobRow, TechnicianRow
from services.workshop.domain.dispatch import TechState
from services.workshop.domain.jobs import JobStatus
from services.workshop.usecases.context import check_after
from shared.clock import new_id
from shared.contracts.workshop import BayStatus, JobClockedOff, JobPaused, PauseReason
from shared.errors import IllegalTransition
from shared.uow import UnitOfWork

ATTENDANCE_ALLOWED: dict[TechState, list[str]] = {
    TechState.NOT_CLOCKED_IN: ["clock-in"],
    TechState.IDLE: ["clock-out", "break-start"],
    TechState.ON_JOB: ["clock-out", "break-start"],
    TechState.ON_BREAK: ["break-end", "clock-out"],
}


async def open_intervals(session: AsyncSession, job_id: str) -> list[JobIntervalRow]:
    """The clocks running on a job, oldest first."""
    statement = (
        select(JobIntervalRow)
        .where(JobIntervalRow.job_id == job_id, col(JobIntervalRow.end_at).is_(None))
        .order_by(col(JobIntervalRow.start_at))
        .with_for_update()
    )
    return list((await session.exec(statement)).all())


async def require_free_technician(session: AsyncSession, tech: TechnicianRow, when: datetime) -> None:
    """One job at a time: the technician must be clocked in, off break and on no other job (a second clock-on is refused)."""
    now = await technician_now(session, tech)
    if now.state is TechState.NOT_CLOCKED_IN:
        raise IllegalTransition(
            f"technician {tech.name!r} is not clocked in", state=now.state.value, allowed=["clock-in"]
        )
    if now.state is TechState.ON_BREAK:
        raise IllegalTransition(f"technician {tech.name!r} is on a break", state=now.state.value, allowed=["break-end"])
    if now.interval is not None:
        raise IllegalTransition(
            f"technician {tech.name!r} is clocked on job {now.interval.job_id!r}: pause, clock off or complete it first",
            state=now.state.value,
            allowed=["pause", "clock-off", "complete"],
            job_id=now.interval.job_id,
        )
    assert now.attendance is not None
    check_after(when, now.attendance.start_at, "the technician's clock-in")
    check_after(when, tech.last_clock_at, "the technician's last clocking")


async def require_usable_bay(session: AsyncSession, job: JobRow, bay: BayRow) -> None:
    """The bay must be open and hold no other job (one job per bay)."""
    if bay.status != BayStatus.OPEN:
        raise IllegalTransition(
            f"bay {bay.name!r} is {bay.status}: dispatch the job to another bay",
            state=bay.status,
            allowed=["dispatch"],
            bay_id=bay.id,
        )
    holder = await bay_holder(session, bay.id)
    if holder is not None and holder.id != job.id:
        raise IllegalTransition(
            f"bay {bay.name!r} holds job {holder.id!r}",
            state="bay_occupied",
            allowed=["dispatch"],
            bay_id=bay.id,
            job_id=holder.id,
        )


def start_interval(session: AsyncSession, job: JobRow, tech: TechnicianRow, when: datetime) -> JobIntervalRow:
    """Open a clock for the technician on the job in its bay."""
    assert job.bay_id is not None
    interval = JobIntervalRow(
        id=new_id(),
        site_id=job.site_id,
        job_id=job.id,
        technician_id=tech.id,
        bay_id=job.bay_id,
        start_at=when,
        recorded_start=when,
    )
    session.add(interval)
    tech.last_clock_at = when
    session.add(tech)
    return interval


def stop_interval(session: AsyncSession, interval: JobIntervalRow, when: datetime, reason: str) -> None:
    """Close a running clock (never before it started)."""
    check_after(when, interval.start_at, "the clock-on")
    interval.end_at = when
    interval.recorded_end = when
    interval.end_reason = reason
    session.add(interval)


def touch(session: AsyncSession, job: JobRow, when: datetime) -> None:
    """Record a step on the job."""
    job.last_change_at = max(when, job.last_change_at) if job.last_change_at else when
    job.version += 1
    session.add(job)


async def pause_job(uow: UnitOfWork, job: JobRow, when: datetime, reason: PauseReason, note: str) -> None:
    """Stop every clock on the job (one JobPaused per technician, so each interval ends) and mark it paused."""
    for interval in await open_intervals(uow.session, job.id):
        stop_interval(uow.session, interval, when, f"paused:{reason.value}")
        await uow.publish(
            JobPaused(
                site_id=job.site_id,
                occurred_at=when,
                job_id=job.id,
                repair_order_id=job.repair_order_id,
                technician_id=interval.technician_id,
                bay_id=interval.bay_id,
                reason=reason,
                note=note,
            )
        )
    job.status = JobStatus.PAUSED.value
    job.pause_reason = reason.value
    job.pause_note = note
    job.paused_at = when
    touch(uow.session, job, when)


async def clock_off_one(uow: UnitOfWork, job: JobRow, interval: JobIntervalRow, when: datetime, reason: str) -> None:
    """Stop one technician's clock on a job others carry on with."""
    stop_interval(uow.session, interval, when, reason)
    await uow.publish(
        JobClockedOff(
            site_id=job.site_id,
            occurred_at=when,
            job_id=job.id,
            repair_order_id=job.repair_order_id,
            technician_id=interval.technician_id,
            bay_id=interval.bay_id,
        )
    )
    touch(uow.session, job, when)


async def leave_job_for_break(uow: UnitOfWork, job: JobRow, interval: JobIntervalRow, when: datetime) -> None:
    """A technician going on a break stops their job clock: clock-off if others carry on, else the job pauses (break)."""
    others = [i for i in await open_intervals(uow.session, job.id) if i.id != interval.id]
    if others:
        await clock_off_one(uow, job, interval, when, "break")
    else:
        await pause_job(uow, job, when, PauseReason.BREAK, "technician on a break")

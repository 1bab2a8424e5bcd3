"""Foreman corrections of clockings: an event and a log; the interval keeps what was recorded."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from services.workshop.adapters.store import open_break
from services.workshop.adapters.tables import AdjustmentRow, AttendanceRow, JobIntervalRow, JobRow
from services.workshop.adapters.views import adjustment_read
from services.workshop.api.schemas import AdjustmentCreate, AdjustmentRead
from services.workshop.domain.jobs import JobStatus
from services.workshop.usecases.clocks import open_intervals, touch
from services.workshop.usecases.context import Actor
from services.workshop.usecases.stale import refresh_flags
from shared.clock import new_id
from shared.contracts.workshop import ClockingAdjusted, PauseReason
from shared.errors import IllegalTransition, Invalid
from shared.problems import not_found
from shared.uow import UnitOfWork


def _overlaps(a_start: datetime, a_end: datetime | None, b_start: datetime, b_end: datetime | None) -> bool:
    """Half-open intervals; a running one (end None) goes on forever."""
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


async def adjust(uow: UnitOfWork, actor: Actor, site_id: str, body: AdjustmentCreate) -> AdjustmentRead:
    """Replace an interval's start/end with a reason; a running interval given an end stops (its job pauses if nobody is left)."""
    session = uow.session
    corrected_start = actor.when(body.corrected_start)
    corrected_end = actor.when(body.corrected_end) if body.corrected_end is not None else None
    job_interval = (
        await session.exec(
            select(JobIntervalRow)
            .where(JobIntervalRow.id == body.interval_id, JobIntervalRow.site_id == site_id)
            .with_for_update()
        )
    ).first()
    attendance = None
    if job_interval is None:
        attendance = (
            await session.exec(
                select(AttendanceRow)
                .where(AttendanceRow.id == body.interval_id, AttendanceRow.site_id == site_id)
                .with_for_update()
            )
        ).first()
    interval = job_interval or attendance
    if interval is None:
        raise not_found("clocking interval", body.interval_id)
    if interval.end_at is not None and corrected_end is None:
        raise Invalid("a finished interval cannot be reopened: give corrected_end")
    if (interval.start_at, interval.end_at) == (corrected_start, corrected_end):
        raise Invalid("the corrected times are the times already recorded")
    await _no_overlap(uow, interval, corrected_start, corrected_end)
    row = AdjustmentRow(
        id=new_id(),
        site_id=site_id,
        technician_id=interval.technician_id,
        job_id=job_interval.job_id if job_interval else None,
        interval_id=interval.id,
        original_start=interval.start_at,
        original_end=interval.end_at,
        corrected_start=corrected_start,
        corrected_end=corrected_end,
        reason=body.reason,
        adjusted_by=actor.name,
        adjusted_at=actor.when(body.occurred_at),
    )
    closes = interval.end_at is None and corrected_end is not None
    if closes and attendance is not None and await open_break(session, attendance.technician_id) is not None:
        raise IllegalTransition(
            "the technician is on a break: end it before closing the shift", state="on_break", allowed=["break-end"]
        )
    interval.start_at, interval.end_at, interval.adjusted = corrected_start, corrected_end, True
    session.add(interval)
    session.add(row)
    if closes and job_interval is not None:
        job_interval.end_reason = "corrected"
        await _after_job_clock_closed(uow, job_interval.job_id, corrected_end)  # type: ignore[arg-type]
    await uow.publish(
        ClockingAdjusted(
            site_id=site_id,
            occurred_at=row.adjusted_at,
            technician_id=row.technician_id,
            adjustment_id=row.id,
            job_id=row.job_id,
            original_start=row.original_start,
            original_end=row.original_end,
            corrected_start=corrected_start,
            corrected_end=corrected_end,
            reason=row.reason,
            adjusted_by=row.adjusted_by,
        )
    )
    await session.flush()
    await refresh_flags(uow, actor.settings, actor.now(), site_id=site_id, flag_new=False)
    return adjustment_read(row)


async def _no_overlap(
    uow: UnitOfWork, interval: JobIntervalRow | AttendanceRow, start: datetime, end: datetime | None
) -> None:
    model = type(interval)
    others = (
        await uow.session.exec(
            select(model).where(model.technician_id == interval.technician_id, model.id != interval.id)
        )
    ).all()
    for other in others:
        if _overlaps(start, end, other.start_at, other.end_at):
            what = "job clocking" if model is JobIntervalRow else "shift"
            raise Invalid(
                f"the corrected interval overlaps the technician's {what} {other.id!r} "
                f"({other.start_at.isoformat()} – {other.end_at.isoformat() if other.end_at else 'running'})"
            )


async def _after_job_clock_closed(uow: UnitOfWork, job_id: str, when: datetime) -> None:
    job = (await uow.session.exec(select(JobRow).where(JobRow.id == job_id).with_for_update())).one()
    if job.status == JobStatus.IN_PROGRESS.value and not await open_intervals(uow.session, job.id):
        # The correction itself ends the interval (no JobPaused, so the KPI sees one end); the job waits to be resumed.
        job.status, job.pause_reason, job.pause_note, job.paused_at = (
            JobStatus.PAUSED.value,
            PauseReason.OTHER.value,
            "clock closed by a correction",
            when,
        )
    touch(uow.session, job, when)


async def list_adjustments(uow: UnitOfWork, site_id: str, technician_id: str | None = None) -> list[AdjustmentRead]:
    """The corrections of a site, newest first."""
    statement = select(AdjustmentRow).where(AdjustmentRow.site_id == site_id)
    if technician_id:
        statement = statement.where(AdjustmentRow.technician_id == technician_id)
    rows = (await uow.session.exec(statement.order_by(col(AdjustmentRow.adjusted_at).desc()))).all()
    return [adjustment_read(r) for r in rows]

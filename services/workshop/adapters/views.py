"""Rows to API answers."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.adapters.store import TechnicianNow, bay_holder, intervals_of_jobs, parts_of_jobs
from services.workshop.adapters.tables import (
    AdjustmentRow,
    BayRow,
    JobIntervalRow,
    JobRow,
    PartsRequestRow,
    QcResultRow,
    StaleFlagRow,
)
from services.workshop.api.schemas import (
    AdjustmentRead,
    BayRead,
    JobRead,
    PartLine,
    PartsRequestRead,
    PartsSummary,
    QcRead,
    QueueEntry,
    StaleFlagRead,
    TechnicianRead,
)
from services.workshop.domain.clock import Span, clocked_seconds
from services.workshop.domain.jobs import JobStatus, allowed_steps
from shared.contracts.workshop import PauseReason


def spans(intervals: list[JobIntervalRow]) -> list[Span]:
    """The effective (corrected) spans of intervals."""
    return [Span(i.start_at, i.end_at) for i in intervals]


def parts_summary(requests: list[PartsRequestRow]) -> PartsSummary:
    """How a job's parts requests stand."""
    issued = [r for r in requests if r.issued_at is not None]
    last = max((r.issued_at for r in issued if r.issued_at), default=None)
    return PartsSummary(
        requests=len(requests),
        issued=len(issued),
        all_issued=bool(requests) and len(issued) == len(requests),
        last_issued_at=last,
        backordered=any(r.backordered and r.issued_at is None for r in requests),
    )


def job_read_from(
    job: JobRow, intervals: list[JobIntervalRow], requests: list[PartsRequestRow], now: datetime
) -> JobRead:
    """A job's answer from its rows."""
    return JobRead(
        id=job.id,
        site_id=job.site_id,
        repair_order_id=job.repair_order_id,
        ro_number=job.ro_number,
        op_code=job.op_code,
        description=job.description,
        required_skill=job.required_skill,
        sold_hours=job.sold_hours,
        status=job.status,
        allowed=allowed_steps(JobStatus(job.status)),
        approved_at=job.approved_at,
        technician_id=job.technician_id,
        bay_id=job.bay_id,
        clocked_on=[i.technician_id for i in intervals if i.end_at is None],
        clocked_seconds=clocked_seconds(spans(intervals), now),
        pause_reason=PauseReason(job.pause_reason) if job.pause_reason else None,
        pause_note=job.pause_note,
        paused_at=job.paused_at,
        parts=parts_summary(requests),
        rework_round=job.rework_round,
        withdrawn_reason=job.withdrawn_reason,
        completed_at=job.completed_at,
        version=job.version,
    )


async def job_read(session: AsyncSession, job: JobRow, now: datetime) -> JobRead:
    """A job's answer, loading its intervals and parts requests."""
    intervals = (await intervals_of_jobs(session, [job.id]))[job.id]
    requests = (await parts_of_jobs(session, [job.id]))[job.id]
    return job_read_from(job, intervals, requests, now)


def queue_entry(job: JobRow, now: datetime) -> QueueEntry:
    """A job waiting for dispatch."""
    waited = int((now - job.approved_at).total_seconds()) if job.approved_at else 0
    return QueueEntry(
        job_id=job.id,
        repair_order_id=job.repair_order_id,
        ro_number=job.ro_number,
        description=job.description,
        required_skill=job.required_skill,
        sold_hours=job.sold_hours,
        approved_at=job.approved_at,
        waiting_seconds=max(0, waited),
    )


def bay_read_from(bay: BayRow, holder_id: str | None) -> BayRead:
    """A bay's answer."""
    return BayRead(
        id=bay.id,
        site_id=bay.site_id,
        name=bay.name,
        kind=bay.kind,
        status=bay.status,
        reason=bay.reason,
        expected_return=bay.expected_return,
        job_kinds=list(bay.job_kinds),
        job_id=holder_id,
        version=bay.version,
    )


async def bay_read(session: AsyncSession, bay: BayRow) -> BayRead:
    """A bay's answer, with the job on it."""
    holder = await bay_holder(session, bay.id)
    return bay_read_from(bay, holder.id if holder else None)


def technician_read(now: TechnicianNow) -> TechnicianRead:
    """A technician's answer with their current clocks."""
    tech = now.row
    return TechnicianRead(
        id=tech.id,
        site_id=tech.site_id,
        name=tech.name,
        skills=list(tech.skills),
        level=tech.level,
        team=tech.team,
        badge=tech.badge,
        has_pin=tech.pin_hash is not None,
        active=tech.active,
        state=now.state.value,
        job_id=now.interval.job_id if now.interval else None,
        clocked_in_at=now.attendance.start_at if now.attendance else None,
        shift_end=now.attendance.shift_end if now.attendance else None,
        on_break_since=now.on_break.start_at if now.on_break else None,
        version=tech.version,
    )


def parts_request_read(row: PartsRequestRow) -> PartsRequestRead:
    """A parts request's answer."""
    return PartsRequestRead(
        id=row.id,
        job_id=row.job_id,
        repair_order_id=row.repair_order_id,
        requested_by=row.requested_by,
        lines=[PartLine.model_validate(line) for line in row.lines],
        requested_at=row.requested_at,
        issued_at=row.issued_at,
        backordered=row.backordered,
        backordered_until=row.backordered_until,
    )


def qc_read(row: QcResultRow) -> QcRead:
    """A QC result's answer."""
    return QcRead(
        id=row.id,
        site_id=row.site_id,
        repair_order_id=row.repair_order_id,
        result="pass" if row.passed else "fail",
        inspector=row.inspector,
        reason=row.reason,
        job_ids=list(row.job_ids),
        recorded_at=row.recorded_at,
    )


def adjustment_read(row: AdjustmentRow) -> AdjustmentRead:
    """A correction's answer."""
    return AdjustmentRead(
        id=row.id,
        site_id=row.site_id,
        technician_id=row.technician_id,
        job_id=row.job_id,
        interval_id=row.interval_id,
        original_start=row.original_start,
        original_end=row.original_end,
        corrected_start=row.corrected_start,
        corrected_end=row.corrected_end,
        reason=row.reason,
        adjusted_by=row.adjusted_by,
        adjusted_at=row.adjusted_at,
    )


def stale_read(row: StaleFlagRow) -> StaleFlagRead:
    """A stale-clock flag's answer."""
    return StaleFlagRead(
        id=row.id,
        kind=row.kind,
        technician_id=row.technician_id,
        job_id=row.job_id,
        since=row.since,
        flagged_at=row.flagged_at,
        cleared_at=row.cleared_at,
    )

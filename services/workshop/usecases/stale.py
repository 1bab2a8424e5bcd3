"""Stale clocks: flag each forgotten clock once (event + board), clear the flag when it is fixed."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlmodel import col, select

from services.workshop.adapters.store import intervals_of_jobs, last_attendance, open_attendance
from services.workshop.adapters.tables import AttendanceRow, JobIntervalRow, JobRow, StaleFlagRow
from services.workshop.domain.clock import OpenJobClock, OpenShift, StaleCondition, StalePolicy, stale_conditions
from services.workshop.settings import WorkshopSettings
from shared.clock import new_id, utcnow
from shared.contracts.workshop import StaleClockFlagged, StaleClockKind
from shared.runtime import Runtime
from shared.uow import UnitOfWork

log = logging.getLogger("pitwall.workshop.stale")


def policy_of(settings: WorkshopSettings) -> StalePolicy:
    """The stale thresholds from the settings."""
    return StalePolicy(
        settings.stale_sold_hours_factor,
        timedelta(minutes=settings.stale_job_grace_minutes),
        timedelta(minutes=settings.shift_overrun_grace_minutes),
    )


async def current_conditions(
    uow: UnitOfWork, now: datetime, policy: StalePolicy, site_id: str | None = None
) -> list[StaleCondition]:
    """Every stale clock at `now` (of one site, or all)."""
    session = uow.session
    running = select(JobIntervalRow).where(col(JobIntervalRow.end_at).is_(None))
    shifts = select(AttendanceRow).where(col(AttendanceRow.end_at).is_(None))
    if site_id is not None:
        running, shifts = (
            running.where(JobIntervalRow.site_id == site_id),
            shifts.where(AttendanceRow.site_id == site_id),
        )
    open_clocks = list((await session.exec(running)).all())
    job_ids = sorted({i.job_id for i in open_clocks})
    jobs = (
        {j.id: j for j in (await session.exec(select(JobRow).where(col(JobRow.id).in_(job_ids)))).all()}
        if job_ids
        else {}
    )
    intervals = await intervals_of_jobs(session, job_ids)
    clocks = []
    for interval in open_clocks:
        job = jobs[interval.job_id]
        out_at = None
        if await open_attendance(session, interval.technician_id) is None:
            last = await last_attendance(session, interval.technician_id)
            out_at = last.end_at if last is not None and last.end_at is not None else interval.start_at
        closed = sum(((i.end_at - i.start_at) for i in intervals[job.id] if i.end_at is not None), timedelta(0))
        starts = tuple(i.start_at for i in intervals[job.id] if i.end_at is None)
        clocks.append(
            OpenJobClock(
                interval.id,
                interval.site_id,
                interval.technician_id,
                job.id,
                interval.start_at,
                job.rework_round,
                job.sold_hours,
                closed,
                starts,
                out_at,
            )
        )
    open_shifts = [OpenShift(a.id, a.site_id, a.technician_id, a.shift_end) for a in (await session.exec(shifts)).all()]
    return stale_conditions(now, clocks, open_shifts, policy)


async def refresh_flags(
    uow: UnitOfWork, settings: WorkshopSettings, now: datetime, *, site_id: str | None = None, flag_new: bool = True
) -> int:
    """Flag every new stale clock (once per condition, with an event); clear flags whose clock was fixed. Returns how many were new."""
    session = uow.session
    conditions = await current_conditions(uow, now, policy_of(settings), site_id)
    by_key = {c.key: c for c in conditions}
    known: set[str] = set()
    if by_key:
        for flag in (await session.exec(select(StaleFlagRow).where(col(StaleFlagRow.key).in_(list(by_key))))).all():
            known.add(flag.key)
            if flag.cleared_at is not None:  # the same condition is back: shown again, not published again
                flag.cleared_at = None
                session.add(flag)
    standing = select(StaleFlagRow).where(col(StaleFlagRow.cleared_at).is_(None))
    if site_id is not None:
        standing = standing.where(StaleFlagRow.site_id == site_id)
    for flag in (await session.exec(standing)).all():
        if flag.key not in by_key:
            flag.cleared_at = now
            session.add(flag)
    flagged = 0
    for condition in conditions:
        if condition.key in known or not flag_new:
            continue
        session.add(
            StaleFlagRow(
                id=new_id(),
                key=condition.key,
                site_id=condition.site_id,
                technician_id=condition.technician_id,
                job_id=condition.job_id,
                kind=condition.kind.value,
                since=condition.since,
                flagged_at=now,
            )
        )
        await uow.publish(
            StaleClockFlagged(
                site_id=condition.site_id,
                occurred_at=now,
                technician_id=condition.technician_id,
                job_id=condition.job_id,
                kind=StaleClockKind(condition.kind),
                since=condition.since,
            )
        )
        flagged += 1
    return flagged


async def stale_clock_loop(runtime: Runtime) -> None:
    """Background loop: check for stale clocks every `stale_check_seconds`."""
    settings = runtime.settings
    assert isinstance(settings, WorkshopSettings)
    while True:
        try:
            async with runtime.unit_of_work() as uow:
                flagged = await refresh_flags(uow, settings, utcnow())
                await uow.commit()
            if flagged:
                log.info("flagged %d stale clock(s)", flagged)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed check is retried at the next tick
            log.exception("stale clock check failed")
        await asyncio.sleep(settings.stale_check_seconds)

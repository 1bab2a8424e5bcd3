"""The workshop's job clock as warranty needs it: marks kept per job, hours per technician read back."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters.tables import JobLine
from services.reception.warranty.domain.timecards import Adjustment, Mark, MarkKind, hours_by_technician
from services.reception.warranty.tables import ClockCorrection, ClockMark
from shared.uow import UnitOfWork

log = logging.getLogger("pitwall.reception.warranty")


async def _known_job(uow: UnitOfWork, site_id: str, job_id: str) -> bool:
    line = await uow.session.get(JobLine, job_id)
    if line is None or line.site_id != site_id:
        log.debug("ignoring a clock event for job %s, unknown at site %s", job_id, site_id)
        return False
    return True


async def record_mark(
    uow: UnitOfWork, site_id: str, job_id: str, technician_id: str, kind: MarkKind, at: datetime
) -> bool:
    """Keep one clock event of a job (a duplicate is kept once); whether it was new."""
    if not await _known_job(uow, site_id, job_id):
        return False
    duplicate = (
        await uow.session.exec(
            select(ClockMark).where(
                ClockMark.site_id == site_id,
                ClockMark.job_id == job_id,
                ClockMark.technician_id == technician_id,
                ClockMark.kind == kind.value,
                ClockMark.at == at,
            )
        )
    ).first()
    if duplicate is not None:
        return False
    uow.session.add(ClockMark(site_id=site_id, job_id=job_id, technician_id=technician_id, kind=kind.value, at=at))
    return True


async def record_correction(
    uow: UnitOfWork,
    site_id: str,
    adjustment_id: str,
    job_id: str,
    technician_id: str,
    original_start: datetime,
    corrected_start: datetime,
    corrected_end: datetime | None,
    adjusted_at: datetime,
) -> bool:
    """Keep a foreman's correction of a job clocking; whether it was new."""
    if not await _known_job(uow, site_id, job_id) or await uow.session.get(ClockCorrection, (site_id, adjustment_id)):
        return False
    uow.session.add(
        ClockCorrection(
            site_id=site_id,
            adjustment_id=adjustment_id,
            job_id=job_id,
            technician_id=technician_id,
            original_start=original_start,
            corrected_start=corrected_start,
            corrected_end=corrected_end,
            adjusted_at=adjusted_at,
        )
    )
    return True


async def hours(session: AsyncSession, site_id: str, job_ids: list[str]) -> dict[str, dict[str, Decimal]]:
    """Clocked hours per job and technician."""
    if not job_ids:
        return {}
    await session.flush()
    marks: dict[str, list[Mark]] = defaultdict(list)
    for row in (
        await session.exec(select(ClockMark).where(ClockMark.site_id == site_id, col(ClockMark.job_id).in_(job_ids)))
    ).all():
        marks[row.job_id].append(Mark(row.technician_id, MarkKind(row.kind), row.at))
    corrections: dict[str, list[Adjustment]] = defaultdict(list)
    statement = select(ClockCorrection).where(
        ClockCorrection.site_id == site_id, col(ClockCorrection.job_id).in_(job_ids)
    )
    for c in (await session.exec(statement)).all():
        corrections[c.job_id].append(
            Adjustment(
                c.adjustment_id, c.technician_id, c.original_start, c.corrected_start, c.corrected_end, c.adjusted_at
            )
        )
    return {job: hours_by_technician(marks[job], corrections[job]) for job in job_ids}

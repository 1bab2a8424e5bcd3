"""Workshop clock events kept for the claims' technician time cards (actual hours)."""

from __future__ import annotations

from services.reception.warranty import clock
from services.reception.warranty.domain.timecards import MarkKind
from shared.contracts.workshop import ClockingAdjusted, JobClockedOff, JobClockedOn, JobCompleted, JobPaused, JobResumed
from shared.uow import UnitOfWork

_KINDS: dict[type, MarkKind] = {
    JobClockedOn: MarkKind.ON,
    JobResumed: MarkKind.RESUME,
    JobPaused: MarkKind.PAUSE,
    JobClockedOff: MarkKind.OFF,
    JobCompleted: MarkKind.COMPLETE,
}


async def on_job_clock(
    uow: UnitOfWork, event: JobClockedOn | JobResumed | JobPaused | JobClockedOff | JobCompleted
) -> None:
    """A technician's clock on a job started or stopped (a completion stops everyone's)."""
    await clock.record_mark(
        uow, event.site_id, event.job_id, event.technician_id, _KINDS[type(event)], event.occurred_at
    )


async def on_clocking_adjusted(uow: UnitOfWork, event: ClockingAdjusted) -> None:
    """A foreman corrected a job clocking (attendance corrections do not concern claims)."""
    if event.job_id is None:
        return
    await clock.record_correction(
        uow,
        event.site_id,
        event.adjustment_id,
        event.job_id,
        event.technician_id,
        event.original_start,
        event.corrected_start,
        event.corrected_end,
        event.occurred_at,
    )

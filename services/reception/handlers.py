"""Integration-event handlers: each translates a workshop or parts fact into a use case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.reception.usecases import workshop_facts
from services.reception.warranty.handlers import on_clocking_adjusted, on_job_clock
from shared.contracts.base import Event
from shared.contracts.parts import PartsIssued, PartsReturned
from shared.contracts.workshop import (
    ClockingAdjusted,
    JobClockedOff,
    JobClockedOn,
    JobCompleted,
    JobPaused,
    JobResumed,
    QcFailed,
    QcPassed,
)
from shared.uow import UnitOfWork

Handler = Callable[[UnitOfWork, Any], Awaitable[None]]


async def on_job_clocked_on(uow: UnitOfWork, event: JobClockedOn) -> None:
    """Work started on a job line (and the technician's time card starts)."""
    await workshop_facts.work_started(uow, event.site_id, event.repair_order_id, event.job_id, event.occurred_at)
    await on_job_clock(uow, event)


async def on_job_completed(uow: UnitOfWork, event: JobCompleted) -> None:
    """A job line's work is complete (every clock on it stops)."""
    await workshop_facts.job_completed(uow, event.site_id, event.repair_order_id, event.job_id, event.occurred_at)
    await on_job_clock(uow, event)


async def on_qc_passed(uow: UnitOfWork, event: QcPassed) -> None:
    """Final inspection passed."""
    await workshop_facts.qc_result(uow, event.site_id, event.repair_order_id, True, [], event.occurred_at)


async def on_qc_failed(uow: UnitOfWork, event: QcFailed) -> None:
    """Final inspection failed: the named jobs go back to rework."""
    await workshop_facts.qc_result(uow, event.site_id, event.repair_order_id, False, event.job_ids, event.occurred_at)


async def on_parts_issued(uow: UnitOfWork, event: PartsIssued) -> None:
    """Parts issued to an RO become its parts lines."""
    for line in event.lines:
        await workshop_facts.parts_moved(
            uow,
            event.site_id,
            event.repair_order_id,
            request_id=event.request_id,
            request_line_id=line.request_line_id,
            job_id=event.job_id,
            part_number=line.part_number,
            quantity=line.quantity,
            unit_cost=line.unit_cost,
            unit_price=line.unit_price,
            returned=False,
            at=event.occurred_at,
        )


async def on_parts_returned(uow: UnitOfWork, event: PartsReturned) -> None:
    """Parts returned from an RO reduce its parts lines."""
    await workshop_facts.parts_moved(
        uow,
        event.site_id,
        event.repair_order_id,
        request_id=event.request_id,
        request_line_id=f"return:{event.part_number}",
        job_id=event.job_id,
        part_number=event.part_number,
        quantity=event.quantity,
        unit_cost=event.unit_cost,
        unit_price=event.unit_price,
        returned=True,
        at=event.occurred_at,
    )


HANDLERS: dict[type[Event], Handler] = {
    JobClockedOn: on_job_clocked_on,
    JobCompleted: on_job_completed,
    JobPaused: on_job_clock,
    JobResumed: on_job_clock,
    JobClockedOff: on_job_clock,
    ClockingAdjusted: on_clocking_adjusted,
    QcPassed: on_qc_passed,
    QcFailed: on_qc_failed,
    PartsIssued: on_parts_issued,
    PartsReturned: on_parts_returned,
}

"""What reception learns from the workshop and parts: work started and completed, QC results, parts on the RO.

Every fact is kept by when it happened (earliest start, latest completion, latest QC), so the
same events give the same RO whatever order, and however often, they arrive in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from sqlmodel import select

from services.reception.adapters import store
from services.reception.adapters.tables import JobLine, PartsMovement, RepairOrder
from services.reception.usecases.lifecycle import settle_ro
from shared.uow import UnitOfWork

log = logging.getLogger("pitwall.reception.facts")


async def _ro(uow: UnitOfWork, site_id: str, repair_order_id: str | None) -> RepairOrder | None:
    if repair_order_id is None:
        return None
    ro = await uow.session.get(RepairOrder, repair_order_id, with_for_update=True)
    if ro is None or ro.site_id != site_id:
        log.debug("ignoring a fact about repair order %s, unknown at site %s", repair_order_id, site_id)
        return None
    return ro


def _earliest(current: datetime | None, at: datetime) -> datetime:
    return at if current is None or at < current else current


def _latest(current: datetime | None, at: datetime) -> datetime:
    return at if current is None or at > current else current


async def _on_lines(uow: UnitOfWork, site_id: str, repair_order_id: str) -> tuple[RepairOrder, list[JobLine]] | None:
    ro = await _ro(uow, site_id, repair_order_id)
    if ro is None:
        return None
    return ro, await store.lines_of(uow.session, ro.id)


def _snapshot(ro: RepairOrder, lines: list[JobLine]) -> tuple[object, ...]:
    return (ro.state, ro.last_qc_at, ro.last_qc_passed, *((x.started_at, x.completed_at, x.rework_at) for x in lines))


async def _apply(
    uow: UnitOfWork,
    site_id: str,
    repair_order_id: str,
    at: datetime,
    change: Callable[[RepairOrder, list[JobLine]], None],
) -> None:
    """Apply a fact to the RO and its lines, settle the state; the version moves only when something changed."""
    found = await _on_lines(uow, site_id, repair_order_id)
    if found is None:
        return
    ro, lines = found
    before = _snapshot(ro, lines)
    change(ro, lines)
    await settle_ro(uow, ro, lines, at)
    if _snapshot(ro, lines) != before:
        ro.version += 1


async def work_started(uow: UnitOfWork, site_id: str, repair_order_id: str, job_id: str, at: datetime) -> None:
    """A technician clocked on a job: the RO is in progress."""

    def change(ro: RepairOrder, lines: list[JobLine]) -> None:
        for line in lines:
            if line.id == job_id:
                line.started_at = _earliest(line.started_at, at)

    await _apply(uow, site_id, repair_order_id, at, change)


async def job_completed(uow: UnitOfWork, site_id: str, repair_order_id: str, job_id: str, at: datetime) -> None:
    """A job is complete (a completion implies it started)."""

    def change(ro: RepairOrder, lines: list[JobLine]) -> None:
        for line in lines:
            if line.id == job_id:
                line.started_at = _earliest(line.started_at, at)
                line.completed_at = _latest(line.completed_at, at)

    await _apply(uow, site_id, repair_order_id, at, change)


async def qc_result(
    uow: UnitOfWork, site_id: str, repair_order_id: str, passed: bool, job_ids: list[str], at: datetime
) -> None:
    """A QC pass, or a fail sending the named jobs back to rework; the latest result counts."""

    def change(ro: RepairOrder, lines: list[JobLine]) -> None:
        if ro.last_qc_at is None or at > ro.last_qc_at or (at == ro.last_qc_at and not passed):
            ro.last_qc_at, ro.last_qc_passed = at, passed
        if not passed:
            for line in lines:
                if line.id in job_ids:
                    line.rework_at = _latest(line.rework_at, at)

    await _apply(uow, site_id, repair_order_id, at, change)


async def parts_moved(
    uow: UnitOfWork,
    site_id: str,
    repair_order_id: str | None,
    *,
    request_id: str,
    request_line_id: str,
    job_id: str | None,
    part_number: str,
    quantity: Decimal,
    unit_cost: Decimal,
    unit_price: Decimal,
    returned: bool,
    at: datetime,
) -> None:
    """Parts issued to (or returned from) the RO become (or reduce) its parts lines."""
    ro = await _ro(uow, site_id, repair_order_id)
    if ro is None:
        return
    kind = "returned" if returned else "issued"
    duplicate = (
        await uow.session.exec(
            select(PartsMovement).where(
                PartsMovement.repair_order_id == ro.id,
                PartsMovement.request_id == request_id,
                PartsMovement.request_line_id == request_line_id,
                PartsMovement.kind == kind,
                PartsMovement.occurred_at == at,
            )
        )
    ).first()
    if duplicate is not None:
        return
    if ro.invoiced_at is not None:
        log.warning("parts %s %s on RO %s after it was invoiced; kept, not billed", kind, part_number, ro.ro_number)
    uow.session.add(
        PartsMovement(
            repair_order_id=ro.id,
            site_id=site_id,
            request_id=request_id,
            request_line_id=request_line_id,
            job_line_id=job_id,
            part_number=part_number,
            kind=kind,
            quantity=-quantity if returned else quantity,
            unit_cost=unit_cost,
            unit_price=unit_price,
            occurred_at=at,
        )
    )
    ro.version += 1

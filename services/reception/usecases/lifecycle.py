"""What every RO change shares: line facts, settling the state (and RepairOrderReady), comeback detection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters import store
from services.reception.adapters.tables import JobLine, RepairOrder, Site
from services.reception.domain import comeback
from services.reception.domain.repair_order import LineFacts, LineStatus, QcFacts, RoAction, RoState, require, settle
from shared.contracts.reception import ComebackFlagged, PayType, RepairOrderReady
from shared.contracts.reception import JobLine as ContractLine
from shared.uow import UnitOfWork

COMEBACK_SOURCES = (RoState.INVOICED.value, RoState.DELIVERED.value)


def facts(line: JobLine) -> LineFacts:
    """The state machine's view of a line."""
    return LineFacts(LineStatus(line.status), line.started_at, line.completed_at, line.rework_at)


async def require_step(session: AsyncSession, ro: RepairOrder, action: RoAction) -> list[JobLine]:
    """The RO's lines, once its state and lines allow the step (else 409 listing the steps that would succeed)."""
    lines = await store.lines_of(session, ro.id)
    require(RoState(ro.state), action, [facts(line) for line in lines])
    return lines


def work_of(line: JobLine) -> str:
    """not_started, in_progress or complete, as the workshop reported it."""
    fact = facts(line)
    if fact.complete:
        return "complete"
    return "in_progress" if line.started_at is not None else "not_started"


def contract_line(line: JobLine) -> ContractLine:
    """A line as the other services see it."""
    return ContractLine(
        job_line_id=line.id,
        op_code=line.op_code,
        description=line.description,
        complaint=line.complaint,
        pay_type=PayType(line.pay_type),
        sold_hours=line.sold_hours,
        labour_rate=line.labour_rate,
        required_skill=line.required_skill,
        campaign_number=line.campaign_number,
    )


async def settle_ro(uow: UnitOfWork, ro: RepairOrder, lines: Sequence[JobLine], at: datetime) -> None:
    """Move the RO to the state its lines and the workshop's facts give; entering ready publishes RepairOrderReady."""
    qc = QcFacts(ro.last_qc_at, ro.last_qc_passed)
    new = settle(RoState(ro.state), [facts(line) for line in lines], qc)
    if new.value == ro.state:
        return
    if new is RoState.READY:
        ro.ready_at = max(at, ro.last_qc_at) if ro.last_qc_at else at
        await uow.publish(
            RepairOrderReady(
                site_id=ro.site_id,
                occurred_at=ro.ready_at,
                repair_order_id=ro.id,
                ro_number=ro.ro_number,
                promised_at=ro.promised_at,
            )
        )
    elif ro.state == RoState.READY.value:
        ro.ready_at = None
    ro.state = new.value


def _as_visit(ro: RepairOrder, lines: Sequence[JobLine], at: datetime) -> comeback.Visit:
    return comeback.visit(ro.id, at, [line.op_code for line in lines], [line.complaint for line in lines])


async def find_comeback(
    uow: UnitOfWork, site: Site, ro: RepairOrder, lines: Sequence[JobLine]
) -> tuple[str, str] | None:
    """(earlier RO id, why) when the RO repeats an op code or concern of the vehicle's last invoiced or delivered ROs."""
    earlier_ros = (
        await uow.session.exec(
            select(RepairOrder).where(
                RepairOrder.site_id == ro.site_id,
                RepairOrder.vehicle_id == ro.vehicle_id,
                RepairOrder.id != ro.id,
                col(RepairOrder.state).in_(COMEBACK_SOURCES),
            )
        )
    ).all()
    if not earlier_ros:
        return None
    earlier_lines = (
        await uow.session.exec(select(JobLine).where(col(JobLine.repair_order_id).in_([e.id for e in earlier_ros])))
    ).all()
    visits = [
        _as_visit(
            e,
            [line for line in earlier_lines if line.repair_order_id == e.id],
            e.delivered_at or e.invoiced_at or e.opened_at,
        )
        for e in earlier_ros
    ]
    new = _as_visit(ro, lines, ro.arrived_at)
    found = comeback.comeback_of(new, visits, site.comeback_window_days)
    if found is None:
        return None
    number = next(e.ro_number for e in earlier_ros if e.id == found.repair_order_id)
    return found.repair_order_id, f"{comeback.why(new, found)} of RO {number}"


async def detect_comeback(uow: UnitOfWork, site: Site, ro: RepairOrder, lines: Sequence[JobLine], at: datetime) -> bool:
    """Flag the RO as a comeback when the rule finds one (never against the advisor's own decision)."""
    if ro.is_comeback or ro.comeback_set_by_hand:
        return False
    found = await find_comeback(uow, site, ro, lines)
    if found is None:
        return False
    ro.is_comeback, (ro.comeback_of, ro.comeback_reason) = True, found
    await uow.publish(
        ComebackFlagged(
            site_id=ro.site_id,
            occurred_at=at,
            repair_order_id=ro.id,
            comeback_of=ro.comeback_of,
            reason=ro.comeback_reason,
            automatic=True,
        )
    )
    return True

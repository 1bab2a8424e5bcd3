"""Complaints (投诉): opened directly or from a follow-up, actions, a comeback RO, resolution."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters import store
from services.reception.adapters.tables import Complaint, ComplaintAction, FollowUpAttempt, RepairOrder
from services.reception.api.schemas.follow_ups import (
    ComplaintActionRead,
    ComplaintComeback,
    ComplaintCreate,
    ComplaintRead,
)
from services.reception.api.schemas.repair_orders import ComebackUpdate
from services.reception.domain import follow_up as rules
from services.reception.domain.follow_up import ComplaintStatus
from services.reception.usecases import repair_orders
from shared.contracts.reception import ComplaintActionRecorded, ComplaintOpened, ComplaintResolved
from shared.errors import Invalid
from shared.uow import UnitOfWork


async def complaint_read(session: AsyncSession, complaint: Complaint) -> ComplaintRead:
    """A complaint with its actions."""
    actions = (
        await session.exec(
            select(ComplaintAction)
            .where(ComplaintAction.complaint_id == complaint.id)
            .order_by(col(ComplaintAction.id))
        )
    ).all()
    fields = {k: getattr(complaint, k) for k in ComplaintRead.model_fields if k != "actions"}
    return ComplaintRead(**fields, actions=[ComplaintActionRead(at=a.at, by=a.by, action=a.action) for a in actions])


async def open_complaint(uow: UnitOfWork, site_id: str, body: ComplaintCreate, at: datetime, by: str) -> Complaint:
    """Open a complaint; one from a follow-up attempt is about that attempt's RO."""
    session = uow.session
    ro_id = body.repair_order_id
    if body.follow_up_attempt_id is not None:
        attempt = await store.referenced(
            session, FollowUpAttempt, "follow_up_attempt_id", body.follow_up_attempt_id, site_id
        )
        if ro_id is not None and ro_id != attempt.repair_order_id:
            raise Invalid("repair_order_id differs from the follow-up attempt's repair order", field="repair_order_id")
        ro_id = attempt.repair_order_id
    ro = await store.referenced(session, RepairOrder, "repair_order_id", ro_id, site_id) if ro_id else None
    complaint = Complaint(
        id=str(uuid.uuid4()),
        site_id=site_id,
        repair_order_id=ro_id,
        follow_up_attempt_id=body.follow_up_attempt_id,
        customer_id=ro.customer_id if ro else None,
        category=body.category.value,
        severity=body.severity.value,
        owner=body.owner,
        description=body.description,
        status=ComplaintStatus.OPEN.value,
        opened_at=at,
        opened_by=by,
    )
    session.add(complaint)
    await uow.publish(
        ComplaintOpened(
            site_id=site_id,
            occurred_at=at,
            complaint_id=complaint.id,
            repair_order_id=ro_id,
            follow_up_attempt_id=body.follow_up_attempt_id,
            advisor=ro.advisor if ro else None,
            category=complaint.category,
            severity=complaint.severity,
            owner=complaint.owner,
            description=complaint.description,
        )
    )
    return complaint


def _require_open(complaint: Complaint, at: datetime) -> None:
    rules.require_complaint_open(ComplaintStatus(complaint.status), complaint.id)
    if at < complaint.opened_at:
        raise Invalid(
            f"occurred_at is before the complaint was opened ({complaint.opened_at.isoformat()})", field="occurred_at"
        )


async def _act(
    uow: UnitOfWork, complaint: Complaint, action: str, at: datetime, by: str, comeback_ro: str | None = None
) -> None:
    _require_open(complaint, at)
    uow.session.add(ComplaintAction(complaint_id=complaint.id, at=at, by=by, action=action))
    complaint.version += 1
    await uow.publish(
        ComplaintActionRecorded(
            site_id=complaint.site_id,
            occurred_at=at,
            complaint_id=complaint.id,
            action=action,
            by=by,
            comeback_repair_order_id=comeback_ro,
        )
    )


async def record_action(uow: UnitOfWork, complaint: Complaint, action: str, at: datetime, by: str) -> None:
    """Note what was done about an open complaint."""
    await _act(uow, complaint, action, at, by)


async def open_comeback(uow: UnitOfWork, complaint: Complaint, body: ComplaintComeback, at: datetime, by: str) -> None:
    """Flag the vehicle's new RO as a comeback of the complained-about RO (the advisor's comeback flag)."""
    if complaint.repair_order_id is None:
        raise Invalid("the complaint names no repair order to come back from", field="repair_order_id")
    rules.require_complaint_open(ComplaintStatus(complaint.status), complaint.id)
    new_ro = await store.referenced(
        uow.session, RepairOrder, "repair_order_id", body.repair_order_id, complaint.site_id
    )
    earlier = await uow.session.get(RepairOrder, complaint.repair_order_id)
    assert earlier is not None
    if new_ro.opened_at <= earlier.opened_at:
        raise Invalid("repair_order_id must be an RO opened after the complained-about one", field="repair_order_id")
    reason = body.reason or f"complaint {complaint.id} ({complaint.category}) about RO {earlier.ro_number}"
    await repair_orders.set_comeback(
        uow, new_ro, ComebackUpdate(is_comeback=True, comeback_of=earlier.id, reason=reason), at
    )
    complaint.comeback_repair_order_id = new_ro.id
    await _act(uow, complaint, f"comeback RO {new_ro.ro_number} opened", at, by, comeback_ro=new_ro.id)


async def resolve(uow: UnitOfWork, complaint: Complaint, outcome: str, at: datetime) -> None:
    """Close an open complaint with its outcome."""
    _require_open(complaint, at)
    ro = await uow.session.get(RepairOrder, complaint.repair_order_id) if complaint.repair_order_id else None
    complaint.status, complaint.resolved_at, complaint.outcome = ComplaintStatus.RESOLVED.value, at, outcome
    complaint.version += 1
    await uow.publish(
        ComplaintResolved(
            site_id=complaint.site_id,
            occurred_at=at,
            complaint_id=complaint.id,
            outcome=outcome,
            opened_at=complaint.opened_at,
            repair_order_id=complaint.repair_order_id,
            advisor=ro.advisor if ro else None,
        )
    )

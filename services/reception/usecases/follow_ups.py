"""Follow-up contacts after delivery: the due list, attempts and their results (FollowUpRecorded)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters import store
from services.reception.adapters.queries import paged
from services.reception.adapters.tables import Customer, FollowUp, FollowUpAttempt, RepairOrder, Site
from services.reception.api.schemas.follow_ups import AttemptCreate, AttemptRead, AttemptResult, FollowUpRead
from services.reception.domain import follow_up as rules
from services.reception.domain.follow_up import AttemptStatus, FollowUpStatus
from services.reception.domain.repair_order import RoState
from shared.contracts.reception import FollowUpChannel, FollowUpRecorded
from shared.errors import Conflict, IllegalTransition, Invalid
from shared.http import Page, PageParams
from shared.uow import UnitOfWork


def attempt_read(attempt: FollowUpAttempt) -> AttemptRead:
    """An attempt as the API shows it."""
    return AttemptRead.model_validate(attempt, from_attributes=True)


async def attempts_of(session: AsyncSession, repair_order_id: str) -> list[FollowUpAttempt]:
    """The RO's follow-up attempts, first first."""
    rows = await session.exec(
        select(FollowUpAttempt)
        .where(FollowUpAttempt.repair_order_id == repair_order_id)
        .order_by(col(FollowUpAttempt.number))
    )
    return list(rows.all())


async def follow_up_read(session: AsyncSession, site: Site, ro: RepairOrder, day: date) -> FollowUpRead:
    """One RO's follow-up as listed on `day` (site-local)."""
    vehicle, customer = await store.vehicle_and_customer(session, ro)
    assert ro.delivered_at is not None
    record = (await session.exec(select(FollowUp).where(FollowUp.repair_order_id == ro.id))).first()
    due = rules.due_day(ro.delivered_at, site.time_zone, site.follow_up_due_days)
    return FollowUpRead(
        repair_order_id=ro.id,
        ro_number=ro.ro_number,
        site_id=ro.site_id,
        advisor=ro.advisor,
        customer_id=customer.id,
        customer_name=customer.name,
        customer_phone=customer.phone,
        plate=vehicle.plate,
        delivered_at=ro.delivered_at,
        due_day=due,
        overdue=due < day,
        status=record.status if record else FollowUpStatus.DUE.value,
        attempts=[attempt_read(a) for a in await attempts_of(session, ro.id)],
    )


async def due_list(
    session: AsyncSession, site: Site, day: date, lookback_days: int, page: PageParams
) -> Page[FollowUpRead]:
    """Delivered ROs whose follow-up is due on `day` or overdue and not closed, oldest delivery first.

    Customers who did not consent to be contacted never appear.
    """
    before = rules.delivered_before_for(day, site.time_zone, site.follow_up_due_days)
    closed = select(FollowUp.repair_order_id).where(
        FollowUp.site_id == site.site_id, FollowUp.status != FollowUpStatus.DUE.value
    )
    statement: Any = (
        select(RepairOrder)
        .join(Customer, col(Customer.id) == RepairOrder.customer_id)
        .where(
            RepairOrder.site_id == site.site_id,
            RepairOrder.state == RoState.DELIVERED.value,
            col(RepairOrder.delivered_at) < before,
            col(RepairOrder.delivered_at) >= before - timedelta(days=lookback_days),
            col(Customer.consent_contact).is_(True),
            col(RepairOrder.id).not_in(closed),
        )
        .order_by(col(RepairOrder.delivered_at), col(RepairOrder.id))
    )
    rows = await paged(session, statement, page, lambda ro: ro, RepairOrder)
    items = [await follow_up_read(session, site, ro, day) for ro in rows.items]
    return Page[FollowUpRead](items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


async def _contactable(session: AsyncSession, ro: RepairOrder) -> None:
    if ro.state != RoState.DELIVERED.value or ro.delivered_at is None:
        raise IllegalTransition(
            f"a follow-up needs a delivered repair order; RO {ro.ro_number} is {ro.state}",
            state=ro.state,
            allowed=[RoState.DELIVERED.value],
        )
    customer = await session.get(Customer, ro.customer_id)
    if customer is None or not customer.consent_contact:
        raise Conflict(f"the customer of RO {ro.ro_number} declined to be contacted (consent_contact is false)")


async def start_attempt(
    uow: UnitOfWork, ro: RepairOrder, body: AttemptCreate, at: datetime, by: str
) -> FollowUpAttempt:
    """Start an attempt on a delivered RO whose customer may be contacted (one open attempt at a time)."""
    session = uow.session
    await _contactable(session, ro)
    assert ro.delivered_at is not None
    if at < ro.delivered_at:
        raise Invalid(
            f"occurred_at is before the vehicle was delivered ({ro.delivered_at.isoformat()})", field="occurred_at"
        )
    record = (await session.exec(select(FollowUp).where(FollowUp.repair_order_id == ro.id).with_for_update())).first()
    if record is None:
        record = FollowUp(
            id=str(uuid.uuid4()), site_id=ro.site_id, repair_order_id=ro.id, status=FollowUpStatus.DUE.value
        )
        session.add(record)
    rules.require_follow_up_open(FollowUpStatus(record.status), record.open_attempt_id)
    record.attempts += 1
    record.version += 1
    attempt = FollowUpAttempt(
        id=str(uuid.uuid4()),
        follow_up_id=record.id,
        site_id=ro.site_id,
        repair_order_id=ro.id,
        number=record.attempts,
        channel=body.channel.value,
        status=AttemptStatus.OPEN.value,
        started_at=at,
        started_by=by,
        scores={},
        weak_items={},
    )
    record.open_attempt_id = attempt.id
    session.add(attempt)
    return attempt


async def record_result(
    uow: UnitOfWork,
    site: Site,
    attempt: FollowUpAttempt,
    body: AttemptResult,
    at: datetime,
    by: str,
    max_attempts: int,
) -> FollowUpAttempt:
    """Record what came of an attempt, once; publishes FollowUpRecorded."""
    session = uow.session
    rules.require_open_attempt(AttemptStatus(attempt.status), attempt.id)
    scores = body.scores.model_dump(exclude_none=True) if body.scores else {}
    weak = body.weak_items.model_dump(exclude_none=True) if body.weak_items else {}
    rules.check_answers(body.reached, scores, weak)
    if at < attempt.started_at:
        raise Invalid(
            f"occurred_at is before the attempt started ({attempt.started_at.isoformat()})", field="occurred_at"
        )
    ro = await session.get(RepairOrder, attempt.repair_order_id, with_for_update=True)
    record = await session.get(FollowUp, attempt.follow_up_id, with_for_update=True)
    assert ro is not None and record is not None and ro.delivered_at is not None
    attempt.status = (AttemptStatus.REACHED if body.reached else AttemptStatus.NOT_REACHED).value
    attempt.result_at, attempt.result_by = at, by
    attempt.scores, attempt.weak_items, attempt.comment = scores, weak, body.comment
    status = rules.after_result(body.reached, record.attempts, max_attempts)
    record.status, record.open_attempt_id, record.version = status.value, None, record.version + 1
    if status is not FollowUpStatus.DUE:
        record.closed_at = at
    await uow.publish(
        FollowUpRecorded(
            site_id=ro.site_id,
            occurred_at=at,
            repair_order_id=ro.id,
            attempt_id=attempt.id,
            attempt_number=attempt.number,
            channel=FollowUpChannel(attempt.channel),
            reached=body.reached,
            advisor=ro.advisor,
            delivered_at=ro.delivered_at,
            due_at=rules.due_end(ro.delivered_at, site.time_zone, site.follow_up_due_days),
            scores=scores,
            weak_items=weak,
            comment=body.comment,
            contacted_by=by,
            closes_follow_up=status is not FollowUpStatus.DUE,
        )
    )
    return attempt

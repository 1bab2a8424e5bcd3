"""Opening an RO, writing its job lines, getting them approved, cancelling, comebacks."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.reception.adapters import store
from services.reception.adapters.tables import Customer, JobLine, RepairOrder, Site, Vehicle, Visit
from services.reception.api.schemas.repair_orders import (
    ApprovalRequest,
    ComebackUpdate,
    Decision,
    JobLineCreate,
    JobLineIn,
    JobLinePatch,
    RepairOrderCreate,
    RepairOrderPatch,
)
from services.reception.domain.repair_order import (
    LineStatus,
    RoAction,
    RoState,
    allowed_actions,
    default_pay_type,
    require_line,
)
from services.reception.usecases.lifecycle import (
    contract_line,
    detect_comeback,
    facts,
    find_comeback,
    require_step,
    settle_ro,
)
from services.reception.usecases.visits import RO_OPENED, WAITING
from shared.contracts.reception import (
    ApprovalRequested,
    ComebackFlagged,
    ComebackUnflagged,
    JobLineAdded,
    JobLineApproved,
    JobLineChanged,
    JobLineDeclined,
    JobLineRemoved,
    RepairOrderCancelled,
    RepairOrderOpened,
    RoType,
)
from shared.errors import Conflict, IllegalTransition, Invalid
from shared.problems import not_found
from shared.uow import UnitOfWork

_LINE_FIELDS = (
    "op_code",
    "description",
    "complaint",
    "pay_type",
    "sold_hours",
    "labour_rate",
    "required_skill",
    "campaign_number",
    "parts_estimate",
)


def _new_line(site: Site, ro: RepairOrder, body: JobLineIn | JobLineCreate) -> JobLine:
    line = JobLine(
        id=str(uuid.uuid4()),
        repair_order_id=ro.id,
        site_id=ro.site_id,
        position=ro.next_line_position,
        status=LineStatus.DRAFT.value,
        op_code=body.op_code.upper(),
        description=body.description,
        complaint=body.complaint,
        pay_type=(body.pay_type or default_pay_type(RoType(ro.ro_type))).value,
        sold_hours=body.sold_hours,
        labour_rate=site.labour_rate if body.labour_rate is None else body.labour_rate,
        required_skill=body.required_skill,
        campaign_number=body.campaign_number,
        parts_estimate=body.parts_estimate,
    )
    ro.next_line_position += 1
    return line


def _line(lines: list[JobLine], line_id: str) -> JobLine:
    for line in lines:
        if line.id == line_id:
            return line
    raise not_found("job line", line_id)


async def open_repair_order(
    uow: UnitOfWork, site: Site, body: RepairOrderCreate, at: datetime, advisor: str
) -> tuple[RepairOrder, list[JobLine]]:
    """Open the RO of a waiting arrival, with its first job lines; numbers run per site."""
    visit = await store.referenced(uow.session, Visit, "visit_id", body.visit_id, site.site_id)
    if visit.status != WAITING:
        raise Conflict(
            f"visit {visit.id} already has repair order {visit.repair_order_id}", repair_order_id=visit.repair_order_id
        )
    customer_id = body.customer_id or visit.customer_id
    if customer_id is None:
        raise Invalid("customer_id is required: the arrival names no customer", field="customer_id")
    await store.referenced(uow.session, Customer, "customer_id", customer_id, site.site_id)
    vehicle = await store.referenced(uow.session, Vehicle, "vehicle_id", visit.vehicle_id, site.site_id)
    if at < visit.arrived_at:
        raise Invalid(f"occurred_at is before the vehicle arrived ({visit.arrived_at.isoformat()})")
    if body.promised_at is not None and body.promised_at < visit.arrived_at:
        raise Invalid("promised_at is before the vehicle arrived", field="promised_at")
    number = site.next_ro_number
    site.next_ro_number += 1
    ro = RepairOrder(
        id=str(uuid.uuid4()),
        site_id=site.site_id,
        ro_number=f"RO-{number:06d}",
        ro_seq=number,
        visit_id=visit.id,
        vehicle_id=vehicle.id,
        customer_id=customer_id,
        advisor=advisor,
        ro_type=body.ro_type.value,
        state=RoState.OPEN.value,
        mileage_in=body.mileage_in,
        arrived_at=visit.arrived_at,
        opened_at=at,
        promised_at=body.promised_at,
        recall_status=visit.recall_status,
        recall_campaigns=list(visit.recall_campaigns),
    )
    lines = [_new_line(site, ro, line) for line in body.job_lines]
    visit.status, visit.repair_order_id = RO_OPENED, ro.id
    vehicle.mileage = max(vehicle.mileage, body.mileage_in)
    if visit.customer_id is None:
        visit.customer_id = customer_id
    found = await find_comeback(uow, site, ro, lines)
    if found is not None:
        ro.is_comeback, (ro.comeback_of, ro.comeback_reason) = True, found
    uow.session.add(ro)
    uow.session.add_all(lines)
    await uow.publish(
        RepairOrderOpened(
            site_id=site.site_id,
            occurred_at=at,
            repair_order_id=ro.id,
            ro_number=ro.ro_number,
            visit_id=visit.id,
            vehicle_id=vehicle.id,
            customer_id=customer_id,
            vin=vehicle.vin,
            advisor=advisor,
            ro_type=body.ro_type,
            mileage_in=body.mileage_in,
            arrived_at=visit.arrived_at,
            promised_at=body.promised_at,
            is_comeback=ro.is_comeback,
            comeback_of=ro.comeback_of,
            job_lines=[contract_line(line) for line in lines],
        )
    )
    if ro.is_comeback:
        await uow.publish(
            ComebackFlagged(
                site_id=site.site_id,
                occurred_at=at,
                repair_order_id=ro.id,
                comeback_of=ro.comeback_of,
                reason=ro.comeback_reason,
                automatic=True,
            )
        )
    return ro, lines


async def change_details(uow: UnitOfWork, ro: RepairOrder, body: RepairOrderPatch) -> None:
    """Change the promised time or the RO type before invoice (the events that follow carry them)."""
    await require_step(uow.session, ro, RoAction.CHANGE_DETAILS)
    values: dict[str, object] = {}
    if body.promised_at is not None:
        if body.promised_at < ro.arrived_at:
            raise Invalid("promised_at is before the vehicle arrived", field="promised_at")
        values["promised_at"] = body.promised_at
    if body.ro_type is not None:
        values["ro_type"] = body.ro_type.value
    if store.changed(ro, values):
        ro.version += 1


async def add_line(uow: UnitOfWork, site: Site, ro: RepairOrder, body: JobLineCreate, at: datetime) -> None:
    """Add a draft job line."""
    lines = await require_step(uow.session, ro, RoAction.ADD_LINE)
    line = _new_line(site, ro, body)
    uow.session.add(line)
    lines.append(line)
    await uow.publish(JobLineAdded(site_id=ro.site_id, occurred_at=at, repair_order_id=ro.id, line=contract_line(line)))
    await detect_comeback(uow, site, ro, lines, at)
    await settle_ro(uow, ro, lines, at)
    ro.version += 1


async def change_line(
    uow: UnitOfWork, site: Site, ro: RepairOrder, line_id: str, body: JobLinePatch, at: datetime
) -> None:
    """Change a line; an approved line may still be restated until the RO is invoiced."""
    lines = await require_step(uow.session, ro, RoAction.CHANGE_LINE)
    line = _line(lines, line_id)
    require_line(facts(line), RoAction.CHANGE_LINE, line.id)
    values = {key: getattr(body, key) for key in _LINE_FIELDS if key in body.model_fields_set}
    if values.get("op_code"):
        values["op_code"] = values["op_code"].upper()
    if "pay_type" in values and values["pay_type"] is not None:
        values["pay_type"] = values["pay_type"].value
    required = ("op_code", "description", "pay_type", "sold_hours", "labour_rate", "parts_estimate", "complaint")
    values = {k: v for k, v in values.items() if v is not None or k not in required}
    if not store.changed(line, values):
        return
    await uow.publish(
        JobLineChanged(site_id=ro.site_id, occurred_at=at, repair_order_id=ro.id, line=contract_line(line))
    )
    await detect_comeback(uow, site, ro, lines, at)
    ro.version += 1


async def remove_line(uow: UnitOfWork, ro: RepairOrder, line_id: str, at: datetime) -> None:
    """Remove a line the workshop has not started."""
    lines = await require_step(uow.session, ro, RoAction.REMOVE_LINE)
    line = _line(lines, line_id)
    require_line(facts(line), RoAction.REMOVE_LINE, line.id)
    await uow.session.delete(line)
    lines.remove(line)
    await uow.publish(JobLineRemoved(site_id=ro.site_id, occurred_at=at, repair_order_id=ro.id, job_line_id=line.id))
    await settle_ro(uow, ro, lines, at)
    ro.version += 1


async def request_approval(uow: UnitOfWork, ro: RepairOrder, body: ApprovalRequest, at: datetime) -> None:
    """Put draft lines to the customer: the approval wait starts."""
    lines = await require_step(uow.session, ro, RoAction.REQUEST_APPROVAL)
    if body.job_line_ids is None:
        chosen = [line for line in lines if line.status == LineStatus.DRAFT.value]
        if not chosen:  # only declined lines are left: they go to the customer again when named
            raise IllegalTransition(
                "there is no draft line to put to the customer; name the declined lines to put again in job_line_ids",
                state=ro.state,
                allowed=allowed_actions(RoState(ro.state), [facts(line) for line in lines]),
            )
    else:
        chosen = [_line(lines, line_id) for line_id in dict.fromkeys(body.job_line_ids)]
    for line in chosen:
        require_line(facts(line), RoAction.REQUEST_APPROVAL, line.id)
        line.status, line.proposed_at, line.decline_reason = LineStatus.PROPOSED.value, at, ""
    await uow.publish(
        ApprovalRequested(
            site_id=ro.site_id, occurred_at=at, repair_order_id=ro.id, job_line_ids=[c.id for c in chosen]
        )
    )
    await settle_ro(uow, ro, lines, at)
    ro.version += 1


async def decide(
    uow: UnitOfWork, ro: RepairOrder, line_id: str, body: Decision, approve: bool, at: datetime, recorded_by: str
) -> None:
    """The customer approves or declines one proposed line."""
    action = RoAction.APPROVE_LINE if approve else RoAction.DECLINE_LINE
    lines = await require_step(uow.session, ro, action)
    line = _line(lines, line_id)
    require_line(facts(line), action, line.id)
    if line.proposed_at is not None and at < line.proposed_at:
        raise Invalid(f"occurred_at is before the line was put to the customer ({line.proposed_at.isoformat()})")
    line.status = (LineStatus.APPROVED if approve else LineStatus.DECLINED).value
    line.decided_at, line.decided_by, line.decision_method, line.decision_recorded_by = (
        at,
        body.by,
        body.method.value,
        recorded_by,
    )
    if approve:
        await uow.publish(
            JobLineApproved(
                site_id=ro.site_id,
                occurred_at=at,
                repair_order_id=ro.id,
                job_line_id=line.id,
                line=contract_line(line),
                by=body.by,
                method=body.method,
            )
        )
    else:
        line.decline_reason = body.reason
        await uow.publish(
            JobLineDeclined(
                site_id=ro.site_id,
                occurred_at=at,
                repair_order_id=ro.id,
                job_line_id=line.id,
                by=body.by,
                method=body.method,
            )
        )
    await settle_ro(uow, ro, lines, at)
    ro.version += 1


async def cancel(uow: UnitOfWork, ro: RepairOrder, reason: str, at: datetime) -> None:
    """Cancel an RO before it is ready (the workshop stops any running clock)."""
    await require_step(uow.session, ro, RoAction.CANCEL)
    ro.state, ro.cancelled_at, ro.cancel_reason = RoState.CANCELLED.value, at, reason
    await uow.publish(RepairOrderCancelled(site_id=ro.site_id, occurred_at=at, repair_order_id=ro.id, reason=reason))
    ro.version += 1


async def set_comeback(uow: UnitOfWork, ro: RepairOrder, body: ComebackUpdate, at: datetime) -> None:
    """The advisor flags or unflags the RO as a comeback, with a reason; the rule no longer overrides it."""
    await require_step(uow.session, ro, RoAction.FLAG_COMEBACK)
    if body.comeback_of is not None:
        earlier = await store.referenced(uow.session, RepairOrder, "comeback_of", body.comeback_of, ro.site_id)
        if earlier.vehicle_id != ro.vehicle_id or earlier.id == ro.id:
            raise Invalid("comeback_of must be an earlier repair order of the same vehicle", field="comeback_of")
    ro.comeback_set_by_hand = True
    if body.is_comeback:
        if (
            ro.is_comeback
            and ro.comeback_of == (body.comeback_of or ro.comeback_of)
            and ro.comeback_reason == body.reason
        ):
            return
        ro.is_comeback, ro.comeback_of, ro.comeback_reason = True, body.comeback_of or ro.comeback_of, body.reason
        await uow.publish(
            ComebackFlagged(
                site_id=ro.site_id,
                occurred_at=at,
                repair_order_id=ro.id,
                comeback_of=ro.comeback_of,
                reason=body.reason,
                automatic=False,
            )
        )
    else:
        if not ro.is_comeback:
            return
        ro.is_comeback, ro.comeback_of, ro.comeback_reason = False, None, body.reason
        await uow.publish(
            ComebackUnflagged(site_id=ro.site_id, occurred_at=at, repair_order_id=ro.id, reason=body.reason)
        )
    ro.version += 1

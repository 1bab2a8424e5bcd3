"""The warranty clerk's use cases: claims drafted at invoice, corrected, submitted (queued) and closed."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select

from services.reception.adapters import store
from services.reception.adapters.tables import RepairOrder, Site, Vehicle
from services.reception.domain import money
from services.reception.domain.repair_order import LineStatus, default_pay_type
from services.reception.usecases.sites import schedule_of
from services.reception.warranty import clock
from services.reception.warranty.domain.correction import PartLine, corrected
from services.reception.warranty.domain.drafting import InvoicedRepair, WarrantyLine, WarrantyPart, drafts
from services.reception.warranty.domain.lifecycle import EDITABLE, ClaimAction, require
from services.reception.warranty.domain.rules import ClaimContent, OemRules, Sublet, TimeCard, problems
from services.reception.warranty.oem import claim_document, serialise
from services.reception.warranty.profile import OemProfile
from services.reception.warranty.records import content_columns, content_of, event
from services.reception.warranty.tables import WarrantyClaim, WarrantySubmission
from shared.clock import utcnow
from shared.contracts.reception import PayType, RoType
from shared.contracts.warranty import (
    ClaimClosed,
    ClaimCorrected,
    ClaimDrafted,
    ClaimProblem,
    ClaimStatus,
    ClaimValidated,
)
from shared.errors import Conflict, Invalid
from shared.uow import UnitOfWork


def rules_of(profile: OemProfile) -> OemRules:
    """The OEM rules checked on our side."""
    return OemRules(profile.submission_deadline_days, profile.authorisation_required_above, profile.causal_part_waiver)


def today_at(site: Site) -> date:
    """The site's calendar day now."""
    return schedule_of(site).local_day(utcnow())


def current_problems(site: Site, profile: OemProfile, claim: WarrantyClaim) -> list[ClaimProblem]:
    """What stops the claim now (a deadline passes while it waits)."""
    return problems(content_of(claim), rules_of(profile), today_at(site))


async def draft_for_invoice(
    uow: UnitOfWork, profile: OemProfile, site: Site, ro: RepairOrder, sublets: list[Sublet], at: datetime
) -> list[WarrantyClaim]:
    """Draft the claims of an RO invoiced with warranty work (validated at once when nothing is missing)."""
    lines = await store.lines_of(uow.session, ro.id)
    warranty = [x for x in lines if x.status == LineStatus.APPROVED.value and x.pay_type == PayType.WARRANTY.value]
    if not warranty:
        return []
    vehicle = await uow.session.get(Vehicle, ro.vehicle_id)
    assert vehicle is not None
    parts = money.parts_lines(
        (
            money.PartsMovement(m.part_number, m.quantity, m.unit_cost, m.unit_price, m.job_line_id)
            for m in await store.movements_of(uow.session, ro.id)
        ),
        {x.id: PayType(x.pay_type) for x in lines},
        default_pay_type(RoType(ro.ro_type)),
    )
    schedule = schedule_of(site)
    repair = InvoicedRepair(
        dealer_code=profile.dealer_code,
        vin=vehicle.vin,
        ro_number=ro.ro_number,
        mileage_in=ro.mileage_in,
        mileage_out=ro.mileage_out,
        opened_on=schedule.local_day(ro.opened_at),
        closed_on=schedule.local_day(at),
        arrived_on=schedule.local_day(ro.arrived_at),
        lines=[
            WarrantyLine(x.id, x.op_code, x.description, x.complaint, x.sold_hours, x.labour_rate, x.campaign_number)
            for x in warranty
        ],
        parts=[
            WarrantyPart(p.part_number, p.job_line_id, p.quantity, p.unit_price)
            for p in parts
            if p.pay_type is PayType.WARRANTY
        ],
        sublets=sublets,
        hours=await clock.hours(uow.session, ro.site_id, [x.id for x in warranty]),
    )
    drafted = []
    for content in drafts(repair, profile.claim_per):
        claim = WarrantyClaim(
            id=str(uuid.uuid4()),
            site_id=ro.site_id,
            repair_order_id=ro.id,
            group_key=content.labour[0].job_line_id,
            job_line_ids=[op.job_line_id for op in content.labour],
            status=ClaimStatus.DRAFT.value,
            currency=profile.currency,
            repaired_at=ro.ready_at or at,
            problems=[],
            created_at=at,
            updated_at=at,
            **content_columns(content),
        )
        found = problems(content, rules_of(profile), today_at(site))
        claim.problems = [p.model_dump() for p in found]
        uow.session.add(claim)
        await uow.publish(
            event(
                ClaimDrafted,
                claim,
                occurred_at=at,
                vin=claim.vin,
                labour_op_code=content.labour[0].op_code,
                sold_hours=content.sold_hours,
                actual_hours=content.actual_hours,
                problems=found,
            )
        )
        if not found:
            claim.status = ClaimStatus.VALIDATED.value
            await uow.publish(event(ClaimValidated, claim, occurred_at=at))
            if profile.auto_submit and profile.connected:
                await enqueue(uow, claim, content)
        drafted.append(claim)
    return drafted


async def _with_current_hours(uow: UnitOfWork, claim: WarrantyClaim, content: ClaimContent) -> ClaimContent:
    """The content with the hours the workshop's clock gives now (a foreman may have corrected a clocking)."""
    hours = await clock.hours(uow.session, claim.site_id, list(claim.job_line_ids))
    labour = [
        dataclasses.replace(op, actual_hours=sum(hours.get(op.job_line_id, {}).values(), Decimal("0")))
        for op in content.labour
    ]
    cards = [TimeCard(t, op.job_line_id, h) for op in content.labour for t, h in hours.get(op.job_line_id, {}).items()]
    return dataclasses.replace(content, labour=labour, time_cards=cards)


async def _revise(
    uow: UnitOfWork, site: Site, profile: OemProfile, claim: WarrantyClaim, content: ClaimContent, at: datetime
) -> None:
    """Store changed content: a draft when something is missing, else validated; ClaimCorrected (and ClaimValidated)."""
    before = content_of(claim)
    if content == before:
        return
    changed = [f.name for f in dataclasses.fields(content) if getattr(content, f.name) != getattr(before, f.name)]
    found = problems(content, rules_of(profile), today_at(site))
    was = claim.status
    for key, value in content_columns(content).items():
        setattr(claim, key, value)
    claim.problems = [p.model_dump() for p in found]
    claim.status = (ClaimStatus.DRAFT if found else ClaimStatus.VALIDATED).value
    claim.version += 1
    claim.updated_at = at
    await uow.publish(event(ClaimCorrected, claim, occurred_at=at, changed_fields=changed, problems=found))
    if not found and was != ClaimStatus.VALIDATED.value:
        await uow.publish(event(ClaimValidated, claim, occurred_at=at))


async def correct(
    uow: UnitOfWork, site: Site, profile: OemProfile, claim: WarrantyClaim, changes: dict[str, Any], at: datetime
) -> None:
    """The clerk corrects the claim (a returned claim goes back to draft or validated); 422 naming a contradiction."""
    require(ClaimStatus(claim.status), ClaimAction.CORRECT, claim.pending_submission_id is not None)
    changes = dict(changes)
    if "parts" in changes:
        changes["parts"] = [PartLine(**line) for line in changes["parts"]]
    if "sublet" in changes:
        changes["sublet"] = [Sublet(**line) for line in changes["sublet"]]
    content = corrected(content_of(claim), changes, rules_of(profile))
    await _revise(uow, site, profile, claim, await _with_current_hours(uow, claim, content), at)


async def vehicle_delivered(uow: UnitOfWork, site: Site, profile: OemProfile, ro: RepairOrder, at: datetime) -> None:
    """The mileage out reaches the RO's claims that still lack it."""
    claims = (
        await uow.session.exec(select(WarrantyClaim).where(WarrantyClaim.repair_order_id == ro.id).with_for_update())
    ).all()
    for claim in claims:
        if ClaimStatus(claim.status) in EDITABLE and claim.pending_submission_id is None and claim.mileage_out is None:
            content = dataclasses.replace(content_of(claim), mileage_out=ro.mileage_out)
            await _revise(uow, site, profile, claim, content, at)
            if (
                claim.status == ClaimStatus.VALIDATED.value
                and claim.submission == 0
                and profile.auto_submit
                and profile.connected
            ):
                await enqueue(uow, claim, content)


async def enqueue(uow: UnitOfWork, claim: WarrantyClaim, content: ClaimContent) -> WarrantySubmission:
    """Put the claim's document in the durable submission queue (the worker sends it)."""
    payload, digest = serialise(claim_document(claim.id, claim.currency, content))
    now = utcnow()
    row = WarrantySubmission(
        claim_id=claim.id, site_id=claim.site_id, payload=payload, payload_hash=digest, enqueued_at=now, due_at=now
    )
    uow.session.add(row)
    await uow.session.flush()
    claim.pending_submission_id = row.id
    return row


async def submit(uow: UnitOfWork, site: Site, profile: OemProfile, claim: WarrantyClaim, at: datetime) -> None:
    """Validate and queue the claim for the OEM; 422 naming every problem (nothing saved) when it is not ready."""
    require(ClaimStatus(claim.status), ClaimAction.SUBMIT, claim.pending_submission_id is not None)
    if not profile.connected:
        raise Conflict(f"site {site.site_id!r} has no OEM endpoint configured (oem_base_url)")
    content = await _with_current_hours(uow, claim, content_of(claim))
    found = problems(content, rules_of(profile), today_at(site))
    if found:
        raise Invalid(
            "the claim cannot be submitted: " + "; ".join(p.message for p in found),
            problems=[p.model_dump() for p in found],
        )
    _, digest = serialise(claim_document(claim.id, claim.currency, content))
    if digest == claim.last_payload_hash:
        raise Invalid(
            "nothing was corrected since the OEM last answered this claim; correct it before submitting again"
        )
    await _revise(uow, site, profile, claim, content, at)
    if claim.status == ClaimStatus.DRAFT.value:
        claim.status, claim.problems = ClaimStatus.VALIDATED.value, []
        await uow.publish(event(ClaimValidated, claim, occurred_at=at))
    await enqueue(uow, claim, content)
    claim.version += 1
    claim.updated_at = at


async def close(uow: UnitOfWork, claim: WarrantyClaim, reason: str, at: datetime) -> None:
    """Close a settled claim (paid, debited, rejected), or abandon one never taken in."""
    closed_from = ClaimStatus(claim.status)
    require(closed_from, ClaimAction.CLOSE, claim.pending_submission_id is not None)
    claim.status, claim.closed_at, claim.close_reason = ClaimStatus.CLOSED.value, at, reason
    claim.version += 1
    claim.updated_at = at
    await uow.publish(event(ClaimClosed, claim, occurred_at=at, closed_from=closed_from, reason=reason))

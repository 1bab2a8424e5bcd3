"""Claim rows into the clerk's read models, and the claim list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters.queries import paged
from services.reception.adapters.tables import Site
from services.reception.warranty.claims import current_problems
from services.reception.warranty.domain.lifecycle import EDITABLE, allowed_actions
from services.reception.warranty.domain.rules import money
from services.reception.warranty.profile import OemProfile
from services.reception.warranty.records import content_of, problems_of
from services.reception.warranty.schemas import (
    AmountsRead,
    ClaimRead,
    ClaimSummary,
    LabourRead,
    PartRead,
    SubletRead,
    SubmissionRead,
    TimeCardRead,
)
from services.reception.warranty.tables import WarrantyClaim, WarrantySubmission
from shared.contracts.warranty import ClaimProblem, ClaimStatus
from shared.http import Page, PageParams, etag


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else money(value)


def claim_etag(claim: WarrantyClaim) -> str:
    """The claim's current ETag."""
    return etag("warranty-claim", claim.id, claim.version)


def problems_now(site: Site, profile: OemProfile, claim: WarrantyClaim) -> list[ClaimProblem]:
    """Recorded problems (the OEM's at intake, or ours) and ours as of now, once each."""
    if ClaimStatus(claim.status) not in EDITABLE:
        return []
    found = {(p.field, p.code): p for p in problems_of(claim)}
    for p in current_problems(site, profile, claim):
        found.setdefault((p.field, p.code), p)
    return list(found.values())


def claim_summary(claim: WarrantyClaim, problems: list[ClaimProblem]) -> ClaimSummary:
    """A claim in a list."""
    return ClaimSummary(
        id=claim.id,
        site_id=claim.site_id,
        repair_order_id=claim.repair_order_id,
        ro_number=claim.ro_number,
        vin=claim.vin,
        status=ClaimStatus(claim.status),
        labour_op_code=claim.labour[0]["op_code"],
        campaign_number=claim.campaign_number,
        currency=claim.currency,
        claimed_amount=money(claim.claimed_amount),
        approved_amount=_cents(claim.approved_amount),
        paid_amount=_cents(claim.paid_amount),
        debited_amount=_cents(claim.debited_amount),
        repaired_at=claim.repaired_at,
        submitted_at=claim.submitted_at,
        paid_at=claim.paid_at,
        problem_count=len(problems),
        version=claim.version,
    )


async def _last_submission(session: AsyncSession, claim: WarrantyClaim) -> WarrantySubmission | None:
    statement = (
        select(WarrantySubmission)
        .where(WarrantySubmission.claim_id == claim.id)
        .order_by(col(WarrantySubmission.id).desc())
    )
    return (await session.exec(statement.limit(1))).first()


async def claim_read(session: AsyncSession, site: Site, profile: OemProfile, claim: WarrantyClaim) -> ClaimRead:
    """A claim with everything the OEM gets, its problems and its submission."""
    content = content_of(claim)
    amounts = content.amounts()
    problems = problems_now(site, profile, claim)
    row = await _last_submission(session, claim)
    pending = claim.pending_submission_id is not None
    submission = (
        None
        if row is None
        else SubmissionRead(
            pending=pending and row.id == claim.pending_submission_id,
            enqueued_at=row.enqueued_at,
            attempts=row.attempts,
            next_attempt_at=row.due_at if row.finished_at is None else None,
            last_error=row.last_error,
            outcome=row.outcome,
        )
    )
    return ClaimRead(
        **claim_summary(claim, problems).model_dump(),
        job_line_ids=list(claim.job_line_ids),
        dealer_code=claim.dealer_code,
        mileage_in=claim.mileage_in,
        mileage_out=claim.mileage_out,
        repair_opened_on=claim.repair_opened_on,
        repair_closed_on=claim.repair_closed_on,
        failure_date=claim.failure_date,
        labour=[
            LabourRead(
                job_line_id=x.job_line_id,
                op_code=x.op_code,
                description=x.description,
                sold_hours=x.sold_hours,
                actual_hours=x.actual_hours,
            )
            for x in content.labour
        ],
        labour_rate=claim.labour_rate,
        sold_hours=content.sold_hours,
        actual_hours=content.actual_hours,
        time_cards=[
            TimeCardRead(technician_id=t.technician_id, job_line_id=t.job_line_id, hours=t.hours)
            for t in content.time_cards
        ],
        causal_part_number=claim.causal_part_number,
        causal_part_waived=claim.causal_part_waived,
        causal_part_waiver_reason=claim.causal_part_waiver_reason,
        complaint=claim.complaint,
        cause=claim.cause,
        correction=claim.correction,
        condition_code=claim.condition_code,
        defect_code=claim.defect_code,
        parts=[
            PartRead(
                part_number=p.part_number,
                quantity=p.quantity,
                unit_price=money(p.unit_price),
                amount=p.amount,
                causal=p.part_number == claim.causal_part_number,
            )
            for p in content.parts
        ],
        sublet=[
            SubletRead(description=s.description, amount=money(s.amount), invoice_ref=s.invoice_ref)
            for s in content.sublet
        ],
        authorisation_number=claim.authorisation_number,
        amounts=AmountsRead(labour=amounts.labour, parts=amounts.parts, sublet=amounts.sublet, total=amounts.total),
        problems=problems,
        oem_reference=claim.oem_reference,
        submission=claim.submission,
        submission_status=submission,
        reason_code=claim.reason_code,
        reason=claim.reason,
        payment_reference=claim.payment_reference,
        decided_at=claim.decided_at,
        closed_at=claim.closed_at,
        close_reason=claim.close_reason,
        allowed_actions=allowed_actions(ClaimStatus(claim.status), pending),
    )


async def list_claims(
    session: AsyncSession,
    site: Site,
    profile: OemProfile,
    page: PageParams,
    *,
    statuses: list[str],
    repair_order_id: str | None,
    vin: str | None,
    campaign: bool | None,
) -> Page[Any]:
    """The site's claims, newest first, filtered."""
    statement = select(WarrantyClaim).where(WarrantyClaim.site_id == site.site_id)
    if statuses:
        statement = statement.where(col(WarrantyClaim.status).in_(statuses))
    if repair_order_id:
        statement = statement.where(WarrantyClaim.repair_order_id == repair_order_id)
    if vin:
        statement = statement.where(WarrantyClaim.vin == vin.strip().upper())
    if campaign is not None:
        column = col(WarrantyClaim.campaign_number)
        statement = statement.where(column.is_not(None) if campaign else column.is_(None))
    statement = statement.order_by(col(WarrantyClaim.created_at).desc(), col(WarrantyClaim.id))
    return await paged(
        session, statement, page, lambda c: claim_summary(c, problems_now(site, profile, c)), ClaimSummary
    )

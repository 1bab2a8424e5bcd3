"""What the OEM says moves the claim: a submission taken in or refused, and status reports (webhook or poll)."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime

from pydantic import SecretStr

from services.reception.settings import ReceptionSettings
from services.reception.warranty.domain.lifecycle import OemView, oem_status, steps
from services.reception.warranty.oem import OemClaimStatus, OemReceipt, OemWebhook, Refused
from services.reception.warranty.records import event
from services.reception.warranty.tables import WarrantyClaim, WarrantySubmission, WarrantyWebhook
from shared.clock import utcnow
from shared.contracts.warranty import (
    ClaimAccepted,
    ClaimDebited,
    ClaimPaid,
    ClaimProblem,
    ClaimRejected,
    ClaimReturned,
    ClaimStatus,
    ClaimSubmissionRefused,
    ClaimSubmitted,
)
from shared.errors import Unauthenticated
from shared.uow import UnitOfWork

log = logging.getLogger("pitwall.reception.warranty")


def _finish(row: WarrantySubmission, outcome: str, error: str | None = None) -> None:
    if row.finished_at is None:
        row.finished_at, row.outcome, row.last_error = utcnow(), outcome, error


async def _pending_row(uow: UnitOfWork, claim: WarrantyClaim) -> WarrantySubmission | None:
    if claim.pending_submission_id is None:
        return None
    return await uow.session.get(WarrantySubmission, claim.pending_submission_id, with_for_update=True)


async def _submitted(uow: UnitOfWork, claim: WarrantyClaim, reference: str, submission: int, at: datetime) -> None:
    row = await _pending_row(uow, claim)
    if row is not None:
        _finish(row, "taken_in")
        claim.last_payload_hash = row.payload_hash
    claim.pending_submission_id = None
    claim.status, claim.submission, claim.oem_reference = ClaimStatus.SUBMITTED.value, submission, reference
    claim.submitted_at, claim.status_checked_at = at, utcnow()
    claim.problems, claim.reason_code, claim.reason = [], None, None
    claim.approved_amount = claim.paid_amount = None
    await uow.publish(event(ClaimSubmitted, claim, occurred_at=at, submission=submission, oem_reference=reference))


async def taken_in(uow: UnitOfWork, claim: WarrantyClaim, row: WarrantySubmission, receipt: OemReceipt) -> None:
    """The OEM answered 202 (a status webhook may have told us first)."""
    _finish(row, "taken_in")
    if receipt.submission <= claim.submission:
        if claim.pending_submission_id == row.id:
            claim.pending_submission_id = None
        return
    await _submitted(uow, claim, receipt.oem_reference, receipt.submission, receipt.received_at)
    claim.version += 1
    claim.updated_at = utcnow()


async def refused(uow: UnitOfWork, claim: WarrantyClaim, row: WarrantySubmission, answer: Refused) -> None:
    """A final 4xx: invalid content makes the claim a draft again with the OEM's reasons; other refusals wait for the clerk."""
    _finish(row, "refused", f"HTTP {answer.status_code}: {answer.detail}")
    if claim.pending_submission_id != row.id:
        return
    claim.pending_submission_id = None
    claim.version += 1
    claim.updated_at = utcnow()
    if answer.status_code == 422:
        found = answer.problems or [ClaimProblem(field="claim", code="refused_by_oem", message=answer.detail)]
        claim.status, claim.problems = ClaimStatus.DRAFT.value, [p.model_dump() for p in found]
        claim.last_payload_hash = row.payload_hash  # the same content would be refused again
        await uow.publish(event(ClaimSubmissionRefused, claim, occurred_at=utcnow(), problems=found))


async def apply_report(uow: UnitOfWork, claim: WarrantyClaim, report: OemClaimStatus) -> bool:
    """Apply the OEM's status, stepping through what a late or skipped report implies; whether anything changed."""
    claim.status_checked_at = utcnow()
    reported = oem_status(report.status)
    if reported is None:
        log.warning("claim %s: unknown OEM status %r ignored", claim.id, report.status)
        return False
    view = OemView(
        ClaimStatus(claim.status),
        claim.submission,
        claim.pending_submission_id is not None,
        claim.debited_amount is not None,
    )
    path = steps(view, reported, report.submission)
    at = report.updated_at
    for step in path:
        if step is ClaimStatus.SUBMITTED:
            await _submitted(uow, claim, report.oem_reference, report.submission, at)
            continue
        claim.status = step.value
        if step is ClaimStatus.ACCEPTED:
            claim.approved_amount, claim.decided_at = report.approved_amount, at
            await uow.publish(event(ClaimAccepted, claim, occurred_at=at, oem_reference=report.oem_reference))
        elif step in (ClaimStatus.REJECTED, ClaimStatus.RETURNED):
            claim.reason_code, claim.reason, claim.decided_at = report.reason_code, report.reason, at
            kind = ClaimRejected if step is ClaimStatus.REJECTED else ClaimReturned
            await uow.publish(event(kind, claim, occurred_at=at, reason_code=report.reason_code, reason=report.reason))
        elif step is ClaimStatus.PAID:
            claim.paid_amount, claim.payment_reference, claim.paid_at = report.paid_amount, report.payment_reference, at
            await uow.publish(event(ClaimPaid, claim, occurred_at=at, payment_reference=report.payment_reference))
        elif step is ClaimStatus.DEBITED:
            claim.debited_amount, claim.reason_code, claim.reason = (
                report.debited_amount,
                report.reason_code,
                report.reason,
            )
            await uow.publish(event(ClaimDebited, claim, occurred_at=at, reason=report.reason))
    if path:
        claim.version += 1
        claim.updated_at = utcnow()
    return bool(path)


def _same_secret(a: SecretStr, b: SecretStr) -> bool:
    return hmac.compare_digest(a.get_secret_value().encode(), b.get_secret_value().encode())


async def webhook(
    uow: UnitOfWork, settings: ReceptionSettings, msg_id: str, message: OemWebhook, signed_with: SecretStr
) -> str:
    """Apply a verified status webhook once per webhook id: `applied`, `no_change`, `duplicate` or `unknown_claim`."""
    if await uow.session.get(WarrantyWebhook, msg_id) is not None:
        return "duplicate"
    claim = await uow.session.get(WarrantyClaim, message.data.claim_id, with_for_update=True)
    outcome = "unknown_claim"
    if claim is not None:
        if not _same_secret(settings.oem_profile(claim.site_id).webhook_secret, signed_with):
            # signed by another site's OEM: it may not move this claim
            raise Unauthenticated(
                "the webhook is not signed with the secret of the claim's OEM", type_="/problems/webhook-signature"
            )
        outcome = "applied" if await apply_report(uow, claim, message.data) else "no_change"
    else:
        log.warning("webhook %s for unknown claim %s", msg_id, message.data.claim_id)
    uow.session.add(
        WarrantyWebhook(
            webhook_id=msg_id,
            claim_id=message.data.claim_id,
            type=message.type[:60],
            received_at=utcnow(),
            outcome=outcome,
        )
    )
    return outcome

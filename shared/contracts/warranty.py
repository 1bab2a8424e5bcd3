"""Events of warranty claims towards the car maker (OEM), published by the reception service on `pitwall.warranty.v1`.

Every event carries the claim's status after it and its amounts so far, so a projection keeps the latest
(by `ce_sequence` per claim) and never needs the earlier ones. Times: `repaired_at` is when the repair was
done (the RO became ready, else its invoice); `occurred_at` of ClaimSubmitted / ClaimPaid is when the OEM took the
claim in / paid it, so days from repair to submission and to payment are `occurred_at - repaired_at` (a claim
corrected and submitted again has a ClaimSubmitted per submission: `submission` 1 is the first). Rejections are
ClaimRejected; a returned claim is not rejected. Amounts are before tax, in `currency`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.contracts.base import Event

TOPIC = "pitwall.warranty.v1"


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    VALIDATED = "validated"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"  # returned for correction by the OEM
    REJECTED = "rejected"
    PAID = "paid"
    DEBITED = "debited"  # charged back after payment
    CLOSED = "closed"


class ClaimProblem(BaseModel):
    """One thing that stops a claim from being submitted: the field, a stable code and a sentence."""

    model_config = ConfigDict(frozen=True)

    field: str
    code: str
    message: str


class _Claim(Event):
    topic: ClassVar[str] = TOPIC
    aggregate: ClassVar[str] = "claim"

    claim_id: str
    repair_order_id: str
    ro_number: str
    job_line_ids: list[str]
    status: ClaimStatus
    repaired_at: datetime
    currency: str
    claimed_amount: Decimal
    approved_amount: Decimal | None = None
    paid_amount: Decimal | None = None
    debited_amount: Decimal | None = None
    campaign_number: str | None = None


class ClaimDrafted(_Claim):
    """The RO was invoiced with warranty work: a claim was drafted (with what it still lacks)."""

    type: ClassVar[str] = "pitwall.warranty.claim.drafted.v1"
    vin: str
    labour_op_code: str
    sold_hours: Decimal
    actual_hours: Decimal
    problems: list[ClaimProblem] = []


class ClaimCorrected(_Claim):
    """The clerk (or a later fact: delivery mileage, corrected clockings) changed the claim's content."""

    type: ClassVar[str] = "pitwall.warranty.claim.corrected.v1"
    changed_fields: list[str]
    problems: list[ClaimProblem] = []


class ClaimValidated(_Claim):
    """The claim has everything the OEM asks for."""

    type: ClassVar[str] = "pitwall.warranty.claim.validated.v1"


class ClaimSubmitted(_Claim):
    """The OEM took the claim in (`submission` 2, 3... after corrections)."""

    type: ClassVar[str] = "pitwall.warranty.claim.submitted.v1"
    submission: int
    oem_reference: str


class ClaimSubmissionRefused(_Claim):
    """The OEM refused the claim at intake (invalid): it is a draft again, with the OEM's reasons."""

    type: ClassVar[str] = "pitwall.warranty.claim.submission_refused.v1"
    problems: list[ClaimProblem] = []


class ClaimAccepted(_Claim):
    """The OEM accepted a warranty claim, with the approved amount and its reference."""

    type: ClassVar[str] = "pitwall.warranty.claim.accepted.v1"
    oem_reference: str


class ClaimReturned(_Claim):
    """Returned for correction: the clerk corrects and resubmits."""

    type: ClassVar[str] = "pitwall.warranty.claim.returned.v1"
    reason_code: str | None = None
    reason: str | None = None


class ClaimRejected(_Claim):
    """The OEM rejected a warranty claim, with its reason code."""

    type: ClassVar[str] = "pitwall.warranty.claim.rejected.v1"
    reason_code: str | None = None
    reason: str | None = None


class ClaimPaid(_Claim):
    """The OEM paid a warranty claim, with the amount and its payment reference."""

    type: ClassVar[str] = "pitwall.warranty.claim.paid.v1"
    payment_reference: str | None = None


class ClaimDebited(_Claim):
    """A chargeback of a paid claim (an OEM audit finding)."""

    type: ClassVar[str] = "pitwall.warranty.claim.debited.v1"
    reason: str | None = None


class ClaimClosed(_Claim):
    """The clerk closed the claim (`closed_from` is the status it was in: paid, debited, rejected, or abandoned before)."""

    type: ClassVar[str] = "pitwall.warranty.claim.closed.v1"
    closed_from: ClaimStatus
    reason: str = ""


EVENTS: tuple[type[Event], ...] = (
    ClaimDrafted,
    ClaimCorrected,
    ClaimValidated,
    ClaimSubmitted,
    ClaimSubmissionRefused,
    ClaimAccepted,
    ClaimReturned,
    ClaimRejected,
    ClaimPaid,
    ClaimDebited,
    ClaimClosed,
)

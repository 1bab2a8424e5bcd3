"""How warranty claim events become a claim's row: the latest by `ce_sequence`, first submission, decision, payment.

Every event states the claim's status and amounts after it, so the row takes those of the highest sequence seen (an
older event arriving late changes nothing); a late ClaimSubmitted, ClaimAccepted/Rejected or ClaimPaid still sets the
first submission (lowest `submission` number), the first decision or the first payment (earliest `occurred_at`).
Merges are commutative and idempotent (projection.rules), so duplicates and any arrival order give the same row.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from services.kpi.projection.rules import Patch
from services.kpi.projection.store import Changes
from services.kpi.warranty.tables import WarrantyClaimFact
from shared.contracts import warranty as w
from shared.contracts.base import Event


def paid_amount(e: w._Claim) -> Decimal:
    """What a payment paid: the amount paid, else the approved amount, else the amount claimed."""
    if e.paid_amount is not None:
        return e.paid_amount
    return e.approved_amount if e.approved_amount is not None else e.claimed_amount


def claim_patch(e: w._Claim, sequence: int) -> Patch:
    """What one claim event (with its `ce_sequence`) says about the claim's row."""
    state = {"status": e.status.value, "status_at": e.occurred_at, "repair_order_id": e.repair_order_id,
             "ro_number": e.ro_number, "currency": e.currency, "repaired_at": e.repaired_at,
             "claimed_amount": e.claimed_amount, "approved_amount": e.approved_amount, "paid_amount": e.paid_amount,
             "debited_amount": e.debited_amount}
    first: dict[str, Any] = {}
    if isinstance(e, w.ClaimSubmitted):
        first["first_submission"] = (e.submission, {"first_submitted_at": e.occurred_at,
                                                    "first_submitted_amount": e.claimed_amount})
    elif isinstance(e, w.ClaimAccepted | w.ClaimRejected):
        first["decided_at"] = (e.occurred_at, {"decision": "rejected" if isinstance(e, w.ClaimRejected) else "accepted"})
    elif isinstance(e, w.ClaimPaid):
        first["paid_at"] = (e.occurred_at, {"paid_at_amount": paid_amount(e)})
    # `sequence` orders like a time column: apply_patch keeps the values of the highest (ties: a fixed order).
    return Patch(latest={"sequence": (sequence, state)}, first=first)  # type: ignore[dict-item]


def claim_event(c: Changes, e: w._Claim, sequence: int = 0) -> None:
    """Merge one claim event into its claim's row (sequence 0: unknown, e.g. an event without `ce_sequence`)."""
    c.merge(WarrantyClaimFact, {"site_id": e.site_id, "claim_id": e.claim_id}, claim_patch(e, sequence))


def projections() -> dict[type[Event], Callable[..., None]]:
    """The entries to add to the kpi's projection map; each also takes the event's `ce_sequence`."""
    return {cls: claim_event for cls in w.EVENTS}

"""Warranty figures (pure): claims by status and receivable now; submissions, decisions and payments over a window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.kpi.figures.definitions import Definition
from services.kpi.figures.result import Value, ratio, value
from services.kpi.figures.window import Window
from shared.contracts.warranty import ClaimStatus

D = Definition
COUNT, RATIO, DAYS, MONEY = "count", "ratio", "days", "currency (before tax)"
DAY_SECONDS = 86400.0
RECEIVABLE = frozenset({ClaimStatus.SUBMITTED.value, ClaimStatus.ACCEPTED.value, ClaimStatus.RETURNED.value})

# Durations are computed in seconds (as on /metrics, `*_seconds`); REST shows them in days (`shown`).
DEFINITIONS: dict[str, Definition] = {
    "claims": D(COUNT, "claims by their current status, now (whatever the window)", "warranty_claims", state=True),
    "receivable": D(MONEY, "money still to come from the OEM now: claims submitted, accepted or returned, not yet paid — "
                           "the approved amount when known, else the amount claimed", "warranty_receivable", state=True),
    "claims_submitted": D(COUNT, "claims submitted for the first time in the window", None),
    "claimed_amount": D(MONEY, "amounts claimed at the first submission of the claims first submitted in the window",
                        "warranty_claimed"),
    "claims_decided": D(COUNT, "claims whose first decision (accepted or rejected) fell in the window", None),
    "claims_rejected": D(COUNT, "of those, claims whose first decision was a rejection", None),
    "rejection_rate": D(RATIO, "claims rejected in the window ÷ claims decided (accepted or rejected, first decision per "
                               "claim) in the window", "warranty_rejection_ratio"),
    "repair_to_submission_days": D(DAYS, "mean time from repair (repaired_at) to first submission, over the first "
                                         "submissions in the window", "warranty_repair_to_submission_seconds"),
    "claims_paid": D(COUNT, "claims paid in the window (first payment)", None),
    "paid_amount": D(MONEY, "amounts paid in the window (the amount paid, else approved, else claimed)", "warranty_paid"),
    "repair_to_payment_days": D(DAYS, "mean time from repair (repaired_at) to payment, over the payments in the window",
                                "warranty_repair_to_payment_seconds"),
}


@dataclass(frozen=True)
class Claim:
    """A claim as the figures see it (times in POSIX seconds)."""

    claim_id: str
    status: str | None
    repaired_at: float | None
    claimed_amount: Decimal | None
    approved_amount: Decimal | None
    first_submitted_at: float | None = None
    first_submitted_amount: Decimal | None = None
    decided_at: float | None = None
    decision: str | None = None
    paid_at: float | None = None
    paid_amount: Decimal | None = None


@dataclass(frozen=True)
class WarrantyFacts:
    by_status: Mapping[str, int]  # every claim of the site, now
    awaiting: Sequence[Claim] = ()  # the claims now submitted, accepted or returned
    claims: Sequence[Claim] = ()  # claims first submitted, first decided or paid in the range read


def receivable(claim: Claim) -> Decimal:
    """What the OEM still owes on a claim (nothing unless it is submitted, accepted or returned)."""
    if claim.status not in RECEIVABLE:
        return Decimal(0)
    amount = claim.approved_amount if claim.approved_amount is not None else claim.claimed_amount
    return amount or Decimal(0)


def _mean(durations: list[float]) -> float | None:
    return sum(durations) / len(durations) if durations else None


def states(facts: WarrantyFacts) -> list[Value]:
    """Claims by status (every status, zeros included) and the receivable, now."""
    counts = [value("claims", facts.by_status.get(s.value, 0), status=s.value) for s in ClaimStatus]
    return [*counts, value("receivable", sum((receivable(c) for c in facts.awaiting), Decimal(0)))]


def compute(facts: WarrantyFacts, window: Window) -> list[Value]:
    """The figures counted over a window (durations in seconds)."""
    submitted = [c for c in facts.claims if window.contains(c.first_submitted_at)]
    decided = [c for c in facts.claims if window.contains(c.decided_at)]
    rejected = [c for c in decided if c.decision == "rejected"]
    paid = [c for c in facts.claims if window.contains(c.paid_at)]
    return [
        value("claims_submitted", len(submitted)),
        value("claimed_amount", sum((c.first_submitted_amount or Decimal(0) for c in submitted), Decimal(0))),
        value("claims_decided", len(decided)),
        value("claims_rejected", len(rejected)),
        value("rejection_rate", ratio(len(rejected), len(decided))),
        value("repair_to_submission_days", _mean([(c.first_submitted_at or 0) - c.repaired_at for c in submitted
                                                  if c.repaired_at is not None])),
        value("claims_paid", len(paid)),
        value("paid_amount", sum((c.paid_amount or Decimal(0) for c in paid), Decimal(0))),
        value("repair_to_payment_days", _mean([(c.paid_at or 0) - c.repaired_at for c in paid if c.repaired_at is not None])),
    ]


def shown(v: Value) -> float | None:
    """A figure as REST shows it: durations in days."""
    if v.value is None or DEFINITIONS[v.name].unit != DAYS:
        return v.value
    return v.value / DAY_SECONDS

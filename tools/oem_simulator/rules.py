"""The simulated OEM's rules: what makes a claim invalid, and how a valid one is decided."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from tools.oem_simulator.schemas import ClaimCreate, ClaimStatus, Reason

VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Rounded to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vin_problem(vin: str) -> str | None:
    """Why a VIN is not well formed, or None."""
    if VIN.fullmatch(vin.upper()):
        return None
    return f"VIN must be 17 letters and digits without I, O or Q; got {vin!r} ({len(vin)} characters)"


def total_sold_hours(claim: ClaimCreate) -> Decimal:
    """Sold hours of the main and the additional labour operations."""
    return claim.sold_hours + sum((op.sold_hours for op in claim.additional_labour), Decimal("0"))


def claim_problems(
    claim: ClaimCreate, today: date, deadline_days: int, open_campaigns: Collection[str], *, waiver_allowed: bool = True
) -> list[Reason]:
    """Everything wrong with a claim, in field order; empty when it may be taken in."""
    found: list[Reason] = []

    def add(field: str, code: str, message: str) -> None:
        found.append(Reason(field=field, code=code, message=message))

    if (why := vin_problem(claim.vin)) is not None:
        add("vin", "vin_invalid", why)
    if claim.mileage_out < claim.mileage_in:
        add("mileage_out", "mileage_out_below_in", f"mileage out {claim.mileage_out} is below mileage in {claim.mileage_in}")
    if claim.repair_closed_on < claim.repair_opened_on:
        add("repair_closed_on", "repair_dates_out_of_order", "the repair closed before it was opened")
    if claim.repair_closed_on > today:
        add("repair_closed_on", "repair_closed_in_future", f"the repair closes on {claim.repair_closed_on}, after today {today}")
    elif (late := (today - claim.repair_closed_on).days) > deadline_days:
        add("repair_closed_on", "submission_deadline_passed",
            f"submitted {late} days after the repair closed; the limit is {deadline_days} days")
    if claim.failure_date is not None and claim.failure_date > claim.repair_opened_on:
        add("failure_date", "failure_after_repair_opened", "the failure date is after the repair was opened")
    if claim.campaign_number is None:
        found += _causal_part_problems(claim, waiver_allowed)
        for field in ("condition_code", "defect_code"):
            if not getattr(claim, field):
                add(field, "code_missing", f"{field.replace('_', ' ')} is required unless the claim is for a campaign")
    elif claim.campaign_number not in open_campaigns:
        add("campaign_number", "campaign_not_open", f"campaign {claim.campaign_number} is not open for VIN {claim.vin.upper()}")
    for field in ("complaint", "cause", "correction"):
        if not getattr(claim, field):
            add(field, "text_missing", f"the {field} text is empty")
    found += _amount_problems(claim)
    return found


def _causal_part_problems(claim: ClaimCreate, waiver_allowed: bool) -> list[Reason]:
    """A causal part, or for a labour-only claim (no parts) a waiver with its reason."""
    if not claim.causal_part_waived:
        if claim.causal_part_number:
            return []
        return [Reason(field="causal_part_number", code="causal_part_missing",
                       message="a causal part number is required unless the claim is for a campaign or waives it (labour only)")]

    def refused(code: str, message: str) -> Reason:
        return Reason(field="causal_part_waived", code=code, message=message)

    if not waiver_allowed:
        return [refused("causal_part_waiver_not_allowed", "labour-only claims (without a causal part) are not accepted")]
    found = []
    if claim.parts:
        found.append(refused("causal_part_waiver_with_parts", "a claim with parts cannot waive the causal part: flag the part that failed"))
    if claim.causal_part_number:
        found.append(refused("causal_part_waiver_conflict", "the claim names a causal part and waives it"))
    if not (claim.causal_part_waiver_reason or "").strip():
        found.append(Reason(field="causal_part_waiver_reason", code="text_missing",
                            message="a claim waiving the causal part must say why no part was needed"))
    return found


def _amount_problems(claim: ClaimCreate) -> list[Reason]:
    amounts = claim.amounts
    expected = {
        "labour": money(total_sold_hours(claim) * claim.labour_rate),
        "parts": money(sum((line.quantity * line.unit_price for line in claim.parts), Decimal("0"))),
        "sublet": money(sum((line.amount for line in claim.sublet), Decimal("0"))),
    }
    explain = {
        "labour": "sold hours × labour rate",
        "parts": "the sum of quantity × unit price of the parts lines",
        "sublet": "the sum of the sublet lines",
    }
    found = [
        Reason(field=f"amounts.{name}", code="amount_mismatch",
               message=f"amounts.{name} is {getattr(amounts, name)} but {explain[name]} is {value}")
        for name, value in expected.items() if money(getattr(amounts, name)) != value
    ]
    total = money(amounts.labour + amounts.parts + amounts.sublet)
    if money(amounts.total) != total:
        found.append(Reason(field="amounts.total", code="amount_mismatch",
                            message=f"amounts.total is {amounts.total} but labour + parts + sublet is {total}"))
    return found


@dataclass(frozen=True)
class Policy:
    """The configurable part of the OEM's decision."""

    reject_op_codes: frozenset[str]
    return_op_codes: frozenset[str]
    authorisation_required_above: Decimal | None
    warranty_max_mileage: int | None
    labour_rate_cap: Decimal | None


@dataclass(frozen=True)
class Decision:
    """Accepted (with the approved amount), rejected or returned for correction (with a reason)."""

    status: ClaimStatus
    approved_amount: Decimal | None = None
    reason_code: str | None = None
    reason: str | None = None


def decide(claim: ClaimCreate, policy: Policy) -> Decision:
    """How the OEM answers a claim that passed validation."""
    op_codes = [claim.labour_op_code, *(op.op_code for op in claim.additional_labour)]
    if covered := [code for code in op_codes if code in policy.reject_op_codes]:
        return Decision(ClaimStatus.REJECTED, reason_code="op_code_not_covered",
                        reason=f"labour operation {covered[0]} is not covered by warranty")
    is_campaign = claim.campaign_number is not None
    if not is_campaign and policy.warranty_max_mileage is not None and claim.mileage_in > policy.warranty_max_mileage:
        return Decision(ClaimStatus.REJECTED, reason_code="out_of_warranty_mileage",
                        reason=f"mileage {claim.mileage_in} is beyond the warranty limit of {policy.warranty_max_mileage}")
    if corrected := [code for code in op_codes if code in policy.return_op_codes]:
        return Decision(ClaimStatus.RETURNED_FOR_CORRECTION, reason_code="correction_requested",
                        reason=f"labour operation {corrected[0]} needs a corrected claim")
    limit = policy.authorisation_required_above
    if not is_campaign and limit is not None and claim.amounts.total > limit and not claim.authorisation_number:
        return Decision(ClaimStatus.RETURNED_FOR_CORRECTION, reason_code="authorisation_required",
                        reason=f"claims above {limit} need a prior authorisation number")
    rate = claim.labour_rate if policy.labour_rate_cap is None else min(claim.labour_rate, policy.labour_rate_cap)
    approved = money(total_sold_hours(claim) * rate) + money(claim.amounts.parts) + money(claim.amounts.sublet)
    return Decision(ClaimStatus.ACCEPTED, approved_amount=approved)

"""What a warranty claim holds, what it adds up to, and what stops it from being submitted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from shared.contracts.warranty import ClaimProblem

CENT = Decimal("0.01")
ZERO = Decimal("0")


def money(value: Decimal) -> Decimal:
    """Rounded to the cent, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TimeCard:
    """Hours one technician clocked on one job of the claim."""

    technician_id: str
    job_line_id: str
    hours: Decimal


@dataclass(frozen=True)
class Labour:
    """One labour operation: book (sold) hours and the hours actually clocked."""

    job_line_id: str
    op_code: str
    description: str
    sold_hours: Decimal
    actual_hours: Decimal


@dataclass(frozen=True)
class Part:
    """A part used in the repair, at its invoiced price."""

    part_number: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        """Price of the quantity."""
        return money(self.quantity * self.unit_price)


@dataclass(frozen=True)
class Sublet:
    """Work bought from a third party (`invoice_ref`: the third party's invoice)."""

    description: str
    amount: Decimal
    invoice_ref: str | None = None


@dataclass(frozen=True)
class Amounts:
    """What the claim asks the OEM for, before tax."""

    labour: Decimal
    parts: Decimal
    sublet: Decimal

    @property
    def total(self) -> Decimal:
        """Labour + parts + sublet."""
        return self.labour + self.parts + self.sublet


@dataclass(frozen=True)
class ClaimContent:
    """Everything the OEM asks for; the first labour operation is the main one."""

    dealer_code: str
    vin: str
    ro_number: str
    mileage_in: int
    mileage_out: int | None
    repair_opened_on: date
    repair_closed_on: date
    failure_date: date | None
    labour: list[Labour]
    labour_rate: Decimal
    time_cards: list[TimeCard] = field(default_factory=list)
    causal_part_number: str | None = None
    # a labour-only repair (a reflash, an adjustment): no part failed, the clerk says why
    causal_part_waived: bool = False
    causal_part_waiver_reason: str | None = None
    complaint: str = ""
    cause: str = ""
    correction: str = ""
    condition_code: str = ""
    defect_code: str = ""
    parts: list[Part] = field(default_factory=list)
    sublet: list[Sublet] = field(default_factory=list)
    campaign_number: str | None = None
    authorisation_number: str | None = None

    @property
    def sold_hours(self) -> Decimal:
        """Book hours of every labour operation."""
        return sum((op.sold_hours for op in self.labour), ZERO)

    @property
    def actual_hours(self) -> Decimal:
        """Hours clocked on every labour operation."""
        return sum((op.actual_hours for op in self.labour), ZERO)

    def amounts(self) -> Amounts:
        """Labour at the claim's rate, parts at their price, sublets as bought."""
        return Amounts(
            labour=money(self.sold_hours * self.labour_rate),
            parts=sum((p.amount for p in self.parts), ZERO),
            sublet=money(sum((s.amount for s in self.sublet), ZERO)),
        )


@dataclass(frozen=True)
class OemRules:
    """The rules of the site's OEM checked before submission."""

    submission_deadline_days: int
    authorisation_required_above: Decimal | None
    causal_part_waiver_allowed: bool = True


def problems(claim: ClaimContent, rules: OemRules, today: date) -> list[ClaimProblem]:
    """Everything that stops the claim from being submitted, each naming its field; [] when it may go."""
    found: list[ClaimProblem] = []

    def add(field_: str, code: str, message: str) -> None:
        found.append(ClaimProblem(field=field_, code=code, message=message))

    if not claim.dealer_code:
        add("dealer_code", "dealer_code_missing", "the site has no OEM dealer code configured")
    if claim.mileage_out is None:
        add("mileage_out", "mileage_out_missing", "mileage out is missing: deliver the vehicle or enter it")
    elif claim.mileage_out < claim.mileage_in:
        add(
            "mileage_out",
            "mileage_out_below_in",
            f"mileage out {claim.mileage_out} is below mileage in {claim.mileage_in}",
        )
    if claim.failure_date is None:
        add("failure_date", "failure_date_missing", "the failure date is missing")
    elif claim.failure_date > claim.repair_opened_on:
        add(
            "failure_date",
            "failure_after_repair_opened",
            f"the failure date {claim.failure_date} is after the repair was opened on {claim.repair_opened_on}",
        )
    late = (today - claim.repair_closed_on).days
    if late > rules.submission_deadline_days:
        add(
            "repair_closed_on",
            "submission_deadline_passed",
            f"the repair closed on {claim.repair_closed_on}, {late} days ago; the OEM takes claims up to "
            f"{rules.submission_deadline_days} days after the repair",
        )
    if not claim.labour or claim.sold_hours <= 0:
        add("sold_hours", "sold_hours_missing", "the claim has no sold (book) hours")
    for name in ("complaint", "cause", "correction"):
        if not getattr(claim, name).strip():
            add(name, "text_missing", f"the {name} text is empty (the 3C: complaint, cause, correction)")
    if claim.campaign_number is None:
        _causal_part_problems(claim, rules, add)
        for name in ("condition_code", "defect_code"):
            if not getattr(claim, name).strip():
                add(name, "code_missing", f"the {name.replace('_', ' ')} is missing")
        limit = rules.authorisation_required_above
        total = claim.amounts().total
        if limit is not None and total > limit and not claim.authorisation_number:
            add(
                "authorisation_number",
                "authorisation_missing",
                f"the claim is for {total}, above {limit}: the OEM's prior authorisation number is required",
            )
    return found


def waiver_refusal(claim: ClaimContent, rules: OemRules) -> ClaimProblem | None:
    """Why the claim may not go without a causal part; None when its waiver holds or it waives nothing."""
    if not claim.causal_part_waived:
        return None

    def refused(code: str, message: str) -> ClaimProblem:
        return ClaimProblem(field="causal_part_waived", code=code, message=message)

    if not rules.causal_part_waiver_allowed:
        return refused(
            "causal_part_waiver_not_allowed",
            "the site's OEM takes no claim without a causal part (no labour-only claims): flag the part that failed",
        )
    if claim.campaign_number is not None:
        return refused(
            "causal_part_waiver_on_campaign",
            f"a campaign claim ({claim.campaign_number}) needs no causal part: there is nothing to waive",
        )
    if claim.parts:
        numbers = ", ".join(sorted({p.part_number for p in claim.parts}))
        return refused(
            "causal_part_waiver_with_parts",
            f"the claim has parts ({numbers}): a claim with parts cannot waive its causal part; flag the part that failed",
        )
    if not (claim.causal_part_waiver_reason or "").strip():
        return refused(
            "causal_part_waiver_reason_missing",
            "a claim without a causal part needs the reason no part was needed (e.g. software reflash, adjustment)",
        )
    return None


def _causal_part_problems(claim: ClaimContent, rules: OemRules, add: Callable[[str, str, str], None]) -> None:
    if claim.causal_part_waived:
        refusal = waiver_refusal(claim, rules)
        if refusal is not None:
            add(refusal.field, refusal.code, refusal.message)
        return
    numbers = sorted({p.part_number for p in claim.parts})
    if not claim.causal_part_number:
        if numbers:
            hint = f" (one of: {', '.join(numbers)})"
        elif rules.causal_part_waiver_allowed:
            hint = " (no part was issued to this job: for a labour-only repair, waive the causal part and say why)"
        else:
            hint = " (no part was issued to this job)"
        add("causal_part_number", "causal_part_missing", f"no causal part: flag the part that failed{hint}")
    elif claim.causal_part_number not in numbers:
        add(
            "causal_part_number",
            "causal_part_not_on_claim",
            f"causal part {claim.causal_part_number} is not among the claim's parts ({', '.join(numbers) or 'none'})",
        )

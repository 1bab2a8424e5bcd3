"""A claim row to and from its domain content, and the fields every claim event carries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from services.reception.warranty.domain.rules import ClaimContent, Labour, Part, Sublet, TimeCard
from services.reception.warranty.tables import WarrantyClaim
from shared.contracts.warranty import ClaimProblem, ClaimStatus, _Claim

E = TypeVar("E", bound=_Claim)


def content_of(claim: WarrantyClaim) -> ClaimContent:
    """The claim's content as the rules see it."""
    return ClaimContent(
        dealer_code=claim.dealer_code,
        vin=claim.vin,
        ro_number=claim.ro_number,
        mileage_in=claim.mileage_in,
        mileage_out=claim.mileage_out,
        repair_opened_on=claim.repair_opened_on,
        repair_closed_on=claim.repair_closed_on,
        failure_date=claim.failure_date,
        labour=[
            Labour(
                x["job_line_id"], x["op_code"], x["description"], Decimal(x["sold_hours"]), Decimal(x["actual_hours"])
            )
            for x in claim.labour
        ],
        labour_rate=claim.labour_rate,
        time_cards=[TimeCard(x["technician_id"], x["job_line_id"], Decimal(x["hours"])) for x in claim.time_cards],
        causal_part_number=claim.causal_part_number,
        causal_part_waived=claim.causal_part_waived,
        causal_part_waiver_reason=claim.causal_part_waiver_reason,
        complaint=claim.complaint,
        cause=claim.cause,
        correction=claim.correction,
        condition_code=claim.condition_code,
        defect_code=claim.defect_code,
        parts=[Part(x["part_number"], Decimal(x["quantity"]), Decimal(x["unit_price"])) for x in claim.parts],
        sublet=[Sublet(x["description"], Decimal(x["amount"]), x.get("invoice_ref")) for x in claim.sublet],
        campaign_number=claim.campaign_number,
        authorisation_number=claim.authorisation_number,
    )


def _text(value: Decimal) -> str:
    """A decimal as text, the way the database gives decimals back: 2 not 2.00, 1.5 not 1.50."""
    return str(value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize())


def content_columns(content: ClaimContent) -> dict[str, Any]:
    """The columns holding the content (JSON lists hold decimals as text)."""
    return {
        "dealer_code": content.dealer_code,
        "vin": content.vin,
        "ro_number": content.ro_number,
        "mileage_in": content.mileage_in,
        "mileage_out": content.mileage_out,
        "repair_opened_on": content.repair_opened_on,
        "repair_closed_on": content.repair_closed_on,
        "failure_date": content.failure_date,
        "labour": [
            {
                "job_line_id": x.job_line_id,
                "op_code": x.op_code,
                "description": x.description,
                "sold_hours": _text(x.sold_hours),
                "actual_hours": _text(x.actual_hours),
            }
            for x in content.labour
        ],
        "labour_rate": content.labour_rate,
        "time_cards": [
            {"technician_id": x.technician_id, "job_line_id": x.job_line_id, "hours": _text(x.hours)}
            for x in content.time_cards
        ],
        "causal_part_number": content.causal_part_number,
        "causal_part_waived": content.causal_part_waived,
        "causal_part_waiver_reason": content.causal_part_waiver_reason,
        "complaint": content.complaint,
        "cause": content.cause,
        "correction": content.correction,
        "condition_code": content.condition_code,
        "defect_code": content.defect_code,
        "parts": [
            {"part_number": x.part_number, "quantity": _text(x.quantity), "unit_price": _text(x.unit_price)}
            for x in content.parts
        ],
        "sublet": [
            {"description": x.description, "amount": _text(x.amount), "invoice_ref": x.invoice_ref}
            for x in content.sublet
        ],
        "campaign_number": content.campaign_number,
        "authorisation_number": content.authorisation_number,
        "claimed_amount": content.amounts().total,
    }


def problems_of(claim: WarrantyClaim) -> list[ClaimProblem]:
    """The problems recorded on the claim."""
    return [ClaimProblem.model_validate(p) for p in claim.problems]


def event(cls: type[E], claim: WarrantyClaim, **fields: Any) -> E:
    """A claim event carrying the claim's status and amounts as they now are."""
    return cls(
        site_id=claim.site_id,
        claim_id=claim.id,
        repair_order_id=claim.repair_order_id,
        ro_number=claim.ro_number,
        job_line_ids=list(claim.job_line_ids),
        status=ClaimStatus(claim.status),
        repaired_at=claim.repaired_at,
        currency=claim.currency,
        claimed_amount=claim.claimed_amount,
        approved_amount=claim.approved_amount,
        paid_amount=claim.paid_amount,
        debited_amount=claim.debited_amount,
        campaign_number=claim.campaign_number,
        **fields,
    )

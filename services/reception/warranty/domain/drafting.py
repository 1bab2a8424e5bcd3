"""Which claims an invoiced RO gives, and what each starts with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from services.reception.warranty.domain.rules import ClaimContent, Labour, Part, Sublet, TimeCard, money
from services.reception.warranty.profile import ClaimPer


@dataclass(frozen=True)
class WarrantyLine:
    """An approved job line the OEM pays, as invoiced."""

    job_line_id: str
    op_code: str
    description: str
    complaint: str
    sold_hours: Decimal
    labour_rate: Decimal
    campaign_number: str | None = None


@dataclass(frozen=True)
class WarrantyPart:
    """Parts on the RO paid by warranty; `job_line_id` None: issued to the RO, not to a job."""

    part_number: str
    job_line_id: str | None
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class InvoicedRepair:
    """What the invoiced RO tells a claim."""

    dealer_code: str
    vin: str
    ro_number: str
    mileage_in: int
    mileage_out: int | None
    opened_on: date
    closed_on: date
    arrived_on: date
    lines: list[WarrantyLine]
    parts: list[WarrantyPart] = field(default_factory=list)
    sublets: list[Sublet] = field(default_factory=list)
    hours: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # job line id -> technician -> hours


def groups(lines: list[WarrantyLine], per: ClaimPer) -> list[list[WarrantyLine]]:
    """One claim per warranty job, or one per RO; a campaign job is always a claim of its own."""
    if per == "job":
        return [[line] for line in lines]
    campaigns = [[line] for line in lines if line.campaign_number]
    repairs = [line for line in lines if not line.campaign_number]
    return ([repairs] if repairs else []) + campaigns


def _labour(line: WarrantyLine, hours: dict[str, dict[str, Decimal]]) -> Labour:
    clocked = sum(hours.get(line.job_line_id, {}).values(), Decimal("0"))
    return Labour(line.job_line_id, line.op_code, line.description, line.sold_hours, clocked)


def _texts(lines: list[WarrantyLine]) -> tuple[str, str, str]:
    """Complaint, cause and correction to start from (the technician's cause is for the clerk to write)."""
    main = lines[0]
    if main.campaign_number:
        complaint = main.complaint or f"Recall / field campaign {main.campaign_number}"
        return complaint, f"Vehicle covered by campaign {main.campaign_number}", main.description
    complaint = "; ".join(dict.fromkeys(line.complaint for line in lines if line.complaint))
    correction = "; ".join(dict.fromkeys(line.description for line in lines if line.description))
    return complaint, "", correction


def drafts(repair: InvoicedRepair, per: ClaimPer) -> list[ClaimContent]:
    """The claims of the invoiced RO; parts and sublets issued to no job go on the first claim."""
    found = []
    for index, group in enumerate(groups(repair.lines, per)):
        ids = {line.job_line_id for line in group}
        parts = [p for p in repair.parts if p.job_line_id in ids or (index == 0 and p.job_line_id is None)]
        complaint, cause, correction = _texts(group)
        found.append(
            ClaimContent(
                dealer_code=repair.dealer_code,
                vin=repair.vin,
                ro_number=repair.ro_number,
                mileage_in=repair.mileage_in,
                mileage_out=repair.mileage_out,
                repair_opened_on=repair.opened_on,
                repair_closed_on=repair.closed_on,
                failure_date=repair.arrived_on,
                labour=[_labour(line, repair.hours) for line in group],
                labour_rate=group[0].labour_rate,
                time_cards=[
                    TimeCard(t, line.job_line_id, h)
                    for line in group
                    for t, h in repair.hours.get(line.job_line_id, {}).items()
                ],
                complaint=complaint,
                cause=cause,
                correction=correction,
                parts=[Part(p.part_number, p.quantity, money(p.unit_price)) for p in parts],
                sublet=list(repair.sublets) if index == 0 else [],
                campaign_number=group[0].campaign_number,
            )
        )
    return found

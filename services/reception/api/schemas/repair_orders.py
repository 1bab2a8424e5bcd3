"""Repair orders, their job lines, approvals, invoice, delivery and comebacks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from services.reception.api.schemas.common import (
    Amount,
    Code,
    Hours,
    Ident,
    Input,
    LongText,
    Mileage,
    Name,
    Note,
    Timed,
)
from services.reception.api.schemas.visits import CampaignRead, SuggestedLine
from shared.contracts.reception import ApprovalMethod, PayType, RoType
from shared.types import Instant


class JobLineCreate(Timed):
    op_code: Code
    description: Name
    complaint: LongText = Field(default="", description="the customer's concern this line answers")
    pay_type: PayType | None = Field(default=None, description="defaults from the RO type")
    sold_hours: Hours
    labour_rate: Amount | None = Field(default=None, description="defaults to the site's labour rate")
    required_skill: Code | None = None
    campaign_number: Code | None = None
    parts_estimate: Amount = Field(default=Decimal("0"), description="expected parts amount, for the estimate")


class JobLineIn(Input):
    """A job line written with the RO (no occurred_at of its own)."""

    op_code: Code
    description: Name
    complaint: LongText = ""
    pay_type: PayType | None = None
    sold_hours: Hours
    labour_rate: Amount | None = None
    required_skill: Code | None = None
    campaign_number: Code | None = None
    parts_estimate: Amount = Decimal("0")


class JobLinePatch(Timed):
    op_code: Code | None = None
    description: Name | None = None
    complaint: LongText | None = None
    pay_type: PayType | None = None
    sold_hours: Hours | None = None
    labour_rate: Amount | None = None
    required_skill: Code | None = None
    campaign_number: Code | None = None
    parts_estimate: Amount | None = None


class RepairOrderCreate(Timed):
    visit_id: Ident
    customer_id: Ident | None = Field(default=None, description="defaults to the visit's customer")
    mileage_in: Mileage
    ro_type: RoType
    promised_at: Instant | None = None
    job_lines: list[JobLineIn] = Field(default_factory=list, max_length=100)


class RepairOrderPatch(Timed):
    """What the advisor may still change on the RO itself."""

    promised_at: Instant | None = None
    ro_type: RoType | None = None


class ApprovalRequest(Timed):
    job_line_ids: list[Ident] | None = Field(
        default=None, description="the draft lines to propose; all draft lines when absent"
    )


class Decision(Timed):
    by: Name = Field(description="who decided (the customer or their representative)")
    method: ApprovalMethod
    reason: Note = ""


class SubletIn(Input):
    description: Name
    pay_type: PayType
    amount: Amount
    cost: Amount


class InvoiceCreate(Timed):
    sublet_lines: list[SubletIn] = Field(default_factory=list, max_length=50)


class Delivery(Timed):
    mileage_out: Mileage


class Cancellation(Timed):
    reason: Note = ""


class ComebackUpdate(Timed):
    is_comeback: bool
    comeback_of: Ident | None = Field(default=None, description="the earlier RO this one comes back from")
    reason: Name


class JobLineRead(BaseModel):
    id: str
    position: int
    op_code: str
    description: str
    complaint: str
    pay_type: PayType
    sold_hours: Decimal
    labour_rate: Decimal
    parts_estimate: Decimal
    required_skill: str | None
    campaign_number: str | None
    status: str
    proposed_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision_method: str | None
    decline_reason: str
    work: str = Field(description="not_started | in_progress | complete")


class PartsLineRead(BaseModel):
    part_number: str
    job_line_id: str | None
    pay_type: PayType
    quantity: Decimal
    unit_cost: Decimal
    unit_price: Decimal
    amount: Decimal
    cost: Decimal


class VehicleBrief(BaseModel):
    id: str
    vin: str
    plate: str
    make: str
    model: str


class CustomerBrief(BaseModel):
    id: str
    name: str
    phone: str


class RepairOrderSummary(BaseModel):
    id: str
    site_id: str
    ro_number: str
    state: str
    ro_type: RoType
    advisor: str
    vehicle: VehicleBrief
    customer: CustomerBrief
    arrived_at: datetime
    opened_at: datetime
    promised_at: datetime | None
    ready_at: datetime | None
    is_comeback: bool
    recall_status: str
    version: int


class RepairOrderRead(RepairOrderSummary):
    visit_id: str
    mileage_in: int
    mileage_out: int | None
    invoiced_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    comeback_of: str | None
    comeback_reason: str
    recall_campaigns: list[CampaignRead]
    suggested_lines: list[SuggestedLine] = Field(
        default_factory=list, description="open campaigns not yet on the RO, as job lines"
    )
    last_qc_at: datetime | None
    last_qc_passed: bool | None
    allowed_actions: list[str]
    lines: list[JobLineRead]
    parts_lines: list[PartsLineRead]


class EstimateLineRead(BaseModel):
    job_line_id: str
    status: str
    pay_type: PayType
    labour: Decimal
    parts: Decimal
    total: Decimal


class EstimateRead(BaseModel):
    repair_order_id: str
    lines: list[EstimateLineRead]
    labour_amount: Decimal
    parts_amount: Decimal
    total_amount: Decimal
    tax_amount: Decimal
    total_with_tax: Decimal
    approved_amount: Decimal
    amounts_by_pay_type: dict[PayType, Decimal]


class InvoiceLineRead(BaseModel):
    kind: str
    pay_type: PayType
    description: str
    amount: Decimal
    cost: Decimal
    job_line_id: str | None
    sold_hours: Decimal
    labour_rate: Decimal
    part_number: str | None
    quantity: Decimal
    unit_price: Decimal


class InvoiceRead(BaseModel):
    id: str
    repair_order_id: str
    ro_number: str
    issued_at: datetime
    issued_by: str
    lines: list[InvoiceLineRead]
    labour_amount: Decimal
    parts_amount: Decimal
    sublet_amount: Decimal
    total_amount: Decimal
    tax_amount: Decimal
    total_with_tax: Decimal
    labour_cost: Decimal
    parts_cost: Decimal
    sublet_cost: Decimal
    cost: Decimal
    gross_margin: Decimal
    sold_hours: Decimal
    amounts_by_pay_type: dict[PayType, Decimal]
    customer_pay_amount: Decimal
    warranty_amount: Decimal

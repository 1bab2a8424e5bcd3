"""The warranty clerk's API models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool

from services.reception.api.schemas.common import Code, Input, LongText, Mileage, Name, Note, Timed
from shared.contracts.warranty import ClaimProblem, ClaimStatus

# within what the OEM's API takes
ClaimMoney = Annotated[
    Decimal, Field(ge=0, max_digits=12, decimal_places=2, description="money, not negative, at most 2 decimals")
]
PartQuantity = Annotated[
    Decimal, Field(gt=0, max_digits=9, decimal_places=3, description="more than zero, at most 3 decimals")
]


class PartLineUpdate(Input):
    """A parts line of the claim."""

    part_number: Code
    quantity: PartQuantity
    unit_price: ClaimMoney
    causal: StrictBool = Field(default=False, description="this part failed (the causal part); one part number at most")


class SubletLineUpdate(Input):
    """A sublet line of the claim: work bought from a third party."""

    description: Name
    amount: ClaimMoney
    invoice_ref: Code | None = Field(default=None, description="the third party's invoice number")


class ClaimUpdate(Timed):
    """A correction: only the fields sent change (null clears an optional one; `parts` and `sublet` replace all lines)."""

    mileage_out: Mileage | None = None
    failure_date: date | None = None
    labour_op_code: Code | None = None
    causal_part_number: Code | None = Field(default=None, description="the part that failed (one of the claim's parts)")
    causal_part_waived: StrictBool = Field(
        default=False,
        description="true: a labour-only claim, no part failed (needs causal_part_waiver_reason and no parts); "
        "false, or naming a causal part, ends the waiver",
    )
    causal_part_waiver_reason: LongText | None = Field(default=None, description="why the repair needed no part")
    complaint: LongText | None = None
    cause: LongText | None = None
    correction: LongText | None = None
    condition_code: Code | None = None
    defect_code: Code | None = None
    authorisation_number: Code | None = Field(default=None, description="the OEM's prior authorisation")
    parts: list[PartLineUpdate] | None = Field(
        default=None, max_length=200, description="every parts line of the claim"
    )
    sublet: list[SubletLineUpdate] | None = Field(
        default=None, max_length=50, description="every sublet line of the claim"
    )


class ClaimSubmit(Timed):
    """Queue the claim for the OEM."""


class ClaimClose(Timed):
    reason: Note = ""


class LabourRead(BaseModel):
    job_line_id: str
    op_code: str
    description: str
    sold_hours: Decimal
    actual_hours: Decimal


class TimeCardRead(BaseModel):
    technician_id: str
    job_line_id: str
    hours: Decimal


class PartRead(BaseModel):
    part_number: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    causal: bool


class SubletRead(BaseModel):
    description: str
    amount: Decimal
    invoice_ref: str | None


class AmountsRead(BaseModel):
    labour: Decimal
    parts: Decimal
    sublet: Decimal
    total: Decimal


class SubmissionRead(BaseModel):
    """The claim's submission on its way to the OEM (or the last one that was refused or failed)."""

    pending: bool
    enqueued_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    outcome: str | None


class ClaimSummary(BaseModel):
    id: str
    site_id: str
    repair_order_id: str
    ro_number: str
    vin: str
    status: ClaimStatus
    labour_op_code: str
    campaign_number: str | None
    currency: str
    claimed_amount: Decimal
    approved_amount: Decimal | None
    paid_amount: Decimal | None
    debited_amount: Decimal | None
    repaired_at: datetime
    submitted_at: datetime | None
    paid_at: datetime | None
    problem_count: int
    version: int


class ClaimRead(ClaimSummary):
    job_line_ids: list[str]
    dealer_code: str
    mileage_in: int
    mileage_out: int | None
    repair_opened_on: date
    repair_closed_on: date
    failure_date: date | None
    labour: list[LabourRead]
    labour_rate: Decimal
    sold_hours: Decimal
    actual_hours: Decimal
    time_cards: list[TimeCardRead]
    causal_part_number: str | None
    causal_part_waived: bool
    causal_part_waiver_reason: str | None
    complaint: str
    cause: str
    correction: str
    condition_code: str
    defect_code: str
    parts: list[PartRead]
    sublet: list[SubletRead]
    authorisation_number: str | None
    amounts: AmountsRead
    problems: list[ClaimProblem] = Field(
        description="what stops the claim from being submitted (ours now, or the OEM's at intake)"
    )
    oem_reference: str | None
    submission: int = Field(description="the OEM's number of our latest submission it took in (0: none yet)")
    submission_status: SubmissionRead | None
    reason_code: str | None
    reason: str | None
    payment_reference: str | None
    decided_at: datetime | None
    closed_at: datetime | None
    close_reason: str
    allowed_actions: list[str]


class WebhookAck(BaseModel):
    """What the dealer side did with a status webhook."""

    webhook_id: str
    outcome: str = Field(description="applied | no_change | duplicate | unknown_claim")

"""What the simulated OEM accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Hours = Annotated[Decimal, Field(ge=0, max_digits=6, decimal_places=2)]
Code = Annotated[str, Field(max_length=40)]
Text = Annotated[str, Field(max_length=2000)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LabourOperation(_Input):
    """A further labour operation on the same claim, paid at the claim's labour rate."""

    op_code: Code = Field(min_length=1)
    description: Text = ""
    sold_hours: Hours
    actual_hours: Hours = Decimal("0")


class TimeCard(_Input):
    """Hours a technician clocked on the repair."""

    technician_id: Code = Field(min_length=1)
    hours: Hours


class PartLine(_Input):
    """A part used in the repair; `causal` marks the part that failed."""

    part_number: Code = Field(min_length=1)
    description: Text = ""
    quantity: Decimal = Field(gt=0, max_digits=9, decimal_places=3)
    unit_price: Money
    causal: bool = False


class SubletLine(_Input):
    """Work bought from a third party."""

    description: Text = Field(min_length=1)
    amount: Money
    invoice_ref: Code | None = None


class ClaimAmounts(_Input):
    """What the dealer claims, before tax."""

    labour: Money
    parts: Money = Decimal("0")
    sublet: Money = Decimal("0")
    total: Money
    currency: str = Field(default="EUR", min_length=3, max_length=3)


class ClaimCreate(_Input):
    """A warranty claim as the dealer submits it."""

    dealer_code: Code = Field(min_length=1)
    claim_id: str = Field(min_length=1, max_length=64)
    vin: str = Field(min_length=1, max_length=40)
    ro_number: Code = Field(min_length=1)
    mileage_in: int = Field(ge=0)
    mileage_out: int = Field(ge=0)
    repair_opened_on: date
    repair_closed_on: date
    failure_date: date | None = None
    labour_op_code: Code = Field(min_length=1)
    labour_description: Text = ""
    sold_hours: Hours
    actual_hours: Hours
    labour_rate: Money
    additional_labour: list[LabourOperation] = Field(default_factory=list, max_length=50)
    time_cards: list[TimeCard] = Field(default_factory=list, max_length=50)
    causal_part_number: Code | None = None
    # a labour-only claim: no part failed (a reflash, an adjustment), the dealer says why
    causal_part_waived: bool = False
    causal_part_waiver_reason: Text | None = None
    complaint: Text = ""
    cause: Text = ""
    correction: Text = ""
    condition_code: Code = ""
    defect_code: Code = ""
    parts: list[PartLine] = Field(default_factory=list, max_length=200)
    sublet: list[SubletLine] = Field(default_factory=list, max_length=50)
    campaign_number: Code | None = None
    authorisation_number: Code | None = None
    amounts: ClaimAmounts


class ClaimStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETURNED_FOR_CORRECTION = "returned_for_correction"
    PAID = "paid"
    DEBITED = "debited"


class Reason(BaseModel):
    """One thing wrong with a claim: the field, a stable code and a sentence."""

    field: str
    code: str
    message: str


class ClaimReceipt(BaseModel):
    """The 202 answer to a submission (replayed as is for a retry)."""

    claim_id: str
    oem_reference: str
    status: ClaimStatus
    submission: int
    received_at: datetime


class StatusChange(BaseModel):
    """One step of a claim's history."""

    status: ClaimStatus
    at: datetime
    submission: int


class ClaimRead(BaseModel):
    """Where a claim stands at the OEM (also the `data` of every webhook, without `history`)."""

    claim_id: str
    oem_reference: str
    dealer_code: str
    vin: str
    status: ClaimStatus
    submission: int
    currency: str
    claimed_amount: Decimal
    approved_amount: Decimal | None = None
    paid_amount: Decimal | None = None
    payment_reference: str | None = None
    debited_amount: Decimal | None = None
    reason_code: str | None = None
    reason: str | None = None
    updated_at: datetime
    history: list[StatusChange] = Field(default_factory=list)


class Campaign(BaseModel):
    """An open recall or field campaign."""

    campaign_number: str
    title: str
    op_code: str
    sold_hours: Decimal


class RecallsRead(BaseModel):
    """Open campaigns for one VIN."""

    vin: str
    campaigns: list[Campaign]


class FaultMode(StrEnum):
    NONE = "none"
    ERROR_500 = "error_500"
    TIMEOUT = "timeout"
    SLOW = "slow"


class FaultsUpdate(_Input):
    """How the OEM API should misbehave from now on."""

    mode: FaultMode
    delay_seconds: float = Field(default=30.0, ge=0, le=3600)
    requests: int | None = Field(default=None, ge=1, description="apply to this many requests only, then back to none")


class FaultsRead(BaseModel):
    """The fault currently injected."""

    mode: FaultMode
    delay_seconds: float
    requests: int | None


class DebitCreate(_Input):
    """A chargeback of a paid claim."""

    amount: Money
    reason: Text = Field(min_length=1)


class ReceivedRequest(BaseModel):
    """One request the OEM API received and what it did with it."""

    seq: int
    kind: str
    claim_id: str | None
    vin: str | None
    outcome: str
    status_code: int
    at: datetime


class ReceivedRead(BaseModel):
    """Every request received, and per claim the submissions taken in (first and corrected ones)."""

    requests: list[ReceivedRequest]
    accepted_submissions: dict[str, int]


class DeliveryRead(BaseModel):
    """One webhook message and how its delivery went."""

    msg_id: str
    type: str
    claim_id: str
    state: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None

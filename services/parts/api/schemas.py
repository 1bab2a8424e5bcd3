"""API models: `XCreate`/`XUpdate` in (unknown fields refused), `XRead` out. Quantities and money are exact decimals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field

from services.parts.domain import Unit
from shared.types import Input, Instant, places

PartNumber = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/\-]*$")]
Quantity = Annotated[Decimal, Field(gt=0, description="more than zero; whole for pieces"), places(13, 3)]
Count = Annotated[Decimal, Field(ge=0, description="zero or more; whole for pieces"), places(13, 3)]
Setting = Annotated[Decimal, Field(ge=0), places(13, 3)]
Money = Annotated[Decimal, Field(ge=0), places(14, 4)]
LeadTime = Annotated[int, Field(strict=True, ge=0, le=365)]
OccurredAt = Annotated[Instant | None, Field(description="when it happened on the device (defaults to now)")]


class _In(Input):
    """A request body of the parts service."""


class PartCreate(_In):
    part_number: PartNumber
    description: str = Field(min_length=1, max_length=300)
    unit: Unit = Unit.PIECE
    unit_cost: Money
    unit_price: Money
    bin_location: str = Field("", max_length=60)
    reorder_point: Setting = Decimal(0)
    reorder_quantity: Setting = Decimal(0)
    lead_time_days: LeadTime | None = Field(None, description="default expected date of a backorder")
    supersedes: PartNumber | None = Field(None, description="an old part number this one replaces")
    occurred_at: OccurredAt = None


class PartUpdate(_In):
    """Only the fields sent change; null leaves a field as it is, except `lead_time_days`, where null clears it."""

    description: str | None = Field(None, min_length=1, max_length=300)
    unit_cost: Money | None = None
    unit_price: Money | None = None
    bin_location: str | None = Field(None, max_length=60)
    reorder_point: Setting | None = None
    reorder_quantity: Setting | None = None
    lead_time_days: LeadTime | None = None
    occurred_at: OccurredAt = None

    def changes(self) -> dict[str, Any]:
        """What to change: the fields sent, less those sent as null that cannot be cleared."""
        sent = self.model_dump(exclude_unset=True, exclude={"occurred_at"})
        return {name: value for name, value in sent.items() if value is not None or name == "lead_time_days"}


class SupersessionCreate(_In):
    superseded_by: PartNumber
    occurred_at: OccurredAt = None


class SupersessionRead(BaseModel):
    site_id: str
    part_number: str
    superseded_by: str
    recorded_by: str
    recorded_at: datetime


class PartRead(BaseModel):
    site_id: str
    part_number: str
    description: str
    unit: Unit
    unit_cost: Decimal
    unit_price: Decimal
    bin_location: str
    reorder_point: Decimal
    reorder_quantity: Decimal
    lead_time_days: int | None
    superseded_by: str | None
    supersedes: list[str]
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    backordered: Decimal
    below_reorder_point: bool
    version: int


class MovementRead(BaseModel):
    movement_id: int
    kind: str
    quantity: Decimal = Field(description="signed: + into stock, − out of stock")
    balance_after: Decimal
    unit_cost: Decimal | None
    unit_price: Decimal | None
    request_id: str | None
    request_line_id: str | None
    backorder_id: str | None
    receipt_id: str | None
    count_id: str | None
    reason: str
    recorded_by: str
    occurred_at: datetime
    recorded_at: datetime


class RequestLineCreate(_In):
    part_number: PartNumber
    quantity: Quantity


class PartsRequestCreate(_In):
    repair_order_id: str | None = Field(None, max_length=100)
    job_id: str | None = Field(None, max_length=100)
    requested_by: str | None = Field(None, max_length=200, description="who asked (defaults to the clerk)")
    lines: list[RequestLineCreate] = Field(min_length=1, max_length=100)
    occurred_at: OccurredAt = None


class IssueLineCreate(_In):
    request_line_id: str
    quantity: Quantity


class IssueCreate(_In):
    lines: list[IssueLineCreate] | None = Field(
        None, min_length=1, max_length=100, description="what to issue; omitted: everything reserved"
    )
    occurred_at: OccurredAt = None


class ReturnCreate(_In):
    request_line_id: str
    quantity: Quantity
    reason: str = Field("", max_length=300)
    occurred_at: OccurredAt = None


class BackorderRead(BaseModel):
    backorder_id: str
    site_id: str
    request_id: str
    request_line_id: str
    repair_order_id: str | None
    job_id: str | None
    part_number: str
    quantity: Decimal
    status: str
    queued_at: datetime
    expected_at: datetime | None
    filled_quantity: Decimal | None
    filled_at: datetime | None
    continued_by: str | None


class BackorderUpdate(_In):
    expected_at: Instant | None
    occurred_at: OccurredAt = None


class RequestLineRead(BaseModel):
    request_line_id: str
    part_number: str
    requested_part_number: str
    quantity: Decimal
    reserved: Decimal
    issued: Decimal
    returned: Decimal
    backordered: Decimal
    outstanding: Decimal
    from_stock_at_first_pick: bool | None
    backorders: list[BackorderRead]


class PartsRequestRead(BaseModel):
    request_id: str
    site_id: str
    origin: str
    repair_order_id: str | None
    job_id: str | None
    requested_by: str
    requested_at: datetime
    status: str
    fully_issued_at: datetime | None
    lines: list[RequestLineRead]


class ReceiptLineCreate(_In):
    part_number: PartNumber
    quantity: Quantity
    unit_cost: Money | None = Field(None, description="defaults to the catalogue cost")


class ReceiptCreate(_In):
    supplier_reference: str = Field("", max_length=200)
    lines: list[ReceiptLineCreate] = Field(min_length=1, max_length=200)
    occurred_at: OccurredAt = None


class FillRead(BaseModel):
    backorder_id: str
    request_id: str
    request_line_id: str
    part_number: str
    quantity: Decimal
    remainder_backorder_id: str | None


class ReceiptLineRead(BaseModel):
    part_number: str
    quantity: Decimal
    unit_cost: Decimal


class ReceiptRead(BaseModel):
    receipt_id: str
    site_id: str
    supplier_reference: str
    received_at: datetime
    recorded_by: str
    lines: list[ReceiptLineRead]
    filled: list[FillRead]


class CountLineCreate(_In):
    part_number: PartNumber
    counted_quantity: Count


class CountCreate(_In):
    reason: str = Field("cycle count", min_length=1, max_length=300)
    lines: list[CountLineCreate] = Field(min_length=1, max_length=500)
    occurred_at: OccurredAt = None


class CountLineRead(BaseModel):
    part_number: str
    on_hand_before: Decimal
    counted_quantity: Decimal
    difference: Decimal


class CountRead(BaseModel):
    count_id: str
    site_id: str
    reason: str
    counted_at: datetime
    recorded_by: str
    lines: list[CountLineRead]


class ReorderLine(BaseModel):
    part_number: str
    description: str
    unit: Unit
    bin_location: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    backordered: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal
    below_reorder_point: bool
    suggested_quantity: Decimal

"""Events the parts service publishes on `pitwall.parts.v1`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.contracts.base import Event

TOPIC = "pitwall.parts.v1"


class RequestLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    request_line_id: str
    part_number: str
    quantity: Decimal


class IssuedLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    request_line_id: str
    part_number: str
    quantity: Decimal
    unit_cost: Decimal
    unit_price: Decimal
    from_stock_at_first_pick: bool
    backorder_id: str | None = None


class _Parts(Event):
    topic: ClassVar[str] = TOPIC


class _Request(_Parts):
    aggregate: ClassVar[str] = "request"
    request_id: str


class _Part(_Parts):
    aggregate: ClassVar[str] = "part"
    part_number: str


class PartsRequestReceived(_Request):
    """A request the counter accepted, from the workshop's event or entered at the counter."""

    type: ClassVar[str] = "pitwall.parts.request.received.v1"
    repair_order_id: str | None = None
    job_id: str | None = None
    origin: str  # "workshop" | "counter"
    requested_at: datetime
    lines: list[RequestLine]
    requested_by: str | None = None


class PartsReserved(_Request):
    type: ClassVar[str] = "pitwall.parts.request.reserved.v1"
    lines: list[RequestLine]


class PartsIssued(_Request):
    type: ClassVar[str] = "pitwall.parts.request.issued.v1"
    repair_order_id: str | None = None
    job_id: str | None = None
    lines: list[IssuedLine]
    request_fully_issued: bool


class PartsBackordered(_Request):
    type: ClassVar[str] = "pitwall.parts.request.backordered.v1"
    backorder_id: str
    request_line_id: str
    repair_order_id: str | None = None
    job_id: str | None = None
    part_number: str
    quantity: Decimal
    expected_at: datetime | None = None
    continues_backorder_id: str | None = None  # set when this is what a partly filled backorder still lacks


class BackorderFilled(_Request):
    """Stock went to a backorder and was issued; a partial fill names the backorder carrying the rest."""

    type: ClassVar[str] = "pitwall.parts.backorder.filled.v1"
    backorder_id: str
    part_number: str
    quantity: Decimal
    request_line_id: str | None = None
    remainder_backorder_id: str | None = None


class BackorderRescheduled(_Request):
    """The supplier gave a (new) expected date for an open backorder."""

    type: ClassVar[str] = "pitwall.parts.backorder.rescheduled.v1"
    backorder_id: str
    part_number: str
    expected_at: datetime | None = None


class PartsReturned(_Request):
    type: ClassVar[str] = "pitwall.parts.request.returned.v1"
    repair_order_id: str | None = None
    job_id: str | None = None
    part_number: str
    quantity: Decimal
    unit_cost: Decimal
    unit_price: Decimal
    reason: str = ""
    request_line_id: str | None = None


class PartsReceived(_Part):
    type: ClassVar[str] = "pitwall.parts.stock.received.v1"
    receipt_id: str
    quantity: Decimal
    unit_cost: Decimal


class StockAdjusted(_Part):
    type: ClassVar[str] = "pitwall.parts.stock.adjusted.v1"
    quantity_delta: Decimal
    reason: str
    counted_quantity: Decimal | None = None


class PartBelowReorderPoint(_Part):
    type: ClassVar[str] = "pitwall.parts.stock.below_reorder_point.v1"
    available: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal


class PartBackAboveReorderPoint(_Part):
    type: ClassVar[str] = "pitwall.parts.stock.back_above_reorder_point.v1"
    available: Decimal
    reorder_point: Decimal


EVENTS: tuple[type[Event], ...] = (
    PartsRequestReceived,
    PartsReserved,
    PartsIssued,
    PartsBackordered,
    BackorderFilled,
    BackorderRescheduled,
    PartsReturned,
    PartsReceived,
    StockAdjusted,
    PartBelowReorderPoint,
    PartBackAboveReorderPoint,
)

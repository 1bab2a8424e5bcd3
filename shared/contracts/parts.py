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
    """Stock set aside for the lines of a parts request, not yet issued."""

    type: ClassVar[str] = "pitwall.parts.request.reserved.v1"
    lines: list[RequestLine]


class PartsIssued(_Request):
    """Parts of a request handed over to the workshop, line by line; request_fully_issued when nothing is left to issue."""

    type: ClassVar[str] = "pitwall.parts.request.issued.v1"
    repair_order_id: str | None = None
    job_id: str | None = None
    lines: list[IssuedLine]
    request_fully_issued: bool


class PartsBackordered(_Request):
    """A requested part is not in stock: the line waits for a supplier delivery (expected_at when known)."""

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
    """Issued parts brought back to stock from a job, with the reason."""

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
    """A supplier delivery of a part booked into stock at its unit cost."""

    type: ClassVar[str] = "pitwall.parts.stock.received.v1"
    receipt_id: str
    quantity: Decimal
    unit_cost: Decimal


class StockAdjusted(_Part):
    """A part's stock corrected by hand (a count, damage, a loss): the change and, after a count, the counted quantity."""

    type: ClassVar[str] = "pitwall.parts.stock.adjusted.v1"
    quantity_delta: Decimal
    reason: str
    counted_quantity: Decimal | None = None


class PartBelowReorderPoint(_Part):
    """A part's available stock fell below its reorder point: time to reorder reorder_quantity."""

    type: ClassVar[str] = "pitwall.parts.stock.below_reorder_point.v1"
    available: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal


class PartBackAboveReorderPoint(_Part):
    """A part's available stock rose back to its reorder point or above."""

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

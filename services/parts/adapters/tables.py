"""The parts service's own tables (no other service reads them).

Stock is two append-only ledgers: `stock_movement` (on hand = its sum) and `reservation` (reserved = its sum).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, MetaData
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.columns import DecimalText, Thousandths
from shared.db import InfraTables, UtcDateTime

metadata = MetaData()
infra = InfraTables(metadata)


def _qty(nullable: bool = False) -> Any:
    return Field(sa_type=Thousandths, nullable=nullable)


def _money(nullable: bool = False) -> Any:
    return Field(sa_type=DecimalText, nullable=nullable)


def _time(nullable: bool = False) -> Any:
    return Field(sa_type=UtcDateTime, nullable=nullable)


class Table(SQLModel, registry=registry(metadata=metadata)):
    """Base of the parts service's SQLModel tables, on its own metadata."""


class Part(Table, table=True):
    """A catalogue entry of one site; its row is also the lock every stock change of the part takes."""

    __tablename__ = "part"

    site_id: str = Field(primary_key=True, max_length=100)
    part_number: str = Field(primary_key=True, max_length=60)
    description: str = Field(max_length=300)
    unit: str = Field(max_length=20)
    unit_cost: Decimal = _money()
    unit_price: Decimal = _money()
    bin_location: str = Field(default="", max_length=60)
    reorder_point: Decimal = _qty()
    reorder_quantity: Decimal = _qty()
    lead_time_days: int | None = Field(default=None)
    below_reorder_point: bool = Field(default=False)
    version: int = Field(default=1)
    created_at: datetime = _time()
    updated_at: datetime = _time()


class Supersession(Table, table=True):
    """Old part number → the number that replaces it."""

    __tablename__ = "supersession"

    site_id: str = Field(primary_key=True, max_length=100)
    old_part_number: str = Field(primary_key=True, max_length=60)
    new_part_number: str = Field(max_length=60)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = _time()


class StockMovement(Table, table=True):
    """One row of the stock ledger: a signed quantity with who, when and why."""

    __tablename__ = "stock_movement"
    __table_args__ = (Index("ix_stock_movement_part", "site_id", "part_number", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(max_length=100)
    part_number: str = Field(max_length=60)
    kind: str = Field(max_length=20)
    quantity: Decimal = _qty()
    unit_cost: Decimal | None = _money(nullable=True)
    unit_price: Decimal | None = _money(nullable=True)
    request_id: str | None = Field(default=None, max_length=100, index=True)
    request_line_id: str | None = Field(default=None, max_length=120)
    backorder_id: str | None = Field(default=None, max_length=100)
    receipt_id: str | None = Field(default=None, max_length=100, index=True)
    count_id: str | None = Field(default=None, max_length=100)
    reason: str = Field(default="", max_length=300)
    recorded_by: str = Field(max_length=200)
    occurred_at: datetime = _time()
    recorded_at: datetime = _time()


class Reservation(Table, table=True):
    """One row of the reservation ledger: stock held for a request line (+) or released/issued (−)."""

    __tablename__ = "reservation"
    __table_args__ = (Index("ix_reservation_part", "site_id", "part_number"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(max_length=100)
    part_number: str = Field(max_length=60)
    request_id: str = Field(max_length=100, index=True)
    request_line_id: str = Field(max_length=120)
    kind: str = Field(max_length=20)
    quantity: Decimal = _qty()
    occurred_at: datetime = _time()
    recorded_at: datetime = _time()


class PartsRequest(Table, table=True):
    """A request for parts for an RO/job; its row is the lock for its lines' state."""

    __tablename__ = "parts_request"
    __table_args__ = (Index("ix_parts_request_site", "site_id", "requested_at"),)

    request_id: str = Field(primary_key=True, max_length=100)
    site_id: str = Field(max_length=100)
    origin: str = Field(max_length=20)
    repair_order_id: str | None = Field(default=None, max_length=100)
    job_id: str | None = Field(default=None, max_length=100)
    requested_by: str = Field(max_length=200)
    requested_at: datetime = _time()
    fully_issued_at: datetime | None = _time(nullable=True)
    recorded_at: datetime = _time()


class RequestLine(Table, table=True):
    """A line of a request: part and quantity; `first_pick_from_stock` is fixed at its first pick."""

    __tablename__ = "request_line"

    request_line_id: str = Field(primary_key=True, max_length=120)
    request_id: str = Field(max_length=100, index=True)
    line_no: int
    part_number: str = Field(max_length=60)
    requested_part_number: str = Field(max_length=60)
    quantity: Decimal = _qty()
    first_pick_from_stock: bool | None = Field(default=None)


class Backorder(Table, table=True):
    """What a line is short; filled first-come-first-served by `queued_at` when stock arrives."""

    __tablename__ = "backorder"
    __table_args__ = (Index("ix_backorder_queue", "site_id", "part_number", "status", "queued_at"),)

    id: int | None = Field(default=None, primary_key=True)
    backorder_id: str = Field(max_length=100, unique=True)
    site_id: str = Field(max_length=100)
    part_number: str = Field(max_length=60)
    request_id: str = Field(max_length=100, index=True)
    request_line_id: str = Field(max_length=120)
    quantity: Decimal = _qty()
    status: str = Field(max_length=20)
    queued_at: datetime = _time()
    expected_at: datetime | None = _time(nullable=True)
    filled_quantity: Decimal | None = _qty(nullable=True)
    filled_at: datetime | None = _time(nullable=True)
    continued_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = _time()


class Receipt(Table, table=True):
    """A delivery from a supplier; its lines are the ledger rows carrying its id."""

    __tablename__ = "receipt"

    receipt_id: str = Field(primary_key=True, max_length=100)
    site_id: str = Field(max_length=100, index=True)
    supplier_reference: str = Field(default="", max_length=200)
    received_at: datetime = _time()
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = _time()


class StockCount(Table, table=True):
    """A cycle count; differences are ledger rows carrying its id."""

    __tablename__ = "stock_count"

    count_id: str = Field(primary_key=True, max_length=100)
    site_id: str = Field(max_length=100, index=True)
    reason: str = Field(max_length=300)
    counted_at: datetime = _time()
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = _time()


class CountLine(Table, table=True):
    """What was on the shelf against what the ledger said."""

    __tablename__ = "count_line"

    count_id: str = Field(primary_key=True, max_length=100)
    part_number: str = Field(primary_key=True, max_length=60)
    on_hand_before: Decimal = _qty()
    counted: Decimal = _qty()

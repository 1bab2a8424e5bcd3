"""The reception service's own tables (no other service reads them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, MetaData, UniqueConstraint, true
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.columns import ExactDecimal, json_field, utc_field
from shared.db import InfraTables

metadata = MetaData()
infra = InfraTables(metadata)


def _dec(nullable: bool = False) -> Any:
    return Field(sa_column=Column(ExactDecimal(), nullable=nullable))


class Table(SQLModel, registry=registry(metadata=metadata)):
    """Base of the reception service's SQLModel tables, on its own metadata."""


class Site(Table, table=True):
    __tablename__ = "site"
    site_id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    time_zone: str = Field(max_length=64)
    labour_rate: Decimal = _dec()
    technician_cost_rate: Decimal = _dec()
    tax_rate: Decimal = _dec()
    opening_hours: list[dict[str, Any]] = json_field()
    slot_minutes: int
    slot_capacity: int
    quick_lane_capacity: int
    comeback_window_days: int
    follow_up_due_days: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    vin_check_digit: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    arrival_early_minutes: int = Field(default=120, sa_column_kwargs={"server_default": "120"})
    arrival_late_minutes: int = Field(default=60, sa_column_kwargs={"server_default": "60"})
    next_ro_number: int = 1
    version: int = 1
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)


class Customer(Table, table=True):
    __tablename__ = "customer"
    id: str = Field(primary_key=True, max_length=40)
    site_id: str = Field(index=True, max_length=100)
    name: str = Field(max_length=200)
    phone: str = Field(max_length=40)
    phone_digits: str = Field(index=True, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    consent_contact: bool = False
    consent_marketing: bool = False
    version: int = 1
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)


class Vehicle(Table, table=True):
    __tablename__ = "vehicle"
    __table_args__ = (UniqueConstraint("site_id", "vin", name="uq_vehicle_site_vin"),)
    id: str = Field(primary_key=True, max_length=40)
    site_id: str = Field(index=True, max_length=100)
    vin: str = Field(max_length=17)
    plate: str = Field(max_length=20)
    plate_key: str = Field(index=True, max_length=20)
    make: str = Field(max_length=60)
    model: str = Field(max_length=60)
    year: int
    mileage: int
    customer_id: str | None = Field(default=None, max_length=40)
    version: int = 1
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)


class Appointment(Table, table=True):
    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_slot", "site_id", "lane", "slot_start"),)
    id: str = Field(primary_key=True, max_length=40)
    site_id: str = Field(max_length=100)
    customer_id: str = Field(max_length=40)
    vehicle_id: str = Field(max_length=40)
    lane: str = Field(max_length=20)
    slot_start: datetime = utc_field(nullable=False)
    slot_end: datetime = utc_field(nullable=False)
    concern: str = Field(default="", max_length=1000)
    status: str = Field(max_length=20)
    visit_id: str | None = Field(default=None, max_length=40)
    cancel_reason: str = Field(default="", max_length=500)
    booked_by: str = Field(max_length=200)
    booked_at: datetime = utc_field(nullable=False)
    version: int = 1


class Visit(Table, table=True):
    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_site_arrived", "site_id", "arrived_at"),)
    id: str = Field(primary_key=True, max_length=40)
    site_id: str = Field(max_length=100)
    vehicle_id: str = Field(index=True, max_length=40)
    customer_id: str | None = Field(default=None, max_length=40)
    appointment_id: str | None = Field(default=None, max_length=40)
    arrived_at: datetime = utc_field(nullable=False)
    status: str = Field(max_length=20)  # waiting | ro_opened
    repair_order_id: str | None = Field(default=None, max_length=40)
    recall_status: str = Field(max_length=20)
    recall_campaigns: list[dict[str, Any]] = json_field()
    recorded_by: str = Field(max_length=200)


class RepairOrder(Table, table=True):
    __tablename__ = "repair_order"
    __table_args__ = (
        UniqueConstraint("site_id", "ro_number", name="uq_repair_order_number"),
        Index("ix_repair_order_site_state", "site_id", "state"),
    )
    id: str = Field(primary_key=True, max_length=40)
    site_id: str = Field(max_length=100)
    ro_number: str = Field(max_length=30)
    ro_seq: int
    visit_id: str = Field(max_length=40, unique=True)
    vehicle_id: str = Field(index=True, max_length=40)
    customer_id: str = Field(index=True, max_length=40)
    advisor: str = Field(max_length=200)
    ro_type: str = Field(max_length=40)
    state: str = Field(max_length=30)
    mileage_in: int
    mileage_out: int | None = None
    arrived_at: datetime = utc_field(nullable=False)
    opened_at: datetime = utc_field(nullable=False)
    promised_at: datetime | None = utc_field()
    ready_at: datetime | None = utc_field()
    invoiced_at: datetime | None = utc_field()
    delivered_at: datetime | None = utc_field()
    cancelled_at: datetime | None = utc_field()
    cancel_reason: str = Field(default="", max_length=500)
    is_comeback: bool = False
    comeback_of: str | None = Field(default=None, max_length=40)
    comeback_reason: str = Field(default="", max_length=500)
    comeback_set_by_hand: bool = False
    last_qc_at: datetime | None = utc_field()
    last_qc_passed: bool = False
    recall_status: str = Field(max_length=20)
    recall_campaigns: list[dict[str, Any]] = json_field()
    next_line_position: int = 1
    version: int = 1


class JobLine(Table, table=True):
    __tablename__ = "job_line"
    id: str = Field(primary_key=True, max_length=40)
    repair_order_id: str = Field(index=True, max_length=40)
    site_id: str = Field(max_length=100)
    position: int
    op_code: str = Field(max_length=40)
    description: str = Field(max_length=500)
    complaint: str = Field(default="", max_length=1000)
    pay_type: str = Field(max_length=20)
    sold_hours: Decimal = _dec()
    labour_rate: Decimal = _dec()
    parts_estimate: Decimal = _dec()
    required_skill: str | None = Field(default=None, max_length=60)
    campaign_number: str | None = Field(default=None, max_length=60)
    status: str = Field(max_length=20)
    proposed_at: datetime | None = utc_field()
    decided_at: datetime | None = utc_field()
    decided_by: str | None = Field(default=None, max_length=200)
    decision_method: str | None = Field(default=None, max_length=20)
    decision_recorded_by: str | None = Field(default=None, max_length=200)
    decline_reason: str = Field(default="", max_length=500)
    started_at: datetime | None = utc_field()
    completed_at: datetime | None = utc_field()
    rework_at: datetime | None = utc_field()


class PartsMovement(Table, table=True):
    __tablename__ = "parts_movement"
    __table_args__ = (
        UniqueConstraint(
            "repair_order_id", "request_id", "request_line_id", "kind", "occurred_at", name="uq_parts_movement"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    repair_order_id: str = Field(index=True, max_length=40)
    site_id: str = Field(max_length=100)
    request_id: str = Field(max_length=100)
    request_line_id: str = Field(max_length=100)
    job_line_id: str | None = Field(default=None, max_length=40)
    part_number: str = Field(max_length=60)
    kind: str = Field(max_length=20)  # issued | returned
    quantity: Decimal = _dec()
    unit_cost: Decimal = _dec()
    unit_price: Decimal = _dec()
    occurred_at: datetime = utc_field(nullable=False)


class Invoice(Table, table=True):
    __tablename__ = "invoice"
    id: str = Field(primary_key=True, max_length=40)
    repair_order_id: str = Field(max_length=40, unique=True)
    site_id: str = Field(max_length=100)
    issued_at: datetime = utc_field(nullable=False)
    issued_by: str = Field(max_length=200)
    figures: dict[str, Any] = json_field()


class FollowUp(Table, table=True):
    """The follow-up contact (回访) of one delivered RO: due, reached, or unreachable after the allowed attempts."""

    __tablename__ = "follow_up"
    __table_args__ = (Index("ix_follow_up_site_status", "site_id", "status"),)
    id: str = Field(primary_key=True, max_length=40)
    site_id: str = Field(max_length=100)
    repair_order_id: str = Field(max_length=40, unique=True)
    status: str = Field(max_length=20)
    attempts: int = 0
    open_attempt_id: str | None = Field(default=None, max_length=40)
    closed_at: datetime | None = utc_field()
    version: int = 1


class FollowUpAttempt(Table, table=True):
    __tablename__ = "follow_up_attempt"
    id: str = Field(primary_key=True, max_length=40)
    follow_up_id: str = Field(index=True, max_length=40)
    site_id: str = Field(max_length=100)
    repair_order_id: str = Field(index=True, max_length=40)
    number: int
    channel: str = Field(max_length=20)
    status: str = Field(max_length=20)
    started_at: datetime = utc_field(nullable=False)
    started_by: str = Field(max_length=200)
    result_at: datetime | None = utc_field()
    result_by: str | None = Field(default=None, max_length=200)
    scores: dict[str, Any] = json_field()
    weak_items: dict[str, Any] = json_field()
    comment: str = Field(default="", max_length=2000)


class Complaint(Table, table=True):
    __tablename__ = "complaint"
    __table_args__ = (Index("ix_complaint_site_status", "site_id", "status"),)
    id: str = Field(primary_key=True, max_length=40)
    site_id: str = Field(max_length=100)
    repair_order_id: str | None = Field(default=None, index=True, max_length=40)
    follow_up_attempt_id: str | None = Field(default=None, max_length=40)
    customer_id: str | None = Field(default=None, max_length=40)
    category: str = Field(max_length=60)
    severity: str = Field(max_length=20)
    owner: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    status: str = Field(max_length=20)
    opened_at: datetime = utc_field(nullable=False)
    opened_by: str = Field(max_length=200)
    resolved_at: datetime | None = utc_field()
    outcome: str = Field(default="", max_length=2000)
    comeback_repair_order_id: str | None = Field(default=None, max_length=40)
    version: int = 1


class ComplaintAction(Table, table=True):
    __tablename__ = "complaint_action"
    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(index=True, max_length=40)
    at: datetime = utc_field(nullable=False)
    by: str = Field(max_length=200)
    action: str = Field(max_length=2000)


# The warranty tables live with their subpackage but on this metadata (one database, one migration history).
from services.reception.warranty import tables as _warranty_tables  # noqa: E402,F401

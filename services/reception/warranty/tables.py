"""Warranty tables of the reception service: claims, the submission queue, webhooks received, job clock marks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Column, Date, Index, Text, UniqueConstraint, false
from sqlmodel import Field

from services.reception.adapters.tables import Table
from shared.columns import ExactDecimal, json_field, utc_field


def _dec(nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(ExactDecimal(), nullable=True))
    return Field(sa_column=Column(ExactDecimal(), nullable=False))


def _day(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Date(), nullable=nullable))


class WarrantyClaim(Table, table=True):
    """A claim towards the OEM; `id` is the claim id the OEM knows (and the submission's Idempotency-Key)."""

    __tablename__ = "warranty_claim"
    __table_args__ = (
        UniqueConstraint("repair_order_id", "group_key", name="uq_warranty_claim_group"),
        Index("ix_warranty_claim_site_status", "site_id", "status"),
    )
    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(max_length=100)
    repair_order_id: str = Field(index=True, max_length=40)
    group_key: str = Field(max_length=40)
    ro_number: str = Field(max_length=30)
    job_line_ids: list[str] = json_field()
    status: str = Field(max_length=20)
    version: int = 1
    currency: str = Field(max_length=3)
    dealer_code: str = Field(max_length=40)
    vin: str = Field(index=True, max_length=17)
    mileage_in: int
    mileage_out: int | None = None
    repair_opened_on: date = _day(nullable=False)
    repair_closed_on: date = _day(nullable=False)
    failure_date: date | None = _day()
    repaired_at: datetime = utc_field(nullable=False)
    labour: list[dict[str, Any]] = json_field()  # [{job_line_id, op_code, description, sold_hours, actual_hours}]
    labour_rate: Decimal = _dec()
    time_cards: list[dict[str, Any]] = json_field()  # [{technician_id, job_line_id, hours}]
    causal_part_number: str | None = Field(default=None, max_length=40)
    causal_part_waived: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    causal_part_waiver_reason: str | None = Field(default=None, max_length=1000)
    complaint: str = Field(default="", max_length=2000)
    cause: str = Field(default="", max_length=2000)
    correction: str = Field(default="", max_length=2000)
    condition_code: str = Field(default="", max_length=40)
    defect_code: str = Field(default="", max_length=40)
    parts: list[dict[str, Any]] = json_field()  # [{part_number, quantity, unit_price}]
    sublet: list[dict[str, Any]] = json_field()  # [{description, amount, invoice_ref}]
    campaign_number: str | None = Field(default=None, max_length=40)
    authorisation_number: str | None = Field(default=None, max_length=40)
    claimed_amount: Decimal = _dec()
    approved_amount: Decimal | None = _dec(nullable=True)
    paid_amount: Decimal | None = _dec(nullable=True)
    debited_amount: Decimal | None = _dec(nullable=True)
    payment_reference: str | None = Field(default=None, max_length=60)
    problems: list[dict[str, Any]] = json_field()  # ours at the last change, or the OEM's at intake
    oem_reference: str | None = Field(default=None, max_length=60)
    submission: int = 0  # the OEM's number of our latest submission it took in
    last_payload_hash: str | None = Field(default=None, max_length=64)
    pending_submission_id: int | None = None
    reason_code: str | None = Field(default=None, max_length=60)
    reason: str | None = Field(default=None, max_length=2000)
    close_reason: str = Field(default="", max_length=500)
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)
    submitted_at: datetime | None = utc_field()
    decided_at: datetime | None = utc_field()
    paid_at: datetime | None = utc_field()
    closed_at: datetime | None = utc_field()
    status_checked_at: datetime | None = utc_field()


class WarrantySubmission(Table, table=True):
    """The durable submission queue: a row per submission, retried until the OEM answers."""

    __tablename__ = "warranty_submission"
    __table_args__ = (Index("ix_warranty_submission_due", "finished_at", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    claim_id: str = Field(index=True, max_length=64)
    site_id: str = Field(max_length=100)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    payload_hash: str = Field(max_length=64)
    enqueued_at: datetime = utc_field(nullable=False)
    due_at: datetime = utc_field(nullable=False)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    finished_at: datetime | None = utc_field()
    outcome: str | None = Field(default=None, max_length=20)  # taken_in | refused | failed


class WarrantyWebhook(Table, table=True):
    """Webhook messages applied: the id makes each apply once."""

    __tablename__ = "warranty_webhook"
    webhook_id: str = Field(primary_key=True, max_length=200)
    claim_id: str | None = Field(default=None, max_length=64)
    type: str = Field(max_length=60)
    received_at: datetime = utc_field(nullable=False)
    outcome: str = Field(max_length=20)


class ClockMark(Table, table=True):
    """A workshop clock event on a job (the job id is the reception job line id)."""

    __tablename__ = "warranty_clock_mark"
    __table_args__ = (
        UniqueConstraint("site_id", "job_id", "technician_id", "kind", "at", name="uq_warranty_clock_mark"),
    )
    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(max_length=100)
    job_id: str = Field(index=True, max_length=100)
    technician_id: str = Field(max_length=100)
    kind: str = Field(max_length=10)
    at: datetime = utc_field(nullable=False)


class ClockCorrection(Table, table=True):
    """A foreman's correction of a job clocking."""

    __tablename__ = "warranty_clock_correction"
    site_id: str = Field(primary_key=True, max_length=100)
    adjustment_id: str = Field(primary_key=True, max_length=100)
    job_id: str = Field(index=True, max_length=100)
    technician_id: str = Field(max_length=100)
    original_start: datetime = utc_field(nullable=False)
    corrected_start: datetime = utc_field(nullable=False)
    corrected_end: datetime | None = utc_field()
    adjusted_at: datetime = utc_field(nullable=False)

"""The workshop service's own tables (no other service reads them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, MetaData, UniqueConstraint, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.columns import DecimalText, json_field, utc_field
from shared.db import InfraTables

metadata = MetaData()
infra = InfraTables(metadata)


class Table(SQLModel, registry=registry(metadata=metadata)):
    """Base of the workshop service's SQLModel tables, on its own metadata."""


class SiteRow(Table, table=True):
    """What reception told us about a site (time zone, opening hours)."""

    __tablename__ = "site"
    site_id: str = Field(primary_key=True, max_length=100)
    time_zone: str = Field(max_length=64)
    opening_hours: list[dict[str, Any]] = json_field(default_factory=list)
    configured_at: datetime = utc_field(nullable=False)


class RepairOrderRow(Table, table=True):
    """An RO as far as the floor needs it; created by whichever reception event arrives first."""

    __tablename__ = "repair_order"
    id: str = Field(primary_key=True, max_length=100)
    site_id: str = Field(max_length=100, index=True)
    ro_number: str = Field(default="", max_length=100)
    ro_type: str = Field(default="", max_length=50)
    opened: bool = False
    cancelled_at: datetime | None = utc_field()


class BayRow(Table, table=True):
    __tablename__ = "bay"
    __table_args__ = (UniqueConstraint("site_id", "name", name="uq_bay_site_name"),)
    id: str = Field(primary_key=True, max_length=100)
    site_id: str = Field(max_length=100, index=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=50)
    status: str = Field(max_length=30)
    reason: str = Field(default="", max_length=500)
    expected_return: datetime | None = utc_field()
    job_kinds: list[str] = json_field(default_factory=list)
    last_change_at: datetime = utc_field(nullable=False)
    version: int = 1


class TechnicianRow(Table, table=True):
    __tablename__ = "technician"
    __table_args__ = (UniqueConstraint("site_id", "badge", name="uq_technician_site_badge"),)
    id: str = Field(primary_key=True, max_length=100)
    site_id: str = Field(max_length=100, index=True)
    name: str = Field(max_length=200)
    skills: list[str] = json_field(default_factory=list)
    level: str = Field(max_length=50)
    team: str = Field(default="", max_length=100)
    badge: str | None = Field(default=None, max_length=100)
    pin_hash: str | None = Field(default=None, max_length=200)
    active: bool = True
    last_clock_at: datetime | None = utc_field()
    version: int = 1


class AttendanceRow(Table, table=True):
    """A shift: clocked in → clocked out. `recorded_*` keep what was clocked before any correction."""

    __tablename__ = "attendance"
    __table_args__ = (
        Index(
            "uq_attendance_open",
            "technician_id",
            unique=True,
            sqlite_where=text("end_at IS NULL"),
            postgresql_where=text("end_at IS NULL"),
        ),
    )
    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(max_length=100, index=True)
    technician_id: str = Field(max_length=100, index=True)
    start_at: datetime = utc_field(nullable=False)
    end_at: datetime | None = utc_field()
    shift_end: datetime | None = utc_field()
    recorded_start: datetime = utc_field(nullable=False)
    recorded_end: datetime | None = utc_field()
    adjusted: bool = False


class BreakRow(Table, table=True):
    """An attendance break inside a shift (deducted from attendance hours)."""

    __tablename__ = "attendance_break"
    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(max_length=100)
    technician_id: str = Field(max_length=100, index=True)
    attendance_id: str = Field(max_length=64, index=True)
    start_at: datetime = utc_field(nullable=False)
    end_at: datetime | None = utc_field()


class JobRow(Table, table=True):
    """A job: one reception job line (`id` is its job line id) and where it stands on the floor."""

    __tablename__ = "job"
    id: str = Field(primary_key=True, max_length=100)
    site_id: str = Field(max_length=100, index=True)
    repair_order_id: str = Field(max_length=100, index=True)
    ro_number: str = Field(default="", max_length=100)
    op_code: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=1000)
    required_skill: str | None = Field(default=None, max_length=100)
    sold_hours: Decimal = Field(default=Decimal("0"), sa_column=Column(DecimalText(), nullable=False))
    status: str = Field(max_length=30, index=True)
    approved_at: datetime | None = utc_field()
    decided_at: datetime | None = utc_field()  # time of the latest approval or decline applied
    line_removed: bool = False
    withdrawn_reason: str = Field(default="", max_length=200)
    technician_id: str | None = Field(default=None, max_length=100, index=True)
    bay_id: str | None = Field(default=None, max_length=100, index=True)
    dispatched_at: datetime | None = utc_field()
    pause_reason: str | None = Field(default=None, max_length=30)
    pause_note: str = Field(default="", max_length=500)
    paused_at: datetime | None = utc_field()
    completed_at: datetime | None = utc_field()
    rework_round: int = 0
    last_change_at: datetime | None = utc_field()
    version: int = 1


class JobIntervalRow(Table, table=True):
    """One technician clocked on one job; `recorded_*` keep the clocking before any correction."""

    __tablename__ = "job_interval"
    __table_args__ = (
        Index(
            "uq_job_interval_open",
            "technician_id",
            unique=True,
            sqlite_where=text("end_at IS NULL"),
            postgresql_where=text("end_at IS NULL"),
        ),
    )
    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(max_length=100, index=True)
    job_id: str = Field(max_length=100, index=True)
    technician_id: str = Field(max_length=100, index=True)
    bay_id: str = Field(max_length=100)
    start_at: datetime = utc_field(nullable=False)
    end_at: datetime | None = utc_field()
    end_reason: str = Field(default="", max_length=50)
    recorded_start: datetime = utc_field(nullable=False)
    recorded_end: datetime | None = utc_field()
    adjusted: bool = False


class AdjustmentRow(Table, table=True):
    """A foreman's correction of a clocking; the interval keeps its recorded times too."""

    __tablename__ = "clocking_adjustment"
    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(max_length=100, index=True)
    technician_id: str = Field(max_length=100)
    job_id: str | None = Field(default=None, max_length=100)
    interval_id: str = Field(max_length=64, index=True)
    original_start: datetime = utc_field(nullable=False)
    original_end: datetime | None = utc_field()
    corrected_start: datetime = utc_field(nullable=False)
    corrected_end: datetime | None = utc_field()
    reason: str = Field(max_length=500)
    adjusted_by: str = Field(max_length=200)
    adjusted_at: datetime = utc_field(nullable=False)


class PartsRequestRow(Table, table=True):
    __tablename__ = "parts_request"
    id: str = Field(primary_key=True, max_length=100)
    site_id: str = Field(max_length=100, index=True)
    job_id: str = Field(max_length=100, index=True)
    repair_order_id: str = Field(max_length=100)
    requested_by: str = Field(max_length=200)
    lines: list[dict[str, Any]] = json_field(default_factory=list)
    requested_at: datetime = utc_field(nullable=False)
    issued_at: datetime | None = utc_field()  # when issued in full
    backordered_until: datetime | None = utc_field()
    backordered: bool = False


class QcResultRow(Table, table=True):
    __tablename__ = "qc_result"
    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(max_length=100, index=True)
    repair_order_id: str = Field(max_length=100, index=True)
    passed: bool
    inspector: str = Field(max_length=200)
    reason: str = Field(default="", max_length=1000)
    job_ids: list[str] = json_field(default_factory=list)
    recorded_at: datetime = utc_field(nullable=False)


class StaleFlagRow(Table, table=True):
    """A stale clock flagged once (by `key`); cleared when the clock is fixed."""

    __tablename__ = "stale_flag"
    id: str = Field(primary_key=True, max_length=64)
    key: str = Field(max_length=300, unique=True)
    site_id: str = Field(max_length=100, index=True)
    technician_id: str = Field(max_length=100)
    job_id: str | None = Field(default=None, max_length=100)
    kind: str = Field(max_length=50)
    since: datetime = utc_field(nullable=False)
    flagged_at: datetime = utc_field(nullable=False)
    cleared_at: datetime | None = utc_field(index=True)

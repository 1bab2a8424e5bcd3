"""The kpi service's own tables: normalized facts projected from events, targets and reference data.

Fact rows are keyed by natural ids and merged commutatively (earliest/latest-by-event-time/fill), so the
projection is the same whatever order events arrive in. Derived interval rows are recomputed from the
marks they pair, never accumulated.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, MetaData, String
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from shared.db import InfraTables, UtcDateTime

metadata = MetaData()
infra = InfraTables(metadata)


class Table(SQLModel, registry=registry(metadata=metadata)):
    """Base of the kpi service's SQLModel tables, on its own metadata."""


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as text (SQLite has no exact numeric type)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> str | None:
        """Store the canonical text."""
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: str | None, dialect: Any) -> Decimal | None:
        """Read it back exactly."""
        return None if value is None else Decimal(value)


def _time(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


def _money(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DecimalText(), nullable=nullable))


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


def _key(length: int = 200) -> Any:
    return Field(primary_key=True, max_length=length)


# --- reference: sites, technicians, bays -------------------------------------------------------


class SiteFact(Table, table=True):
    """Every site seen on any topic; its configuration once SiteConfigured arrives (latest wins)."""

    __tablename__ = "kpi_site"
    site_id: str = _key(100)
    name: str | None = Field(default=None, max_length=200)
    time_zone: str | None = Field(default=None, max_length=64)
    opening_hours: list[dict[str, Any]] | None = _json()
    labour_rate: Decimal | None = _money()
    technician_cost_rate: Decimal | None = _money()
    comeback_window_days: int | None = None
    configured_at: datetime | None = _time()


class TechnicianFact(Table, table=True):
    __tablename__ = "kpi_technician"
    site_id: str = _key(100)
    technician_id: str = _key()
    name: str | None = Field(default=None, max_length=200)
    name_at: datetime | None = _time()


class BayFact(Table, table=True):
    __tablename__ = "kpi_bay"
    site_id: str = _key(100)
    bay_id: str = _key()
    name: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=100)
    name_at: datetime | None = _time()


class BayStatusFact(Table, table=True):
    """One status change of a bay; open time is derived from the sorted changes at read time."""

    __tablename__ = "kpi_bay_status"
    site_id: str = _key(100)
    bay_id: str = _key()
    at: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    status: str = _key(30)


# --- reception: visits, repair orders, job lines, invoices, appointments ------------------------


class VisitFact(Table, table=True):
    """A vehicle's arrival (an entry); the RO opened on it names it too."""

    __tablename__ = "kpi_visit"
    __table_args__ = (Index("ix_kpi_visit_arrived", "site_id", "arrived_at"),)
    site_id: str = _key(100)
    visit_id: str = _key()
    vehicle_id: str | None = Field(default=None, max_length=200)
    appointment_id: str | None = Field(default=None, max_length=200, index=True)
    arrived_at: datetime | None = _time()
    repair_order_id: str | None = Field(default=None, max_length=200)
    ro_arrived_at: datetime | None = _time()


class RepairOrderFact(Table, table=True):
    __tablename__ = "kpi_repair_order"
    __table_args__ = (
        Index("ix_kpi_ro_opened", "site_id", "opened_at"),
        Index("ix_kpi_ro_ready", "site_id", "ready_at"),
        Index("ix_kpi_ro_delivered", "site_id", "delivered_at"),
        Index("ix_kpi_ro_comeback_of", "site_id", "comeback_of"),
    )
    site_id: str = _key(100)
    repair_order_id: str = _key()
    ro_number: str | None = Field(default=None, max_length=100)
    visit_id: str | None = Field(default=None, max_length=200)
    vehicle_id: str | None = Field(default=None, max_length=200)
    advisor: str | None = Field(default=None, max_length=200)
    arrived_at: datetime | None = _time()
    opened_at: datetime | None = _time()
    ready_at: datetime | None = _time()
    delivered_at: datetime | None = _time()
    cancelled_at: datetime | None = _time()
    ro_type: str | None = Field(default=None, max_length=50)
    ro_type_at: datetime | None = _time()
    promised_at: datetime | None = _time()
    promised_set_at: datetime | None = _time()
    is_comeback: bool | None = None
    comeback_set_at: datetime | None = _time()
    comeback_of: str | None = Field(default=None, max_length=200)
    comeback_of_at: datetime | None = _time()


class JobLineFact(Table, table=True):
    __tablename__ = "kpi_job_line"
    site_id: str = _key(100)
    repair_order_id: str = _key()
    job_line_id: str = _key()
    op_code: str | None = Field(default=None, max_length=100)
    pay_type: str | None = Field(default=None, max_length=30)
    sold_hours: Decimal | None = _money()
    labour_rate: Decimal | None = _money()
    line_at: datetime | None = _time()
    removed_at: datetime | None = _time()
    proposed_at: datetime | None = _time()
    approved_at: datetime | None = _time(index=True)
    declined_at: datetime | None = _time(index=True)


class InvoiceFact(Table, table=True):
    """An invoice as issued (immutable); an RO's current invoice is its latest one."""

    __tablename__ = "kpi_invoice"
    __table_args__ = (Index("ix_kpi_invoice_at", "site_id", "invoiced_at"), Index("ix_kpi_invoice_ro", "site_id", "repair_order_id"))
    site_id: str = _key(100)
    invoice_id: str = _key()
    repair_order_id: str = Field(max_length=200)
    invoiced_at: datetime = _time(nullable=False)
    ro_type: str = Field(max_length=50)
    labour_amount: Decimal = _money(nullable=False)
    parts_amount: Decimal = _money(nullable=False)
    sublet_amount: Decimal = _money(nullable=False)
    total_amount: Decimal = _money(nullable=False)
    parts_cost: Decimal = _money(nullable=False)
    sublet_cost: Decimal = _money(nullable=False)
    sold_hours: Decimal = _money(nullable=False)
    amounts_by_pay_type: dict[str, str] | None = _json()
    lines: list[dict[str, Any]] | None = _json()


class AppointmentFact(Table, table=True):
    __tablename__ = "kpi_appointment"
    __table_args__ = (Index("ix_kpi_appointment_slot", "site_id", "slot_start"),)
    site_id: str = _key(100)
    appointment_id: str = _key()
    vehicle_id: str | None = Field(default=None, max_length=200)
    slot_start: datetime | None = _time()
    slot_end: datetime | None = _time()
    slot_at: datetime | None = _time()
    booked_at: datetime | None = _time()
    cancelled_at: datetime | None = _time()
    no_show_at: datetime | None = _time()


# --- workshop: jobs, clock marks and the intervals derived from them, attendance, QC -------------


class JobFact(Table, table=True):
    __tablename__ = "kpi_job"
    __table_args__ = (
        Index("ix_kpi_job_completed", "site_id", "first_completed_at"),
        Index("ix_kpi_job_first_on", "site_id", "first_clock_on"),
        Index("ix_kpi_job_ro", "site_id", "repair_order_id"),
    )
    site_id: str = _key(100)
    job_id: str = _key()
    repair_order_id: str | None = Field(default=None, max_length=200)
    queued_at: datetime | None = _time()
    approved_at: datetime | None = _time()
    queued_sold_hours: Decimal | None = _money()
    queued_sold_at: datetime | None = _time()
    withdrawn_at: datetime | None = _time()
    first_clock_on: datetime | None = _time()
    first_completed_at: datetime | None = _time()
    completed_by: str | None = Field(default=None, max_length=200)
    completion_sold_hours: Decimal | None = _money()
    completion_sold_at: datetime | None = _time()


class JobMarkFact(Table, table=True):
    """One point of a job's clock: on, resume, pause, off, complete, dispatch or withdraw."""

    __tablename__ = "kpi_job_mark"
    __table_args__ = (Index("ix_kpi_job_mark_ro", "site_id", "repair_order_id", "kind"),)
    site_id: str = _key(100)
    job_id: str = _key()
    at: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    kind: str = _key(20)
    technician_id: str = _key()
    bay_id: str | None = Field(default=None, max_length=200)
    repair_order_id: str | None = Field(default=None, max_length=200)


class JobIntervalFact(Table, table=True):
    """Derived: a technician clocked on a job in a bay from start to end (None: still on)."""

    __tablename__ = "kpi_job_interval"
    __table_args__ = (Index("ix_kpi_job_interval_start", "site_id", "start"),)
    site_id: str = _key(100)
    job_id: str = _key()
    technician_id: str = _key()
    start: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    end: datetime | None = _time()
    bay_id: str | None = Field(default=None, max_length=200)
    repair_order_id: str | None = Field(default=None, max_length=200)


class BayHoldFact(Table, table=True):
    """Derived: a job held a bay from its first clock-on there until completed or moved away."""

    __tablename__ = "kpi_bay_hold"
    __table_args__ = (Index("ix_kpi_bay_hold_start", "site_id", "start"),)
    site_id: str = _key(100)
    job_id: str = _key()
    bay_id: str = _key()
    start: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    end: datetime | None = _time()


class AttendanceMarkFact(Table, table=True):
    """One point of a technician's attendance: in, out, break_start, break_end."""

    __tablename__ = "kpi_attendance_mark"
    site_id: str = _key(100)
    technician_id: str = _key()
    at: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    kind: str = _key(20)


class AttendanceIntervalFact(Table, table=True):
    """Derived: a shift or a break of a technician (end None: still running)."""

    __tablename__ = "kpi_attendance_interval"
    __table_args__ = (Index("ix_kpi_attendance_interval_start", "site_id", "start"),)
    site_id: str = _key(100)
    technician_id: str = _key()
    series: str = _key(10)
    start: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    end: datetime | None = _time()


class ClockingAdjustmentFact(Table, table=True):
    """A foreman's correction, applied at read time to the interval that started at original_start."""

    __tablename__ = "kpi_clocking_adjustment"
    site_id: str = _key(100)
    adjustment_id: str = _key()
    technician_id: str = Field(max_length=200)
    job_id: str | None = Field(default=None, max_length=200, index=True)
    original_start: datetime = _time(nullable=False)
    original_end: datetime | None = _time()
    corrected_start: datetime = _time(nullable=False)
    corrected_end: datetime | None = _time()
    adjusted_at: datetime = _time(nullable=False)


class StaleClockFact(Table, table=True):
    """A clock the workshop flagged stale (once per condition); whether it still runs is read from the clock intervals."""

    __tablename__ = "kpi_stale_clock"
    site_id: str = _key(100)
    flag_id: str = _key(400)  # kind, technician, job and `since` (UTC): the workshop's condition
    technician_id: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    job_id: str | None = Field(default=None, max_length=200)
    since: datetime = _time(nullable=False)
    flagged_at: datetime | None = _time()


class QcResultFact(Table, table=True):
    __tablename__ = "kpi_qc_result"
    __table_args__ = (Index("ix_kpi_qc_at", "site_id", "at"),)
    site_id: str = _key(100)
    repair_order_id: str = _key()
    at: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    passed: bool = Field(primary_key=True)
    inspector: str | None = Field(default=None, max_length=200)


# --- parts ---------------------------------------------------------------------------------------


class PartsRequestFact(Table, table=True):
    __tablename__ = "kpi_parts_request"
    __table_args__ = (Index("ix_kpi_parts_request_at", "site_id", "requested_at"),
                      Index("ix_kpi_parts_request_ro", "site_id", "repair_order_id"))  # the open requests of ROs in progress
    site_id: str = _key(100)
    request_id: str = _key()
    repair_order_id: str | None = Field(default=None, max_length=200)
    job_id: str | None = Field(default=None, max_length=200)
    requested_at: datetime | None = _time()
    fully_issued_at: datetime | None = _time(index=True)


class PartsRequestLineFact(Table, table=True):
    __tablename__ = "kpi_parts_request_line"
    site_id: str = _key(100)
    request_id: str = _key()
    request_line_id: str = _key()
    part_number: str = Field(max_length=200)
    quantity: Decimal = _money(nullable=False)


class PartsIssueLineFact(Table, table=True):
    __tablename__ = "kpi_parts_issue_line"
    site_id: str = _key(100)
    request_id: str = _key()
    request_line_id: str = _key()
    at: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    position: int = Field(primary_key=True)
    quantity: Decimal = _money(nullable=False)
    from_stock_at_first_pick: bool = False


class BackorderFact(Table, table=True):
    __tablename__ = "kpi_backorder"
    site_id: str = _key(100)
    backorder_id: str = _key()
    request_id: str | None = Field(default=None, max_length=200)
    part_number: str | None = Field(default=None, max_length=200)
    created_at: datetime | None = _time()
    filled_at: datetime | None = _time()


class StockFlagFact(Table, table=True):
    """A part went below (or back above) its reorder point at `at`."""

    __tablename__ = "kpi_stock_flag"
    site_id: str = _key(100)
    part_number: str = _key()
    at: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    below: bool = Field(primary_key=True)


# --- owned by kpi: targets and reference data ---------------------------------------------------


class TargetYear(Table, table=True):
    """The version of a site's targets for a year (its ETag)."""

    __tablename__ = "kpi_target_year"
    site_id: str = _key(100)
    year: int = Field(primary_key=True)
    version: int = 0
    updated_at: datetime | None = _time()
    updated_by: str | None = Field(default=None, max_length=200)


class TargetMonth(Table, table=True):
    __tablename__ = "kpi_target"
    site_id: str = _key(100)
    year: int = Field(primary_key=True)
    indicator: str = _key(60)
    month: int = Field(primary_key=True)
    value: Decimal = _money(nullable=False)


class ReferenceData(Table, table=True):
    """What the floor's events cannot give, entered by a manager per site and month."""

    __tablename__ = "kpi_reference_data"
    site_id: str = _key(100)
    month: str = _key(7)
    vehicles_in_operation: int | None = None
    service_headcount: int | None = None
    leavers: int | None = None
    vehicles_due_free_inspection: int | None = None
    vehicles_due_paid_maintenance: int | None = None
    version: int = 0
    updated_at: datetime | None = _time()
    updated_by: str | None = Field(default=None, max_length=200)


PROJECTION_TABLES = [
    SiteFact, TechnicianFact, BayFact, BayStatusFact, VisitFact, RepairOrderFact, JobLineFact, InvoiceFact,
    AppointmentFact, JobFact, JobMarkFact, JobIntervalFact, BayHoldFact, AttendanceMarkFact, AttendanceIntervalFact,
    ClockingAdjustmentFact, QcResultFact, PartsRequestFact, PartsRequestLineFact, PartsIssueLineFact, BackorderFact,
    StockFlagFact, StaleClockFact,
]


# The satisfaction facts live with their subpackage but on this metadata (one database, one migration history).
from services.kpi.satisfaction.tables import ComplaintFact, FollowUpAttemptFact, FollowUpDueFact  # noqa: E402

# The warranty claims too (services/kpi/warranty); a rebuild clears them with the other projection tables.
from services.kpi.warranty.tables import WarrantyClaimFact  # noqa: E402

PROJECTION_TABLES.extend([FollowUpDueFact, FollowUpAttemptFact, ComplaintFact, WarrantyClaimFact])

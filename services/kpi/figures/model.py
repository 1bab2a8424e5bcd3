"""Plain facts the figures are computed from (times are POSIX seconds, None when unknown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class OpeningHours:
    weekday: int  # 0 = Monday
    opens: str  # "HH:MM", site local time
    closes: str


@dataclass(frozen=True)
class SiteConfig:
    time_zone: str = "UTC"
    opening_hours: tuple[OpeningHours, ...] = ()
    labour_rate: Decimal | None = None
    technician_cost_rate: Decimal | None = None
    configured: bool = False


@dataclass(frozen=True)
class Visit:
    visit_id: str
    arrived_at: float | None
    appointment_id: str | None = None
    repair_order_id: str | None = None
    vehicle_id: str | None = None


@dataclass(frozen=True)
class RepairOrder:
    repair_order_id: str
    opened_at: float | None
    ro_type: str | None = None
    visit_id: str | None = None
    vehicle_id: str | None = None
    arrived_at: float | None = None
    ready_at: float | None = None
    delivered_at: float | None = None
    cancelled_at: float | None = None
    promised_at: float | None = None
    is_comeback: bool = False
    comeback_of: str | None = None


@dataclass(frozen=True)
class JobLine:
    repair_order_id: str
    job_line_id: str
    pay_type: str | None = None
    sold_hours: Decimal | None = None
    removed_at: float | None = None
    proposed_at: float | None = None
    approved_at: float | None = None
    declined_at: float | None = None


@dataclass(frozen=True)
class InvoiceLine:
    kind: str
    pay_type: str
    amount: Decimal
    job_line_id: str | None = None
    sold_hours: Decimal = Decimal("0")


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    repair_order_id: str
    invoiced_at: float
    ro_type: str
    labour: Decimal
    parts: Decimal
    sublet: Decimal
    total: Decimal
    parts_cost: Decimal
    sublet_cost: Decimal
    sold_hours: Decimal
    by_pay_type: dict[str, Decimal] = field(default_factory=dict)
    lines: tuple[InvoiceLine, ...] = ()


@dataclass(frozen=True)
class Job:
    job_id: str
    repair_order_id: str | None
    approved_at: float | None = None
    queued_at: float | None = None
    withdrawn_at: float | None = None
    first_clock_on: float | None = None
    first_completed_at: float | None = None
    completed_by: str | None = None
    completion_sold_hours: Decimal | None = None
    queued_sold_hours: Decimal | None = None


@dataclass(frozen=True)
class ClockInterval:
    """A technician clocked on a job (end None: still on)."""

    job_id: str
    technician_id: str
    start: float
    end: float | None
    bay_id: str | None = None


@dataclass(frozen=True)
class Hold:
    job_id: str
    bay_id: str
    start: float
    end: float | None


@dataclass(frozen=True)
class Attendance:
    """A shift (clocked in → out) or a break of a technician."""

    technician_id: str
    series: str  # "shift" | "break"
    start: float
    end: float | None


@dataclass(frozen=True)
class Adjustment:
    adjustment_id: str
    technician_id: str
    job_id: str | None
    original_start: float
    corrected_start: float
    corrected_end: float | None
    adjusted_at: float


@dataclass(frozen=True)
class BayStatus:
    bay_id: str
    at: float
    status: str


@dataclass(frozen=True)
class QcResult:
    repair_order_id: str
    at: float
    passed: bool


@dataclass(frozen=True)
class JobMark:
    """A point of a job's clock that WIP states and QC waits look at (on, resume, complete, withdraw)."""

    job_id: str
    repair_order_id: str | None
    at: float
    kind: str


@dataclass(frozen=True)
class RequestLine:
    request_line_id: str
    quantity: Decimal
    first_pick_quantity: Decimal = Decimal("0")


@dataclass(frozen=True)
class PartsRequest:
    request_id: str
    requested_at: float | None
    fully_issued_at: float | None = None
    lines: tuple[RequestLine, ...] = ()


@dataclass(frozen=True)
class Backorder:
    backorder_id: str
    created_at: float | None
    filled_at: float | None = None


@dataclass(frozen=True)
class StockFlag:
    part_number: str
    at: float
    below: bool


@dataclass(frozen=True)
class Appointment:
    appointment_id: str
    slot_start: float | None
    cancelled_at: float | None = None
    arrived: bool = False


@dataclass(frozen=True)
class StaleFlag:
    """A clock the workshop flagged stale: a technician's clock on a job (`job_id`), or their shift (None)."""

    technician_id: str
    kind: str
    job_id: str | None
    since: float
    flagged_at: float


@dataclass(frozen=True)
class RoPartsRequest:
    """A parts request for a job of an RO in progress, not issued in full when read."""

    request_id: str
    repair_order_id: str
    job_id: str | None
    requested_at: float
    fully_issued_at: float | None = None


@dataclass(frozen=True)
class QueuedVisit:
    """A vehicle's arrival of the day read, with when an RO was opened on it (None: not yet)."""

    visit_id: str
    arrived_at: float
    opened_at: float | None = None


@dataclass
class Facts:
    """Everything known about one site that a window's figures may need."""

    site: SiteConfig = field(default_factory=SiteConfig)
    technician_names: dict[str, str] = field(default_factory=dict)
    bay_names: dict[str, str] = field(default_factory=dict)
    visits: list[Visit] = field(default_factory=list)
    repair_orders: list[RepairOrder] = field(default_factory=list)
    comebacks_against: set[str] = field(default_factory=set)
    job_lines: list[JobLine] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    clock_intervals: list[ClockInterval] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    bay_statuses: list[BayStatus] = field(default_factory=list)
    qc_results: list[QcResult] = field(default_factory=list)
    job_marks: list[JobMark] = field(default_factory=list)
    parts_requests: list[PartsRequest] = field(default_factory=list)
    backorders: list[Backorder] = field(default_factory=list)
    stock_flags: list[StockFlag] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    stale_flags: list[StaleFlag] = field(default_factory=list)
    ro_parts_requests: list[RoPartsRequest] = field(default_factory=list)
    queued_visits: list[QueuedVisit] = field(default_factory=list)

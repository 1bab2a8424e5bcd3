"""Events the reception service publishes on `pitwall.reception.v1`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Event

TOPIC = "pitwall.reception.v1"


class RoType(StrEnum):
    SCHEDULED_MAINTENANCE = "scheduled_maintenance"
    FIRST_FREE_SERVICE = "first_free_service"
    WARRANTY = "warranty"
    GENERAL_REPAIR = "general_repair"
    BODY_AND_PAINT = "body_and_paint"
    ACCIDENT = "accident"
    ACCESSORIES = "accessories"


class PayType(StrEnum):
    CUSTOMER = "customer"
    WARRANTY = "warranty"
    INTERNAL = "internal"
    INSURANCE = "insurance"


class ApprovalMethod(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    LINK = "link"


class OpeningHours(BaseModel):
    """Opening time and closing time of one weekday (0 = Monday), site local time, 'HH:MM'."""

    model_config = ConfigDict(frozen=True)

    weekday: int
    opens: str
    closes: str


class JobLine(BaseModel):
    """A job line of a repair order as the other services see it."""

    model_config = ConfigDict(frozen=True)

    job_line_id: str
    op_code: str
    description: str
    complaint: str = ""
    pay_type: PayType
    sold_hours: Decimal
    labour_rate: Decimal
    required_skill: str | None = None
    campaign_number: str | None = None


class InvoiceLine(BaseModel):
    """One invoiced line: labour (per job line), parts or sublet, before tax."""

    model_config = ConfigDict(frozen=True)

    kind: str  # "labour" | "parts" | "sublet"
    pay_type: PayType
    amount: Decimal
    cost: Decimal = Decimal("0")
    job_line_id: str | None = None
    sold_hours: Decimal = Decimal("0")
    part_number: str | None = None
    quantity: Decimal = Decimal("0")


class _Reception(Event):
    topic: ClassVar[str] = TOPIC


class _Appointment(_Reception):
    aggregate: ClassVar[str] = "appointment"
    appointment_id: str


class _RepairOrder(_Reception):
    aggregate: ClassVar[str] = "repair_order"
    repair_order_id: str


class SiteConfigured(_Reception):
    """A site's settings as they now are: time zone, opening hours, rates and the comeback window."""

    type: ClassVar[str] = "pitwall.reception.site.configured.v1"
    aggregate: ClassVar[str] = "site"
    name: str
    time_zone: str
    opening_hours: list[OpeningHours]
    labour_rate: Decimal
    technician_cost_rate: Decimal
    tax_rate: Decimal
    comeback_window_days: int


class AppointmentBooked(_Appointment):
    """A customer booked a service slot for a vehicle, on a reception lane."""

    type: ClassVar[str] = "pitwall.reception.appointment.booked.v1"
    customer_id: str
    vehicle_id: str
    slot_start: datetime
    slot_end: datetime
    lane: str = "standard"


class AppointmentRescheduled(_Appointment):
    """An appointment moved to another slot."""

    type: ClassVar[str] = "pitwall.reception.appointment.rescheduled.v1"
    slot_start: datetime
    slot_end: datetime


class AppointmentCancelled(_Appointment):
    """A booked appointment was cancelled before its slot."""

    type: ClassVar[str] = "pitwall.reception.appointment.cancelled.v1"
    reason: str = ""


class AppointmentNoShow(_Appointment):
    """The slot of an appointment passed without the vehicle arriving."""

    type: ClassVar[str] = "pitwall.reception.appointment.no_show.v1"


class VehicleArrived(_Reception):
    """A vehicle arrived at reception (on an appointment or not)."""

    type: ClassVar[str] = "pitwall.reception.vehicle.arrived.v1"
    aggregate: ClassVar[str] = "visit"
    visit_id: str
    vehicle_id: str
    customer_id: str | None = None
    vin: str
    appointment_id: str | None = None


class RecallChecked(_Reception):
    """The OEM was asked for open recall campaigns on an arriving vehicle's VIN, and answered (or could not)."""

    type: ClassVar[str] = "pitwall.reception.recall.checked.v1"
    aggregate: ClassVar[str] = "visit"
    visit_id: str
    vin: str
    status: str  # "open_campaigns" | "none" | "unknown"
    campaign_numbers: list[str] = []


class RepairOrderOpened(_RepairOrder):
    """A repair order opened for a vehicle at reception, with its type, promised time and first job lines."""

    type: ClassVar[str] = "pitwall.reception.repair_order.opened.v1"
    ro_number: str
    visit_id: str
    vehicle_id: str
    customer_id: str
    vin: str
    advisor: str
    ro_type: RoType
    mileage_in: int
    arrived_at: datetime
    promised_at: datetime | None = None
    is_comeback: bool = False
    comeback_of: str | None = None
    job_lines: list[JobLine] = []


class JobLineAdded(_RepairOrder):
    """A job line added to a repair order (proposed to the customer, or pre-approved)."""

    type: ClassVar[str] = "pitwall.reception.job_line.added.v1"
    line: JobLine


class JobLineChanged(_RepairOrder):
    """A job line's operation, hours, rate or pay type changed; the event carries the whole line as it now is."""

    type: ClassVar[str] = "pitwall.reception.job_line.changed.v1"
    line: JobLine


class JobLineRemoved(_RepairOrder):
    """A job line withdrawn from a repair order."""

    type: ClassVar[str] = "pitwall.reception.job_line.removed.v1"
    job_line_id: str


class ApprovalRequested(_RepairOrder):
    """The estimate for these lines was put to the customer; the approval wait starts."""

    type: ClassVar[str] = "pitwall.reception.repair_order.approval_requested.v1"
    job_line_ids: list[str]


class JobLineApproved(_RepairOrder):
    """The customer approved a job line, in person, by phone or through a link."""

    type: ClassVar[str] = "pitwall.reception.job_line.approved.v1"
    job_line_id: str
    line: JobLine
    by: str
    method: ApprovalMethod


class JobLineDeclined(_RepairOrder):
    """The customer declined a proposed job line."""

    type: ClassVar[str] = "pitwall.reception.job_line.declined.v1"
    job_line_id: str
    by: str
    method: ApprovalMethod


class RepairOrderReady(_RepairOrder):
    """A repair order's work is done and its last quality check passed: the vehicle can be collected."""

    type: ClassVar[str] = "pitwall.reception.repair_order.ready.v1"
    ro_number: str
    promised_at: datetime | None = None


class RepairOrderInvoiced(_RepairOrder):
    """Amounts before tax; `lines` restate each job line's sold hours as invoiced."""

    type: ClassVar[str] = "pitwall.reception.repair_order.invoiced.v1"
    invoice_id: str
    ro_number: str
    ro_type: RoType
    labour_amount: Decimal
    parts_amount: Decimal
    sublet_amount: Decimal
    total_amount: Decimal
    tax_amount: Decimal
    parts_cost: Decimal
    sublet_cost: Decimal
    sold_hours: Decimal
    amounts_by_pay_type: dict[PayType, Decimal]
    lines: list[InvoiceLine]


class VehicleDelivered(_RepairOrder):
    """A vehicle handed back to its customer; the follow-up call falls due at follow_up_due_at."""

    type: ClassVar[str] = "pitwall.reception.vehicle.delivered.v1"
    mileage_out: int
    # End of the follow-up's due day (site-local midnight after it); None when the customer declined contact.
    follow_up_due_at: datetime | None = None


class RepairOrderCancelled(_RepairOrder):
    """A repair order cancelled before delivery, with the reason."""

    type: ClassVar[str] = "pitwall.reception.repair_order.cancelled.v1"
    reason: str = ""


class ComebackFlagged(_RepairOrder):
    """A repair order marked as a comeback of an earlier one (by the advisor, or automatically on a repeat visit)."""

    type: ClassVar[str] = "pitwall.reception.repair_order.comeback_flagged.v1"
    comeback_of: str | None = None
    reason: str = ""
    automatic: bool = False


class ComebackUnflagged(_RepairOrder):
    """A repair order's comeback mark removed, with the reason."""

    type: ClassVar[str] = "pitwall.reception.repair_order.comeback_unflagged.v1"
    reason: str


class FollowUpChannel(StrEnum):
    PHONE = "phone"
    MESSAGE = "message"
    LINK = "link"


class FollowUpRecorded(_RepairOrder):
    """The result of one follow-up attempt (回访) after delivery: reached or not, scores 1–5, weak items (true = good)."""

    type: ClassVar[str] = "pitwall.reception.follow_up.recorded.v1"
    attempt_id: str
    attempt_number: int
    channel: FollowUpChannel
    reached: bool
    advisor: str
    delivered_at: datetime
    due_at: datetime  # end of the due day
    scores: dict[str, int] = {}  # category -> 1..5 (see services/reception/domain/follow_up.py CATEGORIES)
    weak_items: dict[str, bool] = Field(default={}, description="item -> was this good? true = good, false = weak")
    comment: str = ""
    contacted_by: str = ""
    closes_follow_up: bool = False  # reached, or the last attempt allowed


class _Complaint(_Reception):
    aggregate: ClassVar[str] = "complaint"
    complaint_id: str


class ComplaintOpened(_Complaint):
    """A customer complaint recorded against a repair order, with its category, severity and owner."""

    type: ClassVar[str] = "pitwall.reception.complaint.opened.v1"
    repair_order_id: str | None = None
    follow_up_attempt_id: str | None = None
    advisor: str | None = None  # the RO's advisor when the complaint is about a repair
    category: str
    severity: str  # low | medium | high
    owner: str
    description: str = ""


class ComplaintActionRecorded(_Complaint):
    """An action taken on a customer complaint (e.g. a call back, or a comeback repair order opened)."""

    type: ClassVar[str] = "pitwall.reception.complaint.action_recorded.v1"
    action: str
    by: str
    comeback_repair_order_id: str | None = None


class ComplaintResolved(_Complaint):
    """A customer complaint closed with its outcome."""

    type: ClassVar[str] = "pitwall.reception.complaint.resolved.v1"
    outcome: str
    opened_at: datetime
    repair_order_id: str | None = None
    advisor: str | None = None


EVENTS: tuple[type[Event], ...] = (
    SiteConfigured,
    AppointmentBooked,
    AppointmentRescheduled,
    AppointmentCancelled,
    AppointmentNoShow,
    VehicleArrived,
    RecallChecked,
    RepairOrderOpened,
    JobLineAdded,
    JobLineChanged,
    JobLineRemoved,
    ApprovalRequested,
    JobLineApproved,
    JobLineDeclined,
    RepairOrderReady,
    RepairOrderInvoiced,
    VehicleDelivered,
    RepairOrderCancelled,
    ComebackFlagged,
    ComebackUnflagged,
    FollowUpRecorded,
    ComplaintOpened,
    ComplaintActionRecorded,
    ComplaintResolved,
)

"""Events the workshop service publishes on `pitwall.workshop.v1`.

A job is one approved reception job line: `job_id` is the reception `job_line_id`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.contracts.base import Event

TOPIC = "pitwall.workshop.v1"


class BayStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    OUT_OF_SERVICE = "out_of_service"


class PauseReason(StrEnum):
    WAITING_PARTS = "waiting_parts"
    WAITING_APPROVAL = "waiting_approval"
    WAITING_SUBLET = "waiting_sublet"
    BREAK = "break"
    OTHER = "other"


class StaleClockKind(StrEnum):
    JOB_PAST_CLOCK_OUT = "job_past_clock_out"
    JOB_OVER_SOLD_HOURS = "job_over_sold_hours"
    SHIFT_OVERRUN = "shift_overrun"


class RequestedPart(BaseModel):
    model_config = ConfigDict(frozen=True)

    part_number: str
    quantity: Decimal


class _Workshop(Event):
    topic: ClassVar[str] = TOPIC


class _Technician(_Workshop):
    aggregate: ClassVar[str] = "technician"
    technician_id: str


class _Job(_Workshop):
    aggregate: ClassVar[str] = "job"
    job_id: str
    repair_order_id: str


class BayStatusChanged(_Workshop):
    """A bay was created or its status changed; `open` is what counts as open time."""

    type: ClassVar[str] = "pitwall.workshop.bay.status_changed.v1"
    aggregate: ClassVar[str] = "bay"
    bay_id: str
    name: str
    kind: str
    status: BayStatus
    reason: str = ""
    expected_return: datetime | None = None


class TechnicianClockedIn(_Technician):
    """A technician clocked in for a shift (name as shown on the boards; shift_end when planned)."""

    type: ClassVar[str] = "pitwall.workshop.technician.clocked_in.v1"
    name: str
    shift_end: datetime | None = None


class TechnicianClockedOut(_Technician):
    """A technician clocked out at the end of a shift."""

    type: ClassVar[str] = "pitwall.workshop.technician.clocked_out.v1"


class TechnicianBreakStarted(_Technician):
    """A technician started a break (the clocks of their jobs pause meanwhile)."""

    type: ClassVar[str] = "pitwall.workshop.technician.break_started.v1"


class TechnicianBreakEnded(_Technician):
    """A technician came back from a break."""

    type: ClassVar[str] = "pitwall.workshop.technician.break_ended.v1"


class JobQueued(_Job):
    """An approved job line waits in the workshop's queue for a technician, with its sold hours."""

    type: ClassVar[str] = "pitwall.workshop.job.queued.v1"
    ro_number: str
    required_skill: str | None = None
    sold_hours: Decimal
    approved_at: datetime


class JobWithdrawn(_Job):
    """A queued job left the queue: its line was declined or removed, or its RO cancelled."""

    type: ClassVar[str] = "pitwall.workshop.job.withdrawn.v1"
    reason: str


class JobDispatched(_Job):
    """A job assigned to a technician and a bay (reassigned when it had another before)."""

    type: ClassVar[str] = "pitwall.workshop.job.dispatched.v1"
    technician_id: str
    bay_id: str
    reassigned: bool = False


class JobClockedOn(_Job):
    """A technician started the clock on a job, in a bay."""

    type: ClassVar[str] = "pitwall.workshop.job.clocked_on.v1"
    technician_id: str
    bay_id: str


class JobClockedOff(_Job):
    """One technician stopped work on a job that stays unfinished (another carries on)."""

    type: ClassVar[str] = "pitwall.workshop.job.clocked_off.v1"
    technician_id: str
    bay_id: str


class JobPaused(_Job):
    """A technician paused the clock on a job, with the reason (waiting for parts, approval, ...)."""

    type: ClassVar[str] = "pitwall.workshop.job.paused.v1"
    technician_id: str
    bay_id: str
    reason: PauseReason
    note: str = ""


class JobResumed(_Job):
    """A technician started the clock again on a paused job."""

    type: ClassVar[str] = "pitwall.workshop.job.resumed.v1"
    technician_id: str
    bay_id: str


class JobCompleted(_Job):
    """Every clock on the job stops; sold hours are provisional until the RO is invoiced."""

    type: ClassVar[str] = "pitwall.workshop.job.completed.v1"
    technician_id: str
    bay_id: str
    sold_hours: Decimal


class QcPassed(_Workshop):
    """A repair order passed its quality check."""

    type: ClassVar[str] = "pitwall.workshop.qc.passed.v1"
    aggregate: ClassVar[str] = "repair_order"
    repair_order_id: str
    inspector: str


class QcFailed(_Workshop):
    """The listed jobs go back to rework."""

    type: ClassVar[str] = "pitwall.workshop.qc.failed.v1"
    aggregate: ClassVar[str] = "repair_order"
    repair_order_id: str
    inspector: str
    job_ids: list[str]
    reason: str


class PartsRequested(_Workshop):
    """A technician asked the parts counter for parts for a job."""

    type: ClassVar[str] = "pitwall.workshop.parts.requested.v1"
    aggregate: ClassVar[str] = "job"
    request_id: str
    job_id: str
    repair_order_id: str
    requested_by: str
    lines: list[RequestedPart]


class ClockingAdjusted(_Technician):
    """A foreman corrected a clocking: the interval that started at `original_start` is replaced.

    `job_id` None means an attendance interval; a None `corrected_end` means still open.
    """

    type: ClassVar[str] = "pitwall.workshop.clocking.adjusted.v1"
    adjustment_id: str
    job_id: str | None = None
    original_start: datetime
    original_end: datetime | None = None
    corrected_start: datetime
    corrected_end: datetime | None = None
    reason: str
    adjusted_by: str


class StaleClockFlagged(_Technician):
    """A clock still runs when it should not (past clock-out, over sold hours, or a shift overrun)."""

    type: ClassVar[str] = "pitwall.workshop.clock.stale_flagged.v1"
    job_id: str | None = None
    kind: StaleClockKind
    since: datetime


EVENTS: tuple[type[Event], ...] = (
    BayStatusChanged,
    TechnicianClockedIn,
    TechnicianClockedOut,
    TechnicianBreakStarted,
    TechnicianBreakEnded,
    JobQueued,
    JobWithdrawn,
    JobDispatched,
    JobClockedOn,
    JobClockedOff,
    JobPaused,
    JobResumed,
    JobCompleted,
    QcPassed,
    QcFailed,
    PartsRequested,
    ClockingAdjusted,
    StaleClockFlagged,
)

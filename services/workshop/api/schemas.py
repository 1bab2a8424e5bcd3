"""API models of the workshop service: `XCreate`/`XUpdate` inputs (no extra fields), `XRead` outputs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints, model_validator

from shared.contracts.workshop import BayStatus, PauseReason, StaleClockKind
from shared.types import Input, Instant, places

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")]
Skill = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,49}$")
]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
OccurredAt = Annotated[Instant | None, Field(description="device time of the step (defaults to now)")]


class BayKind(StrEnum):
    GENERAL = "general"
    QUICK_SERVICE = "quick_service"
    ALIGNMENT = "alignment"
    DIAGNOSIS = "diagnosis"
    BODY = "body"
    PAINT = "paint"
    WASH = "wash"


class Level(StrEnum):
    APPRENTICE = "apprentice"
    TECHNICIAN = "technician"
    DIAGNOSTIC_TECHNICIAN = "diagnostic_technician"
    MASTER = "master"


class BayCreate(Input):
    name: Name
    kind: BayKind
    job_kinds: list[Skill] = Field(
        default_factory=list, description="job kinds (required skills, or `general`) it takes; empty: any"
    )
    status: BayStatus = BayStatus.OPEN
    reason: str = Field(default="", max_length=500)
    expected_return: Instant | None = None
    occurred_at: OccurredAt = None

    @model_validator(mode="after")
    def _reason_when_out_of_service(self) -> BayCreate:
        if self.status is BayStatus.OUT_OF_SERVICE and not self.reason.strip():
            raise ValueError("a bay out of service needs a reason")
        return self


class BayUpdate(Input):
    name: Name | None = None
    kind: BayKind | None = None
    job_kinds: list[Skill] | None = None
    occurred_at: OccurredAt = None


class BayStatusUpdate(Input):
    status: BayStatus
    reason: str = Field(default="", max_length=500)
    expected_return: Instant | None = None
    occurred_at: OccurredAt = None

    @model_validator(mode="after")
    def _reason_when_out_of_service(self) -> BayStatusUpdate:
        if self.status is BayStatus.OUT_OF_SERVICE and not self.reason.strip():
            raise ValueError("a bay out of service needs a reason")
        if self.status is not BayStatus.OUT_OF_SERVICE and self.expected_return is not None:
            raise ValueError("expected_return only applies to a bay out of service")
        return self


class BayRead(BaseModel):
    id: str
    site_id: str
    name: str
    kind: str
    status: BayStatus
    reason: str
    expected_return: datetime | None
    job_kinds: list[str]
    job_id: str | None = Field(description="the job standing on the bay (clocked on or paused)")
    version: int


class TechnicianCreate(Input):
    id: Ident | None = Field(
        default=None, description="the technician's id = the subject of their token; generated if absent"
    )
    name: Name
    skills: list[Skill] = Field(default_factory=list)
    level: Level = Level.TECHNICIAN
    team: str = Field(default="", max_length=100)
    badge: Ident | None = None
    pin: Pin | None = Field(default=None, description="4-8 digits, for the shared bay terminal")


class TechnicianUpdate(Input):
    name: Name | None = None
    skills: list[Skill] | None = None
    level: Level | None = None
    team: str | None = Field(default=None, max_length=100)
    badge: Ident | None = None
    pin: Pin | None = None
    active: StrictBool | None = None


class TechnicianRead(BaseModel):
    id: str
    site_id: str
    name: str
    skills: list[str]
    level: str
    team: str
    badge: str | None
    has_pin: bool
    active: bool
    state: str = Field(description="not_clocked_in | idle | on_job | on_break")
    job_id: str | None
    clocked_in_at: datetime | None
    shift_end: datetime | None
    on_break_since: datetime | None
    version: int


class ClockIn(Input):
    shift_end: Instant | None = Field(
        default=None, description="defaults to the site's closing time, or clock-in + the default shift"
    )
    occurred_at: OccurredAt = None


class ClockStep(Input):
    occurred_at: OccurredAt = None


class JobStep(Input):
    technician_id: str | None = Field(default=None, description="who; a technician's token defaults to its subject")
    occurred_at: OccurredAt = None


class JobPause(JobStep):
    reason: PauseReason
    note: str = Field(default="", max_length=500)


class JobDispatch(Input):
    technician_id: str
    bay_id: str
    occurred_at: OccurredAt = None


class PartsSummary(BaseModel):
    requests: int
    issued: int
    all_issued: bool
    last_issued_at: datetime | None
    backordered: bool


class JobRead(BaseModel):
    id: str
    site_id: str
    repair_order_id: str
    ro_number: str
    op_code: str
    description: str
    required_skill: str | None
    sold_hours: Decimal
    status: str
    allowed: list[str] = Field(description="the steps the job's status allows")
    approved_at: datetime | None
    technician_id: str | None
    bay_id: str | None
    clocked_on: list[str] = Field(description="technicians clocked on it now")
    clocked_seconds: int = Field(description="all clocked time on the job so far (corrections applied)")
    pause_reason: PauseReason | None
    pause_note: str
    paused_at: datetime | None
    parts: PartsSummary
    rework_round: int
    withdrawn_reason: str
    completed_at: datetime | None
    version: int


class QueueEntry(BaseModel):
    job_id: str
    repair_order_id: str
    ro_number: str
    description: str
    required_skill: str | None
    sold_hours: Decimal
    approved_at: datetime | None
    waiting_seconds: int


class ReasonRead(BaseModel):
    code: str
    detail: str


class TechnicianCandidateRead(BaseModel):
    rank: int
    technician_id: str
    name: str
    level: str
    skills: list[str]
    state: str
    load_hours: Decimal = Field(description="sold hours of the open jobs assigned to them")
    open_jobs: int
    has_skill: bool
    eligible: bool
    reasons: list[ReasonRead]


class BayCandidateRead(BaseModel):
    rank: int
    bay_id: str
    name: str
    kind: str
    status: BayStatus
    free: bool
    eligible: bool
    reasons: list[ReasonRead]


class CandidatesRead(BaseModel):
    job_id: str
    required_skill: str | None
    technicians: list[TechnicianCandidateRead]
    bays: list[BayCandidateRead]


class PartLine(Input):
    part_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    quantity: Annotated[Decimal, Field(gt=0), places(12, 3)]


class PartsRequestCreate(Input):
    lines: list[PartLine] = Field(min_length=1, max_length=100)
    technician_id: str | None = Field(default=None, description="who asks at a shared terminal (with X-Technician-Pin)")
    occurred_at: OccurredAt = None


class PartsRequestRead(BaseModel):
    id: str
    job_id: str
    repair_order_id: str
    requested_by: str
    lines: list[PartLine]
    requested_at: datetime
    issued_at: datetime | None
    backordered: bool
    backordered_until: datetime | None


class QcCreate(Input):
    result: Literal["pass", "fail"]
    reason: str = Field(default="", max_length=1000)
    job_ids: list[str] = Field(default_factory=list, description="on a fail: the jobs going back to rework")
    technician_id: str | None = Field(
        default=None, description="on a fail: rework by another technician (default: the same)"
    )
    occurred_at: OccurredAt = None

    @model_validator(mode="after")
    def _fail_names_reason_and_jobs(self) -> QcCreate:
        if self.result == "fail":
            if not self.reason.strip():
                raise ValueError("a QC fail needs a reason")
            if not self.job_ids:
                raise ValueError("a QC fail names the jobs to rework (job_ids)")
        elif self.job_ids or self.technician_id:
            raise ValueError("job_ids and technician_id only apply to a fail")
        return self


class QcRead(BaseModel):
    id: str
    site_id: str
    repair_order_id: str
    result: Literal["pass", "fail"]
    inspector: str
    reason: str
    job_ids: list[str]
    recorded_at: datetime


class AdjustmentCreate(Input):
    interval_id: str = Field(description="an attendance or job interval, from /technicians/{id}/clockings")
    corrected_start: Instant
    corrected_end: Instant | None = Field(default=None, description="None keeps a running interval running")
    reason: Reason
    occurred_at: OccurredAt = None

    @model_validator(mode="after")
    def _ordered(self) -> AdjustmentCreate:
        if self.corrected_end is not None and self.corrected_end <= self.corrected_start:
            raise ValueError("corrected_end must be after corrected_start")
        return self


class AdjustmentRead(BaseModel):
    id: str
    site_id: str
    technician_id: str
    job_id: str | None
    interval_id: str
    original_start: datetime
    original_end: datetime | None
    corrected_start: datetime
    corrected_end: datetime | None
    reason: str
    adjusted_by: str
    adjusted_at: datetime


class BreakRead(BaseModel):
    id: str
    start: datetime
    end: datetime | None


class AttendanceRead(BaseModel):
    id: str
    start: datetime
    end: datetime | None
    recorded_start: datetime
    recorded_end: datetime | None
    adjusted: bool
    shift_end: datetime | None
    breaks: list[BreakRead]


class JobIntervalRead(BaseModel):
    id: str
    job_id: str
    bay_id: str
    start: datetime
    end: datetime | None
    end_reason: str
    recorded_start: datetime
    recorded_end: datetime | None
    adjusted: bool


class ClockingsRead(BaseModel):
    technician_id: str
    attendance: list[AttendanceRead]
    jobs: list[JobIntervalRead]
    adjustments: list[AdjustmentRead]


class StaleFlagRead(BaseModel):
    id: str
    kind: StaleClockKind
    technician_id: str
    job_id: str | None
    since: datetime
    flagged_at: datetime
    cleared_at: datetime | None


class BoardJob(BaseModel):
    job_id: str
    repair_order_id: str
    ro_number: str
    description: str
    status: str
    technician_id: str | None
    technician_name: str | None
    clocked_seconds: int
    sold_hours: Decimal
    sold_seconds: int
    pause_reason: PauseReason | None
    pause_note: str
    parts: PartsSummary
    rework_round: int


class BoardBay(BaseModel):
    bay_id: str
    name: str
    kind: str
    status: BayStatus
    reason: str
    expected_return: datetime | None
    job: BoardJob | None


class BoardTechnician(BaseModel):
    technician_id: str
    name: str
    team: str
    state: str
    job_id: str | None
    bay_id: str | None
    stale: bool


class BoardRead(BaseModel):
    site_id: str
    at: datetime
    bays: list[BoardBay]
    queue: list[QueueEntry]
    technicians: list[BoardTechnician]
    stale_clocks: list[StaleFlagRead]

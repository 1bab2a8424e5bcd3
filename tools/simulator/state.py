"""What the simulator knows of a site as its day goes: visits, ROs, lines, jobs, technicians and bays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tools.simulator.catalog import BayProfile, Operation
from tools.simulator.plan import LinePlan, TechPlan, VisitPlan


@dataclass
class Visit:
    plan: VisitPlan
    customer_id: str = ""
    vehicle_id: str = ""
    appointment_id: str | None = None
    visit_id: str = ""
    ro: Ro | None = None
    suggested: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Line:
    """A job line of an RO; `status` is proposed, approved or declined."""

    ro: Ro
    op: Operation
    plan: LinePlan | None
    line_id: str
    status: str = "draft"
    decided_at: datetime | None = None
    job: Job | None = None


@dataclass
class Ro:
    visit: Visit
    id: str
    number: str
    lines: list[Line] = field(default_factory=list)
    qc_results: int = 0
    qc_scheduled: bool = False
    passed_at: datetime | None = None
    requests: list[str] = field(default_factory=list)
    delivered: bool = False

    def undecided(self) -> bool:
        """Whether a line still waits for the customer's answer."""
        return any(line.status in ("draft", "proposed") for line in self.lines)

    def approved_jobs(self) -> list[Job]:
        """The jobs of the approved lines."""
        return [line.job for line in self.lines if line.status == "approved" and line.job is not None]


@dataclass
class Job:
    """An approved line on the floor; work is counted in seconds of the technician's time."""

    line: Line
    approved_at: datetime
    total: float = 0.0
    remaining: float = 0.0
    status: str = "queued"  # queued, dispatched, working, paused, done
    tech: Tech | None = None
    bay: Bay | None = None
    since: datetime | None = None
    generation: int = 0
    pending: list[tuple[float, str]] = field(default_factory=list)  # (share of the work done, what happens)
    pause: str | None = None
    resumable_at: datetime | None = None
    waiting_parts: int = 0
    rework: bool = False
    seen_queued: bool = False

    @property
    def id(self) -> str:
        """The workshop's job id is the reception job line id."""
        return self.line.line_id

    @property
    def ro(self) -> Ro:
        return self.line.ro

    @property
    def skill(self) -> str | None:
        return self.line.op.skill


@dataclass
class Tech:
    plan: TechPlan
    clocked_in: bool = False
    clocked_out: bool = False
    on_break: bool = False
    break_done: bool = False
    job: Job | None = None  # clocked on as the job's technician
    helping: Job | None = None  # clocked on as a helper
    reserved: Job | None = None  # dispatched to it, walking to the car
    rework: list[Job] = field(default_factory=list)
    break_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.break_at is None:
            self.break_at = self.plan.break_at

    @property
    def id(self) -> str:
        return self.plan.id

    def free(self) -> bool:
        """Clocked in, not on a break, and not on or walking to a job."""
        return (self.clocked_in and not self.clocked_out and not self.on_break and self.job is None and self.helping is None
                and self.reserved is None)


@dataclass
class Bay:
    profile: BayProfile
    id: str
    holder: Job | None = None  # from dispatch until the job is completed or moved away

    def takes(self, skill: str | None) -> bool:
        """Whether the bay takes work of this kind (no kinds listed: any)."""
        return not self.profile.job_kinds or (skill or "general") in self.profile.job_kinds

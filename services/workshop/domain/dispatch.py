"""Dispatch by skill (依专长依人修护): who and which bay may take a job, and who is suggested first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from services.workshop.domain.errors import Refusal
from services.workshop.domain.jobs import job_kind
from shared.contracts.workshop import BayStatus


class TechState(StrEnum):
    NOT_CLOCKED_IN = "not_clocked_in"
    IDLE = "idle"
    ON_JOB = "on_job"
    ON_BREAK = "on_break"


LEVELS = ("apprentice", "technician", "diagnostic_technician", "master")


@dataclass(frozen=True)
class TechnicianView:
    """What dispatch needs to know of a technician."""

    id: str
    name: str
    skills: frozenset[str]
    level: str
    state: TechState
    load_hours: Decimal = Decimal("0")
    open_jobs: int = 0


@dataclass(frozen=True)
class BayView:
    """What dispatch needs to know of a bay."""

    id: str
    name: str
    kind: str
    status: BayStatus
    job_kinds: frozenset[str] = field(default_factory=frozenset)
    reason: str = ""
    expected_return: datetime | None = None
    holder_job_id: str | None = None
    assigned_jobs: int = 0


def technician_refusals(required_skill: str | None, tech: TechnicianView) -> list[Refusal]:
    """Why this technician cannot take a job needing this skill (empty: they can)."""
    refusals = []
    if required_skill and required_skill not in tech.skills:
        refusals.append(Refusal("lacks_skill", f"technician {tech.name!r} lacks the skill {required_skill!r}"))
    if tech.state is TechState.NOT_CLOCKED_IN:
        refusals.append(Refusal("not_clocked_in", f"technician {tech.name!r} is not clocked in"))
    return refusals


def bay_refusals(required_skill: str | None, bay: BayView) -> list[Refusal]:
    """Why this bay cannot take a job needing this skill (empty: it can)."""
    refusals = []
    if bay.status is BayStatus.CLOSED:
        refusals.append(Refusal("bay_closed", f"bay {bay.name!r} is closed"))
    elif bay.status is BayStatus.OUT_OF_SERVICE:
        until = f" until {bay.expected_return.isoformat()}" if bay.expected_return else ""
        why = f" ({bay.reason})" if bay.reason else ""
        refusals.append(Refusal("bay_out_of_service", f"bay {bay.name!r} is out of service{why}{until}"))
    kind = job_kind(required_skill)
    if bay.job_kinds and kind not in bay.job_kinds:
        refusals.append(
            Refusal(
                "wrong_bay_kind",
                f"bay {bay.name!r} ({bay.kind}) takes {', '.join(sorted(bay.job_kinds))}, not {kind} work",
            )
        )
    return refusals


def dispatch_refusals(required_skill: str | None, tech: TechnicianView, bay: BayView) -> list[Refusal]:
    """Every reason the pair cannot take the job."""
    return technician_refusals(required_skill, tech) + bay_refusals(required_skill, bay)


@dataclass(frozen=True)
class TechnicianCandidate:
    """A technician considered for a job, with why (not)."""

    technician: TechnicianView
    eligible: bool
    has_skill: bool
    refusals: list[Refusal]


@dataclass(frozen=True)
class BayCandidate:
    """A bay considered for a job, with why (not)."""

    bay: BayView
    eligible: bool
    free: bool
    refusals: list[Refusal]


_STATE_ORDER = {TechState.IDLE: 0, TechState.ON_BREAK: 1, TechState.ON_JOB: 2, TechState.NOT_CLOCKED_IN: 3}


def rank_technicians(required_skill: str | None, techs: list[TechnicianView]) -> list[TechnicianCandidate]:
    """Eligible first; then holding the skill, idle before busy, least load, fewest extra skills, name."""
    candidates = []
    for tech in techs:
        refusals = technician_refusals(required_skill, tech)
        has_skill = required_skill is None or required_skill in tech.skills
        candidates.append(TechnicianCandidate(tech, not refusals, has_skill, refusals))

    def key(c: TechnicianCandidate) -> tuple[object, ...]:
        # A specialist whose other skills are fewer is kept for this kind of work; generalists stay free.
        return (
            not c.eligible,
            not c.has_skill,
            _STATE_ORDER[c.technician.state],
            c.technician.load_hours,
            c.technician.open_jobs,
            len(c.technician.skills),
            c.technician.name,
        )

    return sorted(candidates, key=key)


def rank_bays(required_skill: str | None, bays: list[BayView]) -> list[BayCandidate]:
    """Eligible first; then free (no job on it), fewest jobs assigned, specialised bays before general ones, name."""
    candidates = []
    for bay in bays:
        refusals = bay_refusals(required_skill, bay)
        candidates.append(BayCandidate(bay, not refusals, bay.holder_job_id is None, refusals))

    def key(c: BayCandidate) -> tuple[object, ...]:
        return (not c.eligible, not c.free, c.bay.assigned_jobs, not c.bay.job_kinds, c.bay.name)

    return sorted(candidates, key=key)

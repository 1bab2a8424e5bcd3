"""The life of a job on the floor: its states and the steps each allows."""

from __future__ import annotations

from enum import StrEnum

from shared.errors import IllegalTransition


class JobStatus(StrEnum):
    PROPOSED = "proposed"  # a line on an RO, not approved yet: not in the queue
    QUEUED = "queued"  # approved, waiting for dispatch
    DISPATCHED = "dispatched"  # assigned to a technician and a bay, not clocked on (or back for rework)
    IN_PROGRESS = "in_progress"  # at least one technician clocked on
    PAUSED = "paused"  # nobody clocked on; still holds its bay
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"  # declined, removed or its RO cancelled


class Step(StrEnum):
    DISPATCH = "dispatch"
    CLOCK_ON = "clock-on"
    PAUSE = "pause"
    RESUME = "resume"
    CLOCK_OFF = "clock-off"
    COMPLETE = "complete"
    REQUEST_PARTS = "parts-request"
    QC_FAIL = "qc-fail"


ALLOWED: dict[JobStatus, tuple[Step, ...]] = {
    JobStatus.PROPOSED: (),
    JobStatus.QUEUED: (Step.DISPATCH, Step.REQUEST_PARTS),
    JobStatus.DISPATCHED: (Step.DISPATCH, Step.CLOCK_ON, Step.REQUEST_PARTS),
    JobStatus.IN_PROGRESS: (Step.CLOCK_ON, Step.PAUSE, Step.CLOCK_OFF, Step.COMPLETE, Step.REQUEST_PARTS),
    JobStatus.PAUSED: (Step.DISPATCH, Step.RESUME, Step.REQUEST_PARTS),
    JobStatus.COMPLETED: (Step.QC_FAIL,),
    JobStatus.WITHDRAWN: (),
}

# Statuses in which the job stands on its bay (occupancy: first clock-on until completed or moved away).
HOLDS_BAY = (JobStatus.IN_PROGRESS, JobStatus.PAUSED)
# Statuses of work assigned to a technician and not finished (their load).
OPEN_WORK = (JobStatus.DISPATCHED, JobStatus.IN_PROGRESS, JobStatus.PAUSED)
# Statuses a reception withdrawal (decline, removal, cancellation) takes a job out of.
WITHDRAWABLE = (JobStatus.PROPOSED, JobStatus.QUEUED, *OPEN_WORK)


def allowed_steps(status: JobStatus) -> list[str]:
    """The steps a job in this status allows."""
    return [step.value for step in ALLOWED[status]]


def require_step(status: JobStatus, step: Step, job_id: str) -> None:
    """Raise IllegalTransition unless the status allows the step."""
    if step not in ALLOWED[status]:
        raise IllegalTransition(
            f"job {job_id!r} is {status.value}: {step.value} is not allowed",
            state=status.value,
            allowed=allowed_steps(status),
        )


def job_kind(required_skill: str | None) -> str:
    """What kind of bay work a job is: its required skill, or `general`."""
    return required_skill or "general"

"""The job clock's rule: a job's clock events (whatever order they arrived in) → each technician's intervals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class MarkKind(StrEnum):
    """What a clock event did to a technician's clock on the job."""

    ON = "on"
    RESUME = "resume"
    PAUSE = "pause"
    OFF = "off"
    COMPLETE = "complete"  # stops every technician's clock on the job


_STARTS = (MarkKind.ON, MarkKind.RESUME)
# at the same instant an end closes the old interval before a start opens the next
_ORDER = {MarkKind.PAUSE: 0, MarkKind.OFF: 0, MarkKind.COMPLETE: 0, MarkKind.ON: 1, MarkKind.RESUME: 1}


@dataclass(frozen=True)
class Mark:
    """One clock event on a job."""

    technician_id: str
    kind: MarkKind
    at: datetime


@dataclass(frozen=True)
class Adjustment:
    """A foreman's correction: the interval that started at `original_start` becomes corrected_start..corrected_end."""

    adjustment_id: str
    technician_id: str
    original_start: datetime
    corrected_start: datetime
    corrected_end: datetime | None
    adjusted_at: datetime


@dataclass(frozen=True)
class Interval:
    """Clocked time of one technician on the job (end None: still running)."""

    technician_id: str
    start: datetime
    end: datetime | None


def intervals(marks: Iterable[Mark], adjustments: Iterable[Adjustment] = ()) -> list[Interval]:
    """Pair each technician's starts with the next stop (their pause or clock-off, anyone's completion), then corrections."""
    marks = sorted(set(marks), key=lambda m: (m.at, _ORDER[m.kind], m.technician_id))
    technicians = {m.technician_id for m in marks} | {a.technician_id for a in adjustments}
    found: dict[str, dict[datetime, Interval]] = defaultdict(dict)
    for technician in technicians:
        start: datetime | None = None
        for mark in marks:
            if mark.kind is not MarkKind.COMPLETE and mark.technician_id != technician:
                continue
            if mark.kind in _STARTS:
                start = mark.at if start is None else start
            elif start is not None:
                found[technician][start] = Interval(technician, start, mark.at)
                start = None
        if start is not None:
            found[technician][start] = Interval(technician, start, None)
    for a in sorted(adjustments, key=lambda a: (a.adjusted_at, a.adjustment_id)):
        slot = found[a.technician_id]
        slot.pop(a.original_start, None)
        slot[a.corrected_start] = Interval(a.technician_id, a.corrected_start, a.corrected_end)
    return sorted(
        (i for slot in found.values() for i in slot.values() if i.end is None or i.end > i.start),
        key=lambda i: (i.start, i.technician_id),
    )

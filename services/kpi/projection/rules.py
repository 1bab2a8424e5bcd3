"""Pure rules of the projection: commutative merges of fact rows and the pairing of clock marks.

Every function here gives the same result for the same *set* of inputs, whatever their order, and
applying the same input twice changes nothing. That is what makes the figures independent of how
events arrive (late, duplicated, out of order across topics).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

START_KINDS = frozenset({"on", "resume"})
TECHNICIAN_STOP_KINDS = frozenset({"off", "pause"})
JOB_STOP_KINDS = frozenset({"complete", "withdraw"})
ALL_TECHNICIANS = ""  # technician_id of a mark that concerns every technician on the job

# At one instant, what stops comes before what starts (a stop at t closes the interval before t).
_ORDER = {"complete": 0, "withdraw": 0, "off": 1, "pause": 1, "dispatch": 2, "on": 3, "resume": 3}


_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Patch(NamedTuple):
    """What one event says about one fact row.

    fill: attributes every event states alike (set when empty); earliest: times of which the first counts;
    latest / first: per time column, the values of the latest / first statement (by event time) win.
    """

    # A tuple, not a frozen dataclass: a batch makes one or more per event, and a dataclass's frozen __init__ cost more.
    fill: Mapping[str, Any] = _EMPTY
    earliest: Mapping[str, datetime | None] = _EMPTY
    latest: Mapping[str, tuple[datetime, Mapping[str, Any]]] = _EMPTY
    first: Mapping[str, tuple[datetime, Mapping[str, Any]]] = _EMPTY


def _rank(values: Mapping[str, Any]) -> tuple[str, ...]:
    # Times compare by instant, whatever zone they were stated in (an event's own, or UTC back from the DB).
    return tuple(f"{k}={_canonical(values[k])!r}" for k in sorted(values))


def _canonical(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo is not None else value


def apply_patch(row: Mapping[str, Any], patch: Patch) -> dict[str, Any]:
    """The row after the patch; commutative and idempotent over patches."""
    merged = dict(row)
    for column, value in patch.fill.items():
        if value is not None and merged.get(column) is None:
            merged[column] = value
    for column, when in patch.earliest.items():
        if when is not None and (merged.get(column) is None or when < merged[column]):
            merged[column] = when
    for time_column, (when, values) in patch.latest.items():
        current = merged.get(time_column)
        if current is None or when > current or (
            when == current and _rank(values) > _rank({k: merged.get(k) for k in values})
        ):
            merged[time_column] = when
            merged.update(values)
    for time_column, (when, values) in patch.first.items():
        current = merged.get(time_column)
        if current is None or when < current or (
            when == current and _rank(values) < _rank({k: merged.get(k) for k in values})
        ):
            merged[time_column] = when
            merged.update(values)
    return merged


def pair(starts: Iterable[datetime], stops: Iterable[datetime]) -> list[tuple[datetime, datetime | None]]:
    """Intervals from each start to the first stop after it, or the next start if that comes first."""
    start_times = sorted(set(starts))
    stop_times = sorted(set(stops))
    intervals: list[tuple[datetime, datetime | None]] = []
    j = 0
    for i, start in enumerate(start_times):
        while j < len(stop_times) and stop_times[j] <= start:
            j += 1
        candidates = [t for t in (stop_times[j] if j < len(stop_times) else None,
                                  start_times[i + 1] if i + 1 < len(start_times) else None) if t is not None]
        intervals.append((start, min(candidates) if candidates else None))
    return intervals


@dataclass(frozen=True)
class Mark:
    """One point of a job's clock."""

    at: datetime
    kind: str
    technician_id: str
    bay_id: str | None


@dataclass(frozen=True)
class ClockInterval:
    technician_id: str
    start: datetime
    end: datetime | None
    bay_id: str | None


def job_intervals(marks: Iterable[Mark]) -> list[ClockInterval]:
    """Each technician's clocked intervals on one job; completion or withdrawal stops everyone."""
    marks = list(marks)
    job_stops = [m.at for m in marks if m.kind in JOB_STOP_KINDS]
    technicians = sorted({m.technician_id for m in marks if m.kind in START_KINDS})
    result: list[ClockInterval] = []
    for technician in technicians:
        own = [m for m in marks if m.technician_id == technician]
        bay_at: dict[datetime, str | None] = {}
        for m in sorted((m for m in own if m.kind in START_KINDS), key=lambda m: (m.at, m.bay_id or "")):
            bay_at.setdefault(m.at, m.bay_id)
        stops = [m.at for m in own if m.kind in TECHNICIAN_STOP_KINDS] + job_stops
        for start, end in pair(bay_at, stops):
            result.append(ClockInterval(technician, start, end, bay_at[start]))
    return result


@dataclass(frozen=True)
class Hold:
    bay_id: str
    start: datetime
    end: datetime | None


def bay_holds(marks: Iterable[Mark]) -> list[Hold]:
    """When the job held which bay: first clock-on there until completed, withdrawn or moved away."""
    ordered = sorted(marks, key=lambda m: (m.at, _ORDER.get(m.kind, 9), m.technician_id, m.bay_id or ""))
    holds: list[Hold] = []
    bay: str | None = None
    since: datetime | None = None
    for m in ordered:
        if m.kind in START_KINDS and m.bay_id:
            if bay is None:
                bay, since = m.bay_id, m.at
            elif m.bay_id != bay:
                assert since is not None
                holds.append(Hold(bay, since, m.at))
                bay, since = m.bay_id, m.at
        elif bay is not None and (m.kind in JOB_STOP_KINDS or (m.kind == "dispatch" and m.bay_id != bay)):
            assert since is not None
            holds.append(Hold(bay, since, m.at))
            bay, since = None, None
    if bay is not None:
        assert since is not None
        holds.append(Hold(bay, since, None))
    return [h for h in holds if h.end is None or h.end > h.start]

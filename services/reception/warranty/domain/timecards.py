"""Technician time cards of a job from the workshop's clock events, whatever order they arrived in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from shared.jobclock import Adjustment, Interval, Mark, MarkKind, intervals

__all__ = ["Adjustment", "Interval", "Mark", "MarkKind", "hours_by_technician", "intervals"]

HOUR = Decimal("3600")


def hours_by_technician(marks: Iterable[Mark], adjustments: Iterable[Adjustment] = ()) -> dict[str, Decimal]:
    """Closed clocked hours per technician, to the hundredth (a running clock does not count yet)."""
    seconds: dict[str, Decimal] = defaultdict(Decimal)
    for interval in intervals(marks, adjustments):
        if interval.end is not None:
            seconds[interval.technician_id] += Decimal(str((interval.end - interval.start).total_seconds()))
    return {
        t: (s / HOUR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for t, s in sorted(seconds.items()) if s > 0
    }

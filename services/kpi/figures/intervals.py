"""Interval arithmetic on (start, end) spans in POSIX seconds, and the site's opening hours."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from services.kpi.figures.model import SiteConfig
from services.kpi.figures.window import Window, zone

Span = tuple[float, float]


def clip(start: float, end: float | None, window: Window) -> Span | None:
    """The part of an interval inside the window; an open interval runs to now."""
    stop = window.now if end is None else end
    lo, hi = max(start, window.start), min(stop, window.end)
    return (lo, hi) if hi > lo else None


def until(start: float, end: float | None, window: Window) -> float:
    """Length of an interval up to the window's end (an open one up to now), before-the-window time included."""
    stop = window.now if end is None else end
    return max(0.0, min(stop, window.end) - start)


def union(spans: Iterable[Span | None]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same time."""
    merged: list[list[float]] = []
    for lo, hi in sorted(s for s in spans if s is not None):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def intersect(a: list[Span], b: list[Span]) -> list[Span]:
    """Time covered by both (inputs are unions)."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Span], b: list[Span]) -> list[Span]:
    """Time in a but not in b (inputs are unions)."""
    out: list[Span] = []
    for lo, hi in a:
        cursor = lo
        for blo, bhi in b:
            if bhi <= cursor or blo >= hi:
                continue
            if blo > cursor:
                out.append((cursor, blo))
            cursor = max(cursor, bhi)
        if cursor < hi:
            out.append((cursor, hi))
    return out


def total(spans: Iterable[Span]) -> float:
    """Seconds covered."""
    return sum(hi - lo for lo, hi in spans)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def opening_spans(site: SiteConfig, window: Window) -> list[Span]:
    """The site's opening hours inside the window (always open when none are configured)."""
    if not site.opening_hours:
        return [(window.start, window.end)]
    tz = zone(site.time_zone)
    first = datetime.fromtimestamp(window.start, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(window.end, tz).date()
    spans: list[Span | None] = []
    day = first
    while day <= last:
        for hours in site.opening_hours:
            if hours.weekday != day.weekday():
                continue
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
            opens, closes = _minutes(hours.opens), _minutes(hours.closes)
            if closes <= opens:
                closes += 24 * 60  # open past midnight
            lo = (midnight + timedelta(minutes=opens)).timestamp()
            hi = (midnight + timedelta(minutes=closes)).timestamp()
            spans.append((max(lo, window.start), min(hi, window.end)) if min(hi, window.end) > max(lo, window.start) else None)
        day += timedelta(days=1)
    return union(spans)


def local_dates(spans: Iterable[Span], time_zone: str) -> set[str]:
    """The site-local dates a set of spans touches."""
    tz = zone(time_zone)
    dates: set[str] = set()
    for lo, hi in spans:
        day = datetime.fromtimestamp(lo, tz).date()
        end = datetime.fromtimestamp(hi - 1e-6, tz).date()
        while day <= end:
            dates.add(day.isoformat())
            day += timedelta(days=1)
    return dates

"""Pure rules: commutative merges, pairing clock marks, bay holds, corrections, opening hours, quantiles."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from services.kpi.figures.clock import adjusted_attendance, adjusted_clocks
from services.kpi.figures.intervals import opening_spans
from services.kpi.figures.model import Adjustment, Attendance, ClockInterval, Facts, OpeningHours, SiteConfig
from services.kpi.figures.result import Distribution
from services.kpi.figures.window import custom, month, today
from services.kpi.handlers import PROJECTIONS
from services.kpi.projection.rules import Mark, Patch, apply_patch, bay_holds, job_intervals, pair
from shared.contracts import parts, reception, warranty, workshop

T0 = datetime(2025, 3, 12, 8, 0, tzinfo=UTC)


def t(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_patches_merge_the_same_in_any_order_and_twice() -> None:
    patches = [
        Patch(fill={"vehicle": "V1"}, earliest={"opened_at": t(10)}, latest={"type_at": (t(10), {"type": "general"})}),
        Patch(earliest={"ready_at": t(90)}, latest={"type_at": (t(120), {"type": "warranty"})}),
        Patch(earliest={"opened_at": t(5)}, first={"done_at": (t(60), {"by": "T2"})}),
        Patch(first={"done_at": (t(30), {"by": "T1"})}, latest={"type_at": (t(120), {"type": "accident"})}),
    ]
    results = set()
    for order in itertools.permutations(patches + patches[:1]):
        row: dict = {}
        for patch in order:
            row = apply_patch(row, patch)
        results.add(tuple(sorted(row.items())))
    assert len(results) == 1
    merged = dict(results.pop())
    assert merged["opened_at"] == t(5) and merged["ready_at"] == t(90) and merged["vehicle"] == "V1"
    assert merged["done_at"] == t(30) and merged["by"] == "T1"
    assert merged["type"] == "warranty"  # a tie at 10:00 is settled by value, the same way every time


def test_pairing_closes_each_start_at_the_next_stop_or_start() -> None:
    assert pair([t(0), t(60)], [t(30), t(90), t(100)]) == [(t(0), t(30)), (t(60), t(90))]
    assert pair([t(0), t(60)], []) == [(t(0), t(60)), (t(60), None)]  # a missed stop ends at the next start
    assert pair([t(0)], [t(0), t(20)]) == [(t(0), t(20))]  # a stop at the start instant belongs before it
    assert pair([], [t(10)]) == []  # an end that arrived before its start waits for it


def test_completion_stops_every_technician_and_holds_move_with_the_job() -> None:
    marks = [
        Mark(t(0), "on", "T1", "B1"), Mark(t(10), "on", "T2", "B1"), Mark(t(20), "pause", "T1", "B1"),
        Mark(t(30), "resume", "T1", "B1"), Mark(t(40), "complete", "T2", "B1"),
        Mark(t(50), "dispatch", "T1", "B2"), Mark(t(60), "on", "T1", "B2"), Mark(t(70), "off", "T1", "B2"),
    ]
    intervals = sorted((i.technician_id, i.start, i.end, i.bay_id) for i in job_intervals(marks))
    assert intervals == [("T1", t(0), t(20), "B1"), ("T1", t(30), t(40), "B1"), ("T1", t(60), t(70), "B2"),
                         ("T2", t(10), t(40), "B1")]
    holds = [(h.bay_id, h.start, h.end) for h in bay_holds(marks)]
    assert holds == [("B1", t(0), t(40)), ("B2", t(60), None)]  # still held after clock-off: not completed
    moved = [Mark(t(0), "on", "T1", "B1"), Mark(t(30), "dispatch", "T1", "B2")]
    assert [(h.bay_id, h.start, h.end) for h in bay_holds(moved)] == [("B1", t(0), t(30))]


def ts(minutes: int) -> float:
    return t(minutes).timestamp()


def test_a_correction_replaces_the_interval_that_started_at_original_start_even_when_it_comes_first() -> None:
    facts = Facts(
        clock_intervals=[ClockInterval("J", "T1", ts(0), ts(60), "B1")],
        adjustments=[
            Adjustment("a2", "T1", "J", ts(-10), ts(-5), ts(60), adjusted_at=ts(200)),  # corrects the correction
            Adjustment("a1", "T1", "J", ts(0), ts(-10), ts(50), adjusted_at=ts(100)),
            Adjustment("a3", "T1", "J", ts(300), ts(300), ts(330), adjusted_at=ts(400)),  # its interval not known yet
        ],
        attendance=[Attendance("T1", "shift", ts(0), None), Attendance("T1", "break", ts(30), ts(40))],
    )
    clocks = sorted((c.start, c.end, c.bay_id) for c in adjusted_clocks(facts))
    assert clocks == [(ts(-5), ts(60), "B1"), (ts(300), ts(330), "B1")]
    facts.adjustments.append(Adjustment("a4", "T1", None, ts(0), ts(-30), ts(480), adjusted_at=ts(500)))
    shifts = sorted((a.series, a.start, a.end) for a in adjusted_attendance(facts))
    assert shifts == [("break", ts(30), ts(40)), ("shift", ts(-30), ts(480))]


def test_opening_hours_follow_the_site_zone_across_a_dst_change_and_midnight() -> None:
    site = SiteConfig("Europe/Paris", (OpeningHours(6, "08:00", "18:00"), OpeningHours(5, "22:00", "02:00")), configured=True)
    # Sunday 30 March 2025: Paris moves to summer time at 02:00; a Saturday night shift runs over midnight.
    window = custom(datetime(2025, 3, 29, 12, tzinfo=UTC).timestamp(), datetime(2025, 3, 31, tzinfo=UTC).timestamp(),
                    "Europe/Paris", 2e9)
    spans = [(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC)) for a, b in opening_spans(site, window)]
    assert spans == [
        # 22:00 CET → 02:00, an hour the clock skips: it passes 02:00 when it jumps from 02:00 CET to 03:00 CEST
        (datetime(2025, 3, 29, 21, tzinfo=UTC), datetime(2025, 3, 30, 1, tzinfo=UTC)),
        (datetime(2025, 3, 30, 6, tzinfo=UTC), datetime(2025, 3, 30, 16, tzinfo=UTC)),  # 08:00–18:00 CEST
    ]


def test_windows_are_site_days_and_months() -> None:
    now = datetime(2025, 3, 12, 20, 30, tzinfo=UTC).timestamp()  # 04:30 on the 13th in Shanghai
    day = today("Asia/Shanghai", now)
    assert datetime.fromtimestamp(day.start, UTC) == datetime(2025, 3, 12, 16, tzinfo=UTC)
    assert day.end - day.start == 86400 and day.as_of == now
    december = month("Asia/Shanghai", 2024, 12, now)
    assert datetime.fromtimestamp(december.end, UTC) == datetime(2024, 12, 31, 16, tzinfo=UTC)


@pytest.mark.parametrize("samples, p50, p90", [((40, 10, 30, 20), 20, 40), ((5,), 5, 5), (tuple(range(1, 11)), 5, 9)])
def test_quantiles_are_nearest_rank(samples: tuple, p50: float, p90: float) -> None:
    d = Distribution("x", samples)
    assert (d.quantile(0.5), d.quantile(0.9), d.max, d.count) == (p50, p90, max(samples), len(samples))
    assert Distribution("x").quantile(0.5) is None


def test_every_event_of_the_contract_has_a_projection() -> None:
    assert set(PROJECTIONS) == set(reception.EVENTS + workshop.EVENTS + parts.EVENTS + warranty.EVENTS)

"""The job clock's rule: a job's clock events, in any order, become each technician's intervals."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from shared.jobclock import Adjustment, Interval, Mark, MarkKind, intervals

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_start_runs_to_the_technicians_next_stop_and_a_resume_opens_the_next_interval() -> None:
    marks = [
        Mark("amy", MarkKind.ON, at(0)),
        Mark("amy", MarkKind.PAUSE, at(30)),
        Mark("amy", MarkKind.RESUME, at(45)),
        Mark("amy", MarkKind.OFF, at(90)),
    ]
    assert intervals(marks) == [Interval("amy", at(0), at(30)), Interval("amy", at(45), at(90))]


def test_the_order_events_arrive_in_changes_nothing() -> None:
    marks = [
        Mark("amy", MarkKind.ON, at(0)),
        Mark("bob", MarkKind.ON, at(10)),
        Mark("amy", MarkKind.PAUSE, at(20)),
        Mark("amy", MarkKind.RESUME, at(25)),
        Mark("bob", MarkKind.OFF, at(40)),
        Mark("amy", MarkKind.COMPLETE, at(60)),
    ]
    shuffled = marks[:]
    random.Random(7).shuffle(shuffled)
    assert intervals(shuffled) == intervals(marks)
    assert intervals(marks + marks) == intervals(marks)  # a redelivered event counts once


def test_completion_stops_every_technicians_clock_and_a_clock_without_a_stop_still_runs() -> None:
    marks = [Mark("amy", MarkKind.ON, at(0)), Mark("bob", MarkKind.ON, at(5)), Mark("bob", MarkKind.COMPLETE, at(50))]
    assert intervals(marks) == [Interval("amy", at(0), at(50)), Interval("bob", at(5), at(50))]
    assert intervals([Mark("amy", MarkKind.ON, at(0))]) == [Interval("amy", at(0), None)]


def test_a_pause_and_a_resume_at_the_same_instant_close_one_interval_before_opening_the_next() -> None:
    marks = [Mark("amy", MarkKind.RESUME, at(30)), Mark("amy", MarkKind.PAUSE, at(30)), Mark("amy", MarkKind.ON, at(0))]
    assert intervals(marks) == [Interval("amy", at(0), at(30)), Interval("amy", at(30), None)]


def test_a_foremans_correction_replaces_the_interval_it_names_and_corrections_apply_in_the_order_made() -> None:
    marks = [Mark("amy", MarkKind.ON, at(0)), Mark("amy", MarkKind.OFF, at(60))]
    first = Adjustment("a1", "amy", at(0), at(5), at(50), adjusted_at=at(70))
    again = Adjustment("a2", "amy", at(5), at(10), at(40), adjusted_at=at(80))  # corrects the corrected interval
    assert intervals(marks, [first]) == [Interval("amy", at(5), at(50))]
    assert intervals(marks, [again, first]) == [Interval("amy", at(10), at(40))]


def test_an_interval_corrected_to_nothing_is_dropped() -> None:
    marks = [Mark("amy", MarkKind.ON, at(0)), Mark("amy", MarkKind.OFF, at(60))]
    assert intervals(marks, [Adjustment("a1", "amy", at(0), at(20), at(20), adjusted_at=at(70))]) == []

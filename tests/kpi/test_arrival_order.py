"""The figures are the same however the events arrive: shuffled, duplicated, batched, mixed with another site."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.kpi.figures import Snapshot
from services.kpi.figures import window as windows
from shared.contracts.base import Event
from tests.kpi.day import Day
from tests.kpi.harness import feed, figures, memory_engine

DAY = Day("site-order", "Asia/Shanghai", date(2025, 3, 12))
OTHER = Day("site-order-other", "Europe/Paris", date(2025, 3, 12))
EVENTS = DAY.events()
STREAM = EVENTS + OTHER.events()[::2]  # another site's events in the same stream
TZ = DAY.tz


def _windows() -> list[windows.Window]:
    evening, afternoon = DAY.at("20:30").timestamp(), DAY.at("15:45").timestamp()
    return [
        windows.today(TZ, evening),
        windows.today(TZ, afternoon),  # open intervals run to 15:45
        windows.rolling_hour(TZ, DAY.at("14:50").timestamp()),
        windows.custom(DAY.at("10:00").timestamp(), DAY.at("14:00").timestamp(), TZ, evening),
        windows.month(TZ, 2025, 3, evening),
    ]


def canonical(snapshot: Snapshot) -> tuple:
    values = sorted((v.name, v.labels, None if v.value is None else round(v.value, 6), v.provisional) for v in snapshot.values)
    waits = sorted((d.kind, tuple(sorted(round(s, 6) for s in d.samples))) for d in snapshot.waits)
    return tuple(values), tuple(waits)


async def figures_of(batches: list[list[Event]]) -> list[tuple]:
    engine = await memory_engine()
    try:
        await feed(engine, batches)
        return [canonical(await figures(engine, DAY.site, w)) for w in _windows()]
    finally:
        await engine.dispose()


_reference: list[tuple] = []


async def reference() -> list[tuple]:
    if not _reference:
        _reference.extend(await figures_of([[e] for e in EVENTS]))
    return _reference


@st.composite
def arrivals(draw: st.DrawFn) -> list[list[Event]]:
    """A shuffled stream of both sites' events with some delivered twice, cut into consumer batches."""
    stream = list(draw(st.permutations(STREAM)))
    for duplicate in draw(st.lists(st.sampled_from(STREAM), max_size=20)):
        stream.insert(draw(st.integers(0, len(stream))), duplicate)
    batches, i = [], 0
    for size in draw(st.lists(st.integers(1, 60), min_size=1, max_size=8)):
        batches.append(stream[i:i + size])
        i += size
    if i < len(stream):
        batches.append(stream[i:])
    return [b for b in batches if b]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batches=arrivals())
async def test_any_arrival_order_with_duplicates_gives_the_same_figures(batches: list[list[Event]]) -> None:
    assert await figures_of(batches) == await reference()


async def test_the_reference_is_not_empty() -> None:
    today = dict(((name, labels), v) for name, labels, v, _ in (await reference())[0][0])
    assert today[("vehicle_entries", ())] == 5 and today[("attendance_time", ())] == 64800

"""A forgotten job clock, a break in the middle of a job and surveys with weak items, on the real Kafka: REST and /metrics
show the hand-computed figures of tests/kpi/forgotten_clock.py before and after the foreman's correction."""

from __future__ import annotations

import httpx
import pytest

from tests.kit import caught_up, eventually, new_site, publish, running
from tests.kpi import forgotten_clock as day
from tests.kpi.checks import samples_of
from tests.kpi.support import app_for, area, by_name, evening_zone, kpi_settings, start_at_end_of_topics


def mismatches(got: dict, wanted: dict) -> list[str]:
    """Each wanted figure that is missing or has another value."""
    return [f"{key}: {got.get(key)} != {value}" for key, value in wanted.items()
            if key not in got or got[key] != pytest.approx(value, abs=1e-9)]


async def rest_mismatches(client: httpx.AsyncClient, site: str, technicians: dict, bays: dict, stale: dict) -> list[str]:
    """What REST shows differently, today and month to date (the same single day)."""
    found = []
    for window in ("today", "month_to_date"):
        found += mismatches(by_name(await area(client, site, "technicians", window=window)), technicians)
        found += mismatches(by_name(await area(client, site, "bays", window=window)), bays)
    floor = by_name(await area(client, site, "floor", window="today"))
    found += mismatches(floor, {("stale_clocks", (("kind", kind),)): n for kind, n in stale.items()})
    return found


async def metrics_mismatches(client: httpx.AsyncClient, site: str, windowed: dict, state: dict) -> list[str]:
    """What /metrics shows differently (windowed figures today and month to date, states without a window)."""
    got = samples_of((await client.get("/metrics")).text, site)
    wanted = {(name, tuple(sorted((*labels, ("window", w))))): v for (name, labels), v in windowed.items()
              for w in ("today", "month_to_date")}
    return mismatches(got, {**wanted, **state})


async def test_a_forgotten_clock_adds_nothing_after_clock_out_and_counts_once(database_url: str, kafka: str) -> None:
    site = new_site()
    tz, today = evening_zone()
    script = day.ForgottenClockDay(site, tz, today)
    settings = kpi_settings(database_url, kafka)
    await start_at_end_of_topics(settings)
    await publish(kafka, *script.events())
    app = app_for(settings)
    async with running(app) as client:
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=60)
        assert await rest_mismatches(client, site, day.TECHNICIANS, day.BAYS, day.STALE) == []

        satisfaction = by_name(await area(client, site, "customer-satisfaction", window="today"))
        for labels in ((), (("advisor", "amy"),)):
            assert mismatches(satisfaction, {
                **{("weak_item_no_share", tuple(sorted((*labels, ("item", i))))): v for i, v in day.WEAK_SHARE.items()},
                **{("weak_item_mix", tuple(sorted((*labels, ("item", i))))): v for i, v in day.WEAK_MIX.items()},
            }) == []

        async def metrics_match(windowed: dict, state: dict) -> bool:
            return not await metrics_mismatches(client, site, windowed, state)

        try:
            await eventually(lambda: metrics_match(day.METRICS, day.STATE_METRICS), timeout=30)
        except AssertionError:
            assert await metrics_mismatches(client, site, day.METRICS, day.STATE_METRICS) == []

        await publish(kafka, script.correction())
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=60)
        assert await rest_mismatches(client, site, {**day.TECHNICIANS, **day.CORRECTED_TECHNICIANS},
                                     {**day.BAYS, **day.CORRECTED_BAYS}, day.CORRECTED_STALE) == []
        try:
            await eventually(lambda: metrics_match(day.CORRECTED_METRICS, day.CORRECTED_STATE_METRICS), timeout=30)
        except AssertionError:
            assert await metrics_mismatches(client, site, day.CORRECTED_METRICS, day.CORRECTED_STATE_METRICS) == []

"""The simulator's day plan: drawn from the seed alone, on a day the services accept, with everything a day needs."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.reception.domain.vin import vin_problem
from tools.simulator.api import SimulationError
from tools.simulator.catalog import RO_TYPES
from tools.simulator.day import choose_day
from tools.ports import free_port
from tools.simulator.plan import SLOT_CAPACITY, draw_site

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def test_the_same_seed_draws_the_same_day_and_another_seed_another() -> None:
    zone, day = choose_day("auto", None, NOW)
    assert draw_site(7, 0, "s-1", zone, day, 10) == draw_site(7, 0, "s-1", zone, day, 10)
    assert draw_site(7, 0, "s-1", zone, day, 10) != draw_site(8, 0, "s-1", zone, day, 10)
    assert draw_site(7, 0, "s-1", zone, day, 10).visits != draw_site(7, 1, "s-2", zone, day, 10).visits


def test_a_day_has_every_ro_type_a_morning_peak_bookings_within_capacity_and_valid_vins() -> None:
    zone, day = choose_day("auto", None, NOW)
    plan = draw_site(7, 0, "s-1", zone, day, 10)
    assert {v.ro_type for v in plan.visits} == set(RO_TYPES)
    assert sum(v.arrival < plan.at(9, 15) for v in plan.visits) >= len(plan.visits) / 2
    slots = Counter(v.slot for v in plan.visits if v.slot) + Counter(a.slot for a in plan.appointments)
    assert slots and max(slots.values()) <= SLOT_CAPACITY
    assert all(v.slot is None or plan.at(8) <= v.slot < plan.at(18) for v in plan.visits)
    vehicles = [v.vehicle for v in plan.visits] + [a.vehicle for a in plan.appointments]
    assert [vin_problem(v.vin) for v in vehicles] == [None] * len(vehicles)
    assert any(v.vin.startswith("JTDBR32E5") for v in vehicles), "no car with an open recall"
    assert plan.comeback is not None and plan.comeback.vehicle == plan.visits[0].vehicle
    assert {t.id for t in plan.technicians} == {f"s-1-t{n}" for n in range(1, len(plan.technicians) + 1)}
    skills = {s for t in plan.technicians for s in t.skills}
    assert {line.op.skill for v in plan.visits for line in v.lines} <= skills | {None}


@pytest.mark.parametrize("hour", range(24))
def test_the_auto_zone_puts_the_whole_day_today_in_the_past_and_within_the_backdating_limit(hour: int) -> None:
    now = NOW.replace(hour=hour, minute=41)
    zone, day = choose_day("auto", None, now)
    local = now.astimezone(ZoneInfo(zone))
    assert local.date() == day and local.hour == 21
    plan = draw_site(7, 0, "s-1", zone, day, 10)
    assert plan.end < now and now - plan.start < timedelta(hours=48)


def test_a_named_zone_plays_the_latest_day_that_is_over_and_refuses_one_that_is_not() -> None:
    zone, day = choose_day("Asia/Shanghai", None, NOW)  # 17:30 in Shanghai: today is not over
    assert (zone, day) == ("Asia/Shanghai", NOW.date() - timedelta(days=1))
    plan = draw_site(7, 0, "s-1", zone, day, 10)
    assert plan.end < NOW and NOW - plan.start < timedelta(hours=48)
    with pytest.raises(SimulationError, match="not over yet"):
        choose_day("Asia/Shanghai", NOW.date(), NOW)


def test_the_simulator_names_its_sites_before_it_plays(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    run = subprocess.run(
        [sys.executable, "-m", "tools.simulator", "--sites", "2", "--site-prefix", "demo", "--retry-seconds", "1", "--no-progress",
         "--reception", nowhere, "--workshop", nowhere, "--parts", nowhere, "--log", str(tmp_path / "log.jsonl")],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1 and "is not ready" in run.stderr
    assert run.stderr.startswith("simulator: playing the day of site demo-1, demo-2; a token to watch them: ")
    assert "--sites demo-1,demo-2" in run.stderr and "GET /kpi/sites" in run.stderr

"""The floor now (reception queue, WIP past promise, waiting for parts, stale clocks, names) and the month's targets and
radar on /metrics, for the scripted day of tests/kpi/floor_now.py, by hand."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import exposition
from services.kpi.handlers import changes_of
from services.kpi.state import figures as memory
from services.kpi.state.live import LiveState
from services.kpi.app import create_app
from services.kpi.families import site_families
from services.kpi.figures import Snapshot
from services.kpi.figures import window as windows
from services.kpi.metrics import site_snapshots
from services.kpi.review import review_families_async
from services.kpi.schemas import ReferenceDataUpdate, TargetInput
from services.kpi.settings import KpiSettings
from services.kpi.targets import write_reference, write_targets
from shared.db import create_engine
from shared.migrations import upgrade_to_head
from tests.kpi import floor_now
from tests.kit import running
from tests.kpi.harness import feed, figures, memory_engine
from tests.kpi.support import area, by_name

SITE = "site-floor-now"


def now_of(snapshot: Snapshot) -> tuple[int, float, int, int, dict[str, int]]:
    """The floor-now figures of a snapshot, shaped like `floor_now.AT`."""
    stale = {v.label("kind"): int(v.value or 0) for v in snapshot.values if v.name == "stale_clocks"}
    return (int(snapshot.get("reception_queue") or 0), snapshot.get("reception_queue_longest_wait") or 0.0,
            int(snapshot.get("wip_past_promise") or 0), int(snapshot.get("wip_waiting_parts") or 0), stale)  # type: ignore[return-value]


async def moments(engine: AsyncEngine) -> dict[str, tuple]:
    """The figures at each moment of `floor_now.AT`."""
    found = {}
    for hhmm in floor_now.AT:
        window = windows.today(floor_now.TZ, floor_now.at(hhmm).timestamp())
        found[hhmm] = now_of(await figures(engine, SITE, window))
    return found


async def test_the_floor_now_at_each_moment_of_the_day() -> None:
    engine = await memory_engine()
    try:
        await feed(engine, [floor_now.events(SITE)])
        assert await moments(engine) == floor_now.AT
        names = await figures(engine, SITE, windows.today(floor_now.TZ, floor_now.at("12:12").timestamp()))
        assert {v.label("technician"): v.label("name") for v in names.values if v.name == "technician_name"} == floor_now.NAMES
        assert {v.label("bay"): v.label("name") for v in names.values if v.name == "bay_name"} == floor_now.BAY_NAMES
    finally:
        await engine.dispose()


async def test_the_floor_now_is_the_same_however_the_events_arrive() -> None:
    day = floor_now.events(SITE)
    shuffled = random.Random(8).sample(day, len(day))
    for batches in ([list(reversed(day))], [shuffled[:20], day, shuffled[20:]], [[e] for e in shuffled]):
        engine = await memory_engine()
        try:
            await feed(engine, batches)
            assert await moments(engine) == floor_now.AT
        finally:
            await engine.dispose()


# What /metrics shows at 12:12 for the families this change adds, written out (labels other than site → value).
METRICS_AT_NOON = {
    "pitwall_kpi_reception_queue_vehicles": {(): 1.0},
    "pitwall_kpi_reception_queue_longest_wait_seconds": {(): 12120.0},
    "pitwall_kpi_wip_past_promise_repair_orders": {(): 0.0},
    "pitwall_kpi_waiting_parts_repair_orders": {(): 1.0},
    "pitwall_kpi_stale_clocks": {(("kind", "job_past_clock_out"),): 1.0, (("kind", "job_over_sold_hours"),): 2.0,
                                 (("kind", "shift_overrun"),): 0.0},
    "pitwall_kpi_technician_info": {(("name", n), ("technician", t)): 1.0 for t, n in floor_now.NAMES.items()},
    "pitwall_kpi_bay_info": {(("bay", b), ("name", n)): 1.0 for b, n in floor_now.BAY_NAMES.items()},
    # March 2025's targets: 1200 entries a year split equally; rates as set. 2024's are not shown.
    "pitwall_kpi_target": {(("figure", "vehicle_entries"),): 100.0, (("figure", "comeback_rate"),): 0.05,
                           (("figure", "free_inspection_completion_rate"),): 0.9, (("figure", "staff_turnover_rate"),): 0.02},
    # Radar 1: RO5 is a first free service ÷ 2 vehicles due; 2: RO1 scheduled maintenance ÷ 5 due; 7: 400 invoiced ÷ 4
    # service employees; 11: 7 vehicles (V0 yesterday, V1–V6 today) in twelve months ÷ 50 in operation; 12: 1 leaver ÷ 4.
    "pitwall_kpi_free_inspection_completion_ratio": {(("window", "month_to_date"),): 0.5},
    "pitwall_kpi_paid_maintenance_completion_ratio": {(("window", "month_to_date"),): 0.2},
    "pitwall_kpi_revenue_per_service_employee": {(("window", "month_to_date"),): 100.0},
    "pitwall_kpi_vehicle_retention_ratio": {(("window", "month_to_date"),): 0.14},
    "pitwall_kpi_staff_turnover_ratio": {(("window", "month_to_date"),): 0.25},
}


def mine(text: str) -> dict[str, dict[tuple, float]]:
    """The samples of METRICS_AT_NOON's families for the site, keyed like it."""
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in METRICS_AT_NOON and sample.labels.get("site") == SITE:
                labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "site"))
                found.setdefault(sample.name, {})[labels] = sample.value
    return found


def lines_of(text: str) -> list[str]:
    """The sample lines of METRICS_AT_NOON's families."""
    return [line for line in text.splitlines() if line.split("{")[0] in METRICS_AT_NOON]


async def set_targets_and_reference(engine: AsyncEngine) -> None:
    """What a manager enters: targets for 2024 and 2025, reference data for March 2025."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        await write_targets(session, SITE, 2025, [
            TargetInput(indicator="vehicle_entries", yearly=Decimal(1200)),
            TargetInput(indicator="comeback_rate", yearly=Decimal("0.05")),
            TargetInput(indicator="free_inspection_completion_rate", yearly=Decimal("0.9")),
            TargetInput(indicator="staff_turnover_rate", yearly=Decimal("0.02"))], "manager")
        await write_targets(session, SITE, 2024, [TargetInput(indicator="vehicle_entries", yearly=Decimal(999))], "manager")
        await write_reference(session, SITE, "2025-03", ReferenceDataUpdate(
            vehicles_in_operation=50, service_headcount=4, leavers=1, vehicles_due_free_inspection=2,
            vehicles_due_paid_maintenance=5), "manager")


async def test_metrics_show_the_floor_now_targets_and_radar_alike_from_the_database_and_from_memory(database_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade_to_head(engine, "kpi")
    try:
        await feed(engine, [floor_now.events(SITE)])
        await set_targets_and_reference(engine)
        now = floor_now.at("12:12").timestamp()
        snapshots = await site_snapshots(engine, SITE, now)
        families = site_families(SITE, snapshots)
        families.update(await review_families_async(engine, SITE, now, snapshots["month_to_date"]))
        from_database = exposition.join([exposition.render(families)])
        assert mine(from_database) == METRICS_AT_NOON

        live = LiveState(changes_of)
        await live.hold(engine, [SITE], None)
        state = live.held(SITE)
        assert state is not None
        targets = live.targets[SITE]
        from_memory = exposition.join([exposition.render(memory.families(state, now, targets))])
        assert lines_of(from_memory) == lines_of(from_database)
        # Every window, month to date too, follows the clock and each change.
        later = exposition.join([exposition.render(memory.families(state, floor_now.at("16:30").timestamp(), targets))])
        assert mine(later)["pitwall_kpi_stale_clocks"][(("kind", "shift_overrun"),)] == 1.0
        assert mine(later)["pitwall_kpi_staff_turnover_ratio"] == {(("window", "month_to_date"),): 0.25}
        assert mine(later)["pitwall_kpi_target"] == METRICS_AT_NOON["pitwall_kpi_target"]
    finally:
        await engine.dispose()


async def test_rest_shows_the_floor_at_the_end_of_the_window_asked_for(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/kpi.db"
    engine = create_engine(url)
    await upgrade_to_head(engine, "kpi")
    try:
        await feed(engine, [floor_now.events(SITE)])
    finally:
        await engine.dispose()
    app = create_app(KpiSettings(database_url=url, run_consumer=False, run_relay=False))
    async with running(app) as client:
        for hhmm in ("09:35", "12:12", "16:30"):
            answer = by_name(await area(client, SITE, "floor", **{"from": "2025-03-12", "to": f"2025-03-12T{hhmm}:00"}))
            queue, longest, late, waiting, stale = floor_now.AT[hhmm]
            assert answer[("reception_queue", ())] == queue, hhmm
            assert answer[("reception_queue_longest_wait", ())] == longest, hhmm
            assert answer[("wip_past_promise", ())] == late, hhmm
            assert answer[("wip_waiting_parts", ())] == waiting, hhmm
            assert {kind: answer[("stale_clocks", (("kind", kind),))] for kind in stale} == stale, hhmm

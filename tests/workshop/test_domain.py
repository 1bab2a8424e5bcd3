"""The pure rules: job steps, dispatch checks and ranking, clock arithmetic and stale detection."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from services.workshop.adapters.tables import metadata
from services.workshop.domain.clock import (
    OpeningDay,
    OpenJobClock,
    OpenShift,
    StalePolicy,
    crossing_time,
    default_shift_end,
    hash_pin,
    pin_matches,
    stale_conditions,
)
from services.workshop.domain.dispatch import (
    BayView,
    TechnicianView,
    TechState,
    dispatch_refusals,
    rank_bays,
    rank_technicians,
)
from services.workshop.domain.jobs import JobStatus, Step, require_step
from shared.contracts.workshop import BayStatus, StaleClockKind
from shared.errors import IllegalTransition
from shared.migrations import alembic_config

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def tech(ident: str, skills: set[str], state: TechState = TechState.IDLE, load: str = "0", jobs: int = 0) -> TechnicianView:
    return TechnicianView(ident, ident, frozenset(skills), "technician", state, Decimal(load), jobs)


def bay(name: str, status: BayStatus = BayStatus.OPEN, kinds: set[str] | None = None, holder: str | None = None, assigned: int = 0) -> BayView:
    return BayView(name, name, "general", status, frozenset(kinds or set()), "", None, holder, assigned)


def test_steps_allowed_by_each_status() -> None:
    require_step(JobStatus.IN_PROGRESS, Step.COMPLETE, "j")
    with pytest.raises(IllegalTransition) as refused:
        require_step(JobStatus.DISPATCHED, Step.COMPLETE, "j")
    assert refused.value.state == "dispatched" and refused.value.allowed == ["dispatch", "clock-on", "parts-request"]
    with pytest.raises(IllegalTransition):
        require_step(JobStatus.WITHDRAWN, Step.DISPATCH, "j")


def test_dispatch_refusals_name_every_reason() -> None:
    reasons = dispatch_refusals("engine", tech("wang", {"body"}, TechState.NOT_CLOCKED_IN), bay("B3", BayStatus.OUT_OF_SERVICE, {"body"}))
    assert [r.code for r in reasons] == ["lacks_skill", "not_clocked_in", "bay_out_of_service", "wrong_bay_kind"]
    assert dispatch_refusals(None, tech("li", set()), bay("B1", kinds={"general"})) == []
    assert [r.code for r in dispatch_refusals(None, tech("li", set()), bay("B2", kinds={"chassis"}))] == ["wrong_bay_kind"]
    assert [r.code for r in dispatch_refusals("engine", tech("li", {"engine"}, TechState.ON_BREAK), bay("B1", BayStatus.CLOSED))] == ["bay_closed"]


def test_candidates_rank_by_skill_then_state_then_load() -> None:
    ranked = rank_technicians("engine", [
        tech("busy", {"engine"}, TechState.ON_JOB),
        tech("loaded", {"engine"}, load="3.5", jobs=2),
        tech("free", {"engine"}, load="1.0", jobs=1),
        tech("generalist", {"engine", "body", "paint"}, load="1.0", jobs=1),
        tech("unskilled", {"body"}),
        tech("absent", {"engine"}, TechState.NOT_CLOCKED_IN),
    ])
    assert [c.technician.id for c in ranked] == ["free", "generalist", "loaded", "busy", "absent", "unskilled"]
    assert [c.eligible for c in ranked] == [True, True, True, True, False, False]
    bays = rank_bays("chassis", [bay("B1", holder="x"), bay("B2", kinds={"chassis"}), bay("B3"), bay("B4", BayStatus.CLOSED)])
    assert [c.bay.id for c in bays] == ["B2", "B3", "B1", "B4"]


def test_crossing_time_of_a_job_clock() -> None:
    limit = timedelta(hours=1)
    assert crossing_time(timedelta(0), [], limit) is None
    assert crossing_time(timedelta(minutes=20), [T0], limit) == T0 + timedelta(minutes=40)
    assert crossing_time(timedelta(hours=2), [T0], limit) == T0
    # Two technicians on it from T0 and T0+10 min: 10 min alone, then 2 minutes per minute for the remaining 50.
    assert crossing_time(timedelta(0), [T0 + timedelta(minutes=10), T0], limit) == T0 + timedelta(minutes=35)


def test_stale_conditions() -> None:
    policy = StalePolicy(Decimal("2"), timedelta(minutes=30), timedelta(minutes=15))
    now = T0 + timedelta(hours=5)
    clocks = [
        OpenJobClock("i1", "s", "li", "j1", T0, 0, Decimal("1"), timedelta(0), (T0,), None),  # limit 2.5 h: over at T0+2.5h
        OpenJobClock("i2", "s", "wang", "j2", T0 + timedelta(hours=4), 0, Decimal("3"), timedelta(0), (T0 + timedelta(hours=4),),
                     T0 + timedelta(hours=3)),  # clocked out before the clock-on: since the clock-on
        OpenJobClock("i3", "s", "zhou", "j3", T0 + timedelta(hours=4), 1, Decimal("1"), timedelta(0), (T0 + timedelta(hours=4),), None),
    ]
    shifts = [OpenShift("a1", "s", "li", T0 + timedelta(hours=4, minutes=50)), OpenShift("a2", "s", "zhou", T0 + timedelta(hours=4))]
    found = {(c.kind, c.technician_id): c for c in stale_conditions(now, clocks, shifts, policy)}
    assert set(found) == {(StaleClockKind.JOB_OVER_SOLD_HOURS, "li"), (StaleClockKind.JOB_PAST_CLOCK_OUT, "wang"),
                          (StaleClockKind.SHIFT_OVERRUN, "zhou")}
    assert found[(StaleClockKind.JOB_OVER_SOLD_HOURS, "li")].since == T0 + timedelta(hours=2, minutes=30)
    assert found[(StaleClockKind.JOB_PAST_CLOCK_OUT, "wang")].since == T0 + timedelta(hours=4)
    assert found[(StaleClockKind.SHIFT_OVERRUN, "zhou")].key == "shift_overrun:a2"


def test_default_shift_end_is_the_sites_closing_time() -> None:
    days = [OpeningDay(0, time(8), time(18))]  # Mondays; 2026-03-02 is a Monday
    monday_9am_shanghai = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert default_shift_end(monday_9am_shanghai, "Asia/Shanghai", days, timedelta(hours=9)) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    late = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 19:00 local, after closing
    assert default_shift_end(late, "Asia/Shanghai", days, timedelta(hours=9)) == late + timedelta(hours=9)
    assert default_shift_end(late, None, [], timedelta(hours=8)) == late + timedelta(hours=8)


def test_terminal_pins_are_hashed() -> None:
    stored = hash_pin("4711")
    assert "4711" not in stored and pin_matches("4711", stored)
    assert not pin_matches("4712", stored) and not pin_matches("4711", None)


def test_migrations_match_the_tables(tmp_path: object) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path}/m.db"
    config = alembic_config("workshop")
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    with create_engine(url).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_the_api_documents_the_one_job_rule(tmp_path: object) -> None:
    from services.workshop.app import create_app
    from services.workshop.settings import WorkshopSettings

    app = create_app(WorkshopSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/d.db"))
    spec = app.openapi()
    assert "clocking on (or resuming) while clocked on another job is refused" in " ".join(spec["info"]["description"].split())
    assert "is **refused**" in spec["paths"]["/jobs/{job_id}/clock-on"]["post"]["description"]
    assert "X-Technician-Pin" in spec["paths"]["/technicians/{technician_id}/clock-in"]["post"]["description"]

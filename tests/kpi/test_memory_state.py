"""The sites' rows in memory (services.kpi.state) against the database: the same rows, the same figures, the same text.

The consumer applies each batch to the rows in memory and writes the changed rows behind; the REST API and a restarted
instance read the database. Both must agree, row for row and figure for figure, on SQLite and PostgreSQL, whatever the
order and batching of the events, and after a failed transaction.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import exposition
from services.kpi.db import PROJECTION_TABLES
from services.kpi.families import site_families
from services.kpi.handlers import changes_of, project_batch
from services.kpi.metrics import site_snapshots
from services.kpi.review import review_families_async
from services.kpi.satisfaction.metrics import satisfaction_families
from services.kpi.schemas import ReferenceDataUpdate, TargetInput
from services.kpi.state import figures as memory
from services.kpi.state.live import LiveState
from services.kpi.targets import write_reference, write_targets
from services.kpi.warranty.metrics import warranty_families
from shared.contracts import default_registry
from shared.contracts import reception as r
from shared.contracts.base import Event
from shared.db import create_engine
from shared.migrations import upgrade_to_head
from tests.kpi import floor_now
from tests.kpi.day import Day
from tests.kpi.forgotten_clock import ForgottenClockDay
from tests.kpi.harness import memory_engine
from tests.kpi.test_arrival_order import DAY, _windows, arrivals, canonical, reference
from tests.kpi.test_warranty import configured, script

Batch = Sequence[Event]


async def feed_live(engine: AsyncEngine, live: LiveState, batches: Iterable[tuple[Batch, Sequence[int] | None]]) -> None:
    """Apply batches as the consumer does: each in one transaction, in a savepoint, then committed (or undone)."""
    for events, sequences in batches:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            try:
                async with session.begin():
                    async with session.begin_nested():
                        await live.apply(session, events, sequences)
            except BaseException:
                live.rolled_back()
                raise
            live.committed()


async def stored(engine: AsyncEngine, site: str) -> dict[str, list[tuple]]:
    """Every projection row of a site in the database, sorted."""
    found = {}
    async with engine.connect() as conn:
        for model in PROJECTION_TABLES:
            table = model.__table__  # type: ignore[attr-defined]
            rows = (await conn.execute(select(table).where(table.c.site_id == site))).mappings()
            found[table.name] = sorted(tuple(sorted((k, repr(v)) for k, v in row.items())) for row in rows)
    return found


def held(live: LiveState, site: str) -> dict[str, list[tuple]]:
    """Every row of a site held in memory, sorted as `stored` sorts them."""
    state = live.held(site)
    assert state is not None
    return {model.__table__.name: sorted(tuple(sorted((k, repr(v)) for k, v in row.items()))  # type: ignore[attr-defined]
                                         for row in state.rows(model)) for model in PROJECTION_TABLES}


async def from_database(engine: AsyncEngine, site: str, now: float) -> str:
    """A site's /metrics text read from the database, as KpiMetrics computes it without rows in memory."""
    snapshots = await site_snapshots(engine, site, now)
    families = site_families(site, snapshots)
    families.update(await review_families_async(engine, site, now, snapshots.get("month_to_date")))
    families.update(await satisfaction_families(engine, site, now, exposition.Family))
    families.update(await warranty_families(engine, site, now, exposition.Family))
    return exposition.join([exposition.render(families)])


def from_memory(live: LiveState, site: str, now: float) -> str:
    """A site's /metrics text from its rows in memory."""
    state = live.held(site)
    assert state is not None
    return exposition.join([exposition.render(memory.families(state, now, live.targets.get(site) or memory.Targets()))])


def sorted_lines(text: str) -> list[str]:
    return sorted(line for line in text.splitlines() if not line.startswith("#"))


def days_events() -> tuple[list[str], list[tuple[Batch, Sequence[int] | None]], list[float]]:
    """Four sites' events (a scripted day, the floor now, a forgotten clock with surveys, warranty claims), cut into
    batches of every size in an arbitrary order with duplicates, and the moments to compare figures at."""
    rng = random.Random(16)
    day = Day("site-mem-day", "Asia/Shanghai", date(2025, 3, 12))
    forgotten = ForgottenClockDay("site-mem-clock", "Europe/Paris", date(2025, 3, 12))
    now = datetime(2025, 3, 12, 12, 30, tzinfo=UTC)
    claims = script("site-mem-claims", "Europe/Paris", now)
    registry = default_registry()
    claim_events = [(registry.get(ce.type).model_validate(ce.data), ce.sequence) for ce in claims.events.values()]  # type: ignore[union-attr]
    comeback = [r.ComebackFlagged(site_id=day.site, occurred_at=day.at("15:00"), repair_order_id="RO2", comeback_of="RO1"),
                r.ComebackFlagged(site_id=day.site, occurred_at=day.at("15:30"), repair_order_id="RO3", comeback_of="RO-old")]
    plain = [(e, 0) for e in day.events() + comeback + floor_now.events("site-mem-floor") + forgotten.events()
             + [configured(claims)]]
    stream = plain + claim_events
    rng.shuffle(stream)
    stream += rng.sample(stream, 40)  # re-sent
    batches, i = [], 0
    while i < len(stream):
        size = rng.choice([1, 2, 7, 30, 120])
        chunk = stream[i:i + size]
        batches.append(([e for e, _ in chunk], [s for _, s in chunk]))
        i += size
    sites = [day.site, "site-mem-floor", forgotten.site, claims.site]
    moments = [day.at("12:12").timestamp(), day.at("20:30").timestamp(), floor_now.at("16:30").timestamp(),
               forgotten.at("19:00").timestamp(), now.timestamp(), (now + timedelta(days=20)).timestamp()]
    return sites, batches, moments


async def set_targets(engine: AsyncEngine, site: str) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        await write_targets(session, site, 2025, [TargetInput(indicator="vehicle_entries", yearly=Decimal(1200)),
                                                  TargetInput(indicator="staff_turnover_rate", yearly=Decimal("0.02"))], "manager")
        await write_reference(session, site, "2025-03", ReferenceDataUpdate(
            vehicles_in_operation=50, service_headcount=4, leavers=1, vehicles_due_free_inspection=2,
            vehicles_due_paid_maintenance=5), "manager")


async def test_rows_and_figures_in_memory_are_those_of_the_database(database_url: str) -> None:
    written = create_engine(database_url)  # through memory, written behind
    await upgrade_to_head(written, "kpi")
    merged = await memory_engine()  # the same batches merged in the database (read, merge, write)
    try:
        sites, batches, moments = days_events()
        live = LiveState(changes_of)
        await feed_live(written, live, batches)
        for events, sequences in batches:
            async with AsyncSession(merged, expire_on_commit=False) as session, session.begin():
                await project_batch(session, events, sequences)
        for site in sites:
            await set_targets(written, site)
        await live.reread_targets(written)
        restarted = LiveState(changes_of)
        await restarted.hold(written, sites, None)
        for site in sites:
            rows = await stored(written, site)
            assert sum(map(len, rows.values())) >= 5  # the claims site: itself and 7 claims
            assert rows == await stored(merged, site), site
            assert held(live, site) == rows, site
            assert held(restarted, site) == rows, site
            for now in moments:
                text = from_memory(live, site, now)
                assert text == await from_database(written, site, now), (site, now)
                assert from_memory(restarted, site, now) == text
        assert "pitwall_kpi_target{" in from_memory(live, "site-mem-day", moments[0])
    finally:
        await written.dispose()
        await merged.dispose()


async def test_a_failed_transaction_puts_the_rows_in_memory_back() -> None:
    engine = await memory_engine()
    try:
        live = LiveState(changes_of)
        events = DAY.events()
        await feed_live(engine, live, [(events[:40], None)])
        before = held(live, DAY.site)
        with pytest.raises(RuntimeError):
            async with AsyncSession(engine, expire_on_commit=False) as session:
                try:
                    async with session.begin():
                        await live.apply(session, events[40:], None)
                        assert held(live, DAY.site) != before
                        raise RuntimeError("the offsets' write failed")
                except BaseException:
                    live.rolled_back()
                    raise
        assert held(live, DAY.site) == before == await stored(engine, DAY.site)
        await feed_live(engine, live, [(events[40:], None)])
        assert held(live, DAY.site) == await stored(engine, DAY.site)
    finally:
        await engine.dispose()


async def memory_figures_of(batches: list[list[Event]]) -> list[tuple]:
    engine = await memory_engine()
    try:
        live = LiveState(changes_of)
        await feed_live(engine, live, [(batch, None) for batch in batches])
        state = live.held(DAY.site)
        assert state is not None
        return [canonical(memory.snapshot(state, w)) for w in _windows()]
    finally:
        await engine.dispose()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batches=arrivals())
async def test_any_arrival_order_with_duplicates_gives_the_same_figures_from_memory(batches: list[list[Event]]) -> None:
    assert await memory_figures_of(batches) == await reference()



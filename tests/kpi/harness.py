"""Feed events straight into the kpi projection in-process, and read figures back (no Kafka)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.db import metadata
from services.kpi.facts import load_facts
from services.kpi.figures import Snapshot, compute
from services.kpi.figures.window import Window
from services.kpi.handlers import project_batch
from shared.contracts.base import Event
from shared.db import create_engine


async def memory_engine() -> AsyncEngine:
    """A fresh in-memory SQLite database with the kpi tables."""
    engine = create_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine


async def feed(engine: AsyncEngine, batches: Iterable[list[Event]]) -> None:
    """Apply each batch in one transaction, all its events at once in a savepoint (as the consumer runner does)."""
    for batch in batches:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            async with session.begin_nested():
                await project_batch(session, batch)


async def figures(engine: AsyncEngine, site: str, window: Window) -> Snapshot:
    """Every figure of a site over a window."""
    async with engine.connect() as conn:
        facts = await load_facts(conn, site, window.start, window.end, window.now)
    return compute(facts, window)

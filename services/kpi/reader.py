"""Recomputing sites' figures in a worker process, on its own synchronous connection to the projection.

In the service's process the figures (pure Python) held the interpreter lock for tens of milliseconds per site, and
the consumer, whose every statement waits for a thread hop or the event loop, fell behind at 200 events/s. In a worker
process they run beside it (on another core when there is one). There a site's read is some thirty statements on one
synchronous connection, without a hop per statement; the worker sends back the site's rendered /metrics text.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import Engine, create_engine

from services.kpi import exposition
from services.kpi import facts as facts_db
from services.kpi.families import site_families
from services.kpi.figures import Snapshot, compute
from services.kpi.figures import window as windows
from services.kpi.satisfaction.metrics import satisfaction_families_sync

log = logging.getLogger("pitwall.kpi.reader")


def sync_url(url: str) -> str | None:
    """The same database through a synchronous driver, or None (an in-memory SQLite, or no synchronous driver)."""
    if url.startswith("sqlite+aiosqlite:///") and url not in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"):
        return url.replace("sqlite+aiosqlite", "sqlite", 1)
    if url.startswith("postgresql+asyncpg://") and importlib.util.find_spec("psycopg2") is not None:
        return url.replace("postgresql+asyncpg", "postgresql+psycopg2", 1)
    return None


def site_figures(engine: Engine, site_id: str, now: float) -> tuple[dict[str, Snapshot], dict[str, Any]]:
    """Today, the rolling hour and month to date of one site from one read of its facts, and its satisfaction gauges."""
    with engine.connect() as conn:
        site = facts_db.site_config(conn.execute(facts_db.statement("site"), {"site": site_id}).mappings().first())
        chosen = [windows.named(kind, site.time_zone, now) for kind in windows.WINDOW_KINDS]
        facts = facts_db.load_facts_sync(conn, site_id, min(w.start for w in chosen), max(w.end for w in chosen), now)
        satisfaction = satisfaction_families_sync(conn, site, site_id, now, exposition.Family)
    return {w.kind: compute(facts, w) for w in chosen}, satisfaction


_engine: Engine | None = None  # the worker process's own


def _start(url: str) -> None:
    global _engine  # noqa: PLW0603 - one engine per worker process
    options: dict[str, Any] = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_size": 1, "pool_pre_ping": True}
    _engine = create_engine(url, **options)


def _rendered(site_id: str, now: float) -> dict[str, exposition.Rendered]:
    assert _engine is not None
    snapshots, satisfaction = site_figures(_engine, site_id, now)
    return exposition.render({**site_families(site_id, snapshots), **satisfaction})


class FigureWorker:
    """One worker process computing sites' figures (started on first use, restarted if it dies)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._pool: ProcessPoolExecutor | None = None

    async def rendered(self, site_id: str, now: float) -> dict[str, exposition.Rendered]:
        """A site's /metrics text as of `now`."""
        if self._pool is None:
            # Spawned, not forked: this process runs threads (the event loop's executors, the DB drivers).
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                                             initargs=(self._url,))
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, _rendered, site_id, now)
        except BrokenProcessPool:
            log.warning("the figures' worker process died; starting another")
            self.close()
            raise

    def close(self) -> None:
        """Stop the worker process."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

"""Recomputing sites' figures in a worker process, on its own synchronous connection to the projection.

In the service's process the figures (pure Python) held the interpreter lock for tens of milliseconds per site, and
the consumer, whose every statement waits for a thread hop or the event loop, fell behind at 200 events/s. In a worker
process they run beside it (on another core when there is one). There a site's read is some thirty statements on one
synchronous connection, without a hop per statement; the worker sends back the site's rendered /metrics text.
A change recomputes today and the rolling hour from today's facts; month to date, from the whole month's, at most
every `month_every` seconds (its previous figures are shown meanwhile).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import Engine, create_engine

from services.kpi import exposition
from services.kpi import facts as facts_db
from services.kpi.families import site_families
from services.kpi.figures import Snapshot, compute
from services.kpi.figures import window as windows
from services.kpi.review import review_families, review_rows_sync
from services.kpi.satisfaction.metrics import satisfaction_families_sync
from services.kpi.warranty.metrics import warranty_families_sync

log = logging.getLogger("pitwall.kpi.reader")


def sync_url(url: str) -> str | None:
    """The same database through a synchronous driver, or None (an in-memory SQLite, or no synchronous driver)."""
    if url.startswith("sqlite+aiosqlite:///") and url not in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"):
        return url.replace("sqlite+aiosqlite", "sqlite", 1)
    if url.startswith("postgresql+asyncpg://") and importlib.util.find_spec("psycopg2") is not None:
        return url.replace("postgresql+asyncpg", "postgresql+psycopg2", 1)
    return None


def site_figures(engine: Engine, site_id: str, now: float,
                 kinds: tuple[str, ...] = windows.WINDOW_KINDS) -> tuple[dict[str, Snapshot], dict[str, Any]]:
    """Windows of one site from one read of the facts they need, and its satisfaction and warranty gauges over them."""
    with engine.connect() as conn:
        site = facts_db.site_config(conn.execute(facts_db.statement("site"), {"site": site_id}).mappings().first())
        chosen = [windows.named(kind, site.time_zone, now) for kind in kinds]
        facts = facts_db.load_facts_sync(conn, site_id, min(w.start for w in chosen), max(w.end for w in chosen), now)
        review = review_rows_sync(conn, site_id, site, now, "month_to_date" in kinds)
        satisfaction = satisfaction_families_sync(conn, site, site_id, now, exposition.Family, kinds)
        satisfaction.update(warranty_families_sync(conn, site, site_id, now, exposition.Family, kinds))
    snapshots = {w.kind: compute(facts, w) for w in chosen}
    return snapshots, {**satisfaction, **review_families(site_id, review, snapshots.get("month_to_date"))}


def of_window(families: dict[str, exposition.Family], kind: str) -> dict[str, exposition.Family]:
    """The samples of one window (families without a window label are states, read for today)."""
    chosen = {}
    for name, family in families.items():
        if "window" in family.labels:
            at = family.labels.index("window")
            samples = [sample for sample in family.samples if sample[0][at] == kind]
            if samples:
                chosen[name] = exposition.Family(family.kind, family.help, family.labels, samples)
    return chosen


def merged(families: dict[str, exposition.Family], more: dict[str, exposition.Family]) -> dict[str, exposition.Family]:
    """Families with another window's samples after their own."""
    result = dict(families)
    for name, family in more.items():
        mine = result.get(name)
        result[name] = family if mine is None else exposition.Family(mine.kind, mine.help, mine.labels, mine.samples + family.samples)
    return result


_engine: Engine | None = None  # the worker process's own
_month_every = 10.0
_month: dict[str, tuple[float, dict[str, exposition.Family]]] = {}  # site → (computed at, month-to-date families)


def _start(url: str, month_every: float) -> None:
    global _engine, _month_every  # noqa: PLW0603 - one engine per worker process
    # Ctrl-C reaches the whole process group: the service stops its worker itself, and the worker killed mid-call by
    # the signal broke the pool and left its queues' semaphores to the resource tracker ("leaked semaphore objects").
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    options: dict[str, Any] = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_size": 1, "pool_pre_ping": True}
    _engine, _month_every = create_engine(url, **options), month_every
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # A killed service never shuts its pool down, and the worker, blocked on a queue whose write end it holds itself,
    # would outlive it with a DB connection open.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _rendered(site_id: str, now: float) -> dict[str, exposition.Rendered]:
    # Today and the rolling hour need today's facts only; month to date needs the month's, more every day of it: it is
    # recomputed when `_month_every` seconds old, and its last figures are shown meanwhile.
    assert _engine is not None
    cached = _month.get(site_id)
    whole = cached is None or now - cached[0] >= _month_every
    snapshots, satisfaction = site_figures(_engine, site_id, now, windows.WINDOW_KINDS if whole else ("today", "rolling_hour"))
    families = {**site_families(site_id, snapshots), **satisfaction}
    if whole:
        _month[site_id] = (now, of_window(families, "month_to_date"))
    else:
        assert cached is not None
        families = merged(families, cached[1])
    return exposition.render(families)


class FigureWorker:
    """One worker process computing sites' figures (started on first use, restarted if it dies)."""

    def __init__(self, url: str, month_every: float = 10.0) -> None:
        """`month_every`: how old month-to-date figures may get while today's are recomputed at each change."""
        self._url, self._month_every = url, month_every
        self._pool: ProcessPoolExecutor | None = None

    async def rendered(self, site_id: str, now: float) -> dict[str, exposition.Rendered]:
        """A site's /metrics text as of `now`."""
        if self._pool is None:
            # Spawned, not forked: this process runs threads (the event loop's executors, the DB drivers).
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                                             initargs=(self._url, self._month_every))
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, _rendered, site_id, now)
        except BrokenProcessPool:
            log.warning("the figures' worker process died; starting another")
            self.close()
            raise

    def close(self) -> None:
        """Stop the worker process and wait for it (at most the site being computed)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            # Waiting closes the pool's queues now: a service stopped by SIGTERM dies right after its shutdown, before any
            # clean-up at exit, and their semaphores were reported "leaked" by the resource tracker.
            pool.shutdown(wait=True, cancel_futures=True)

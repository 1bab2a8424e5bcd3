"""A synchronous reader of the projection, for recomputing a site's figures in a worker thread.

Through the async drivers every statement of a facts read hops between threads (aiosqlite) or awaits the loop;
a site's read is some thirty statements, and those hops cost more than the statements themselves. In one worker
thread on a synchronous connection, the read, the figures and the rendering leave the event loop (the consumer) free.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from sqlalchemy import Engine, create_engine

from services.kpi import facts as facts_db
from services.kpi.figures import Snapshot, compute
from services.kpi.figures import window as windows
from services.kpi.satisfaction.metrics import satisfaction_families_sync


def sync_engine_for(url: str) -> Engine | None:
    """A synchronous engine on the same database, or None (an in-memory SQLite, or no synchronous driver)."""
    if url.startswith("sqlite+aiosqlite:///") and url not in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"):
        return create_engine(url.replace("sqlite+aiosqlite", "sqlite", 1), connect_args={"timeout": 60})
    if url.startswith("postgresql+asyncpg://") and importlib.util.find_spec("psycopg2") is not None:
        return create_engine(url.replace("postgresql+asyncpg", "postgresql+psycopg2", 1), pool_size=2, max_overflow=2,
                             pool_pre_ping=True)
    return None


def site_figures(engine: Engine, site_id: str, now: float, family: Any) -> tuple[dict[str, Snapshot], dict[str, Any]]:
    """Today, the rolling hour and month to date of one site from one read of its facts, and its satisfaction gauges
    (families built with `family`); blocking."""
    with engine.connect() as conn:
        site = facts_db.site_config(conn.execute(facts_db.statement("site"), {"site": site_id}).mappings().first())
        chosen = [windows.named(kind, site.time_zone, now) for kind in windows.WINDOW_KINDS]
        facts = facts_db.load_facts_sync(conn, site_id, min(w.start for w in chosen), max(w.end for w in chosen), now)
        satisfaction = satisfaction_families_sync(conn, site, site_id, now, family)
    return {w.kind: compute(facts, w) for w in chosen}, satisfaction

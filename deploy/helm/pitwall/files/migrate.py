"""Init step of a Pitwall pod: bring the service's database to head, one pod at a time.

`python migrate.py SERVICE`, in the service's image and environment. Replicas starting together wait in turn on a
PostgreSQL advisory lock, so one of them migrates and the others find the schema at head.
"""

from __future__ import annotations

import asyncio
import importlib
import sys

from sqlalchemy import text

from shared.db import create_engine
from shared.migrations import upgrade_to_head


async def migrate(service: str) -> None:
    """Take the service's migration lock, upgrade to head, let go."""
    settings_module = importlib.import_module(f"services.{service}.settings")
    settings = getattr(settings_module, f"{service.title()}Settings")()
    engine = create_engine(settings.resolved_database_url())
    try:
        async with engine.connect() as lock:
            if engine.dialect.name == "postgresql":
                await lock.execute(text("SELECT pg_advisory_lock(hashtext(:key))"), {"key": f"pitwall-migrate-{service}"})
            await upgrade_to_head(engine, service)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(migrate(sys.argv[1]))

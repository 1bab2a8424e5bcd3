"""The write path's baseline: a bare FastAPI endpoint inserting one row, served like a service.

`python -m bench.bare_app --database-url URL --port P`: POST /rows {"site_id": ..., "note": ...} → 201 {"id": ...}. The same
engine settings as the services (shared.db.create_engine: WAL, busy timeout, BEGIN IMMEDIATE on SQLite; a pool on
PostgreSQL); no auth, no unit of work, no outbox, no idempotency.
"""

from __future__ import annotations

import argparse
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, MetaData, String, Table

from shared.db import UtcDateTime, create_engine

metadata = MetaData()
rows = Table(
    "bench_bare_row", metadata,
    Column("id", String(36), primary_key=True),
    Column("site_id", String(100), nullable=False),
    Column("note", String(500), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)


class RowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site_id: str
    note: str


class RowRead(BaseModel):
    id: str


def create_app(database_url: str) -> FastAPI:
    """The bare app on one database."""
    engine = create_engine(database_url)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Alive."""
        return {"status": "ok"}

    @app.post("/rows", status_code=201)
    async def insert(body: RowCreate) -> RowRead:
        """Insert one row."""
        row_id = str(uuid.uuid4())
        async with engine.begin() as connection:
            await connection.execute(rows.insert().values(id=row_id, site_id=body.site_id, note=body.note,
                                                          created_at=datetime.now(UTC)))
        return RowRead(id=row_id)

    return app


def main() -> None:
    """Serve it with uvicorn, as the services are."""
    parser = argparse.ArgumentParser(prog="python -m bench.bare_app")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.database_url), host="127.0.0.1", port=args.port, log_config=None)


if __name__ == "__main__":
    main()

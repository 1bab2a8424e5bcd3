"""The rows in memory and the database: loading held sites, and writing a batch's changed rows behind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.kpi.db import PROJECTION_TABLES, Table
from services.kpi.projection.store import CHUNK, primary_key
from services.kpi.state.rows import Ident, Row, Rows, SiteState


def _table(model: type[Table]) -> Any:
    return model.__table__  # type: ignore[attr-defined]


async def load(conn: AsyncConnection, rows: Rows, site_ids: Iterable[str]) -> list[str]:
    """Read these sites' rows from the database into memory (replacing what was held); returns the sites read."""
    chosen = sorted(set(site_ids))
    for site_id in chosen:
        rows.sites[site_id] = SiteState(site_id)
    for start in range(0, len(chosen), CHUNK):
        part = chosen[start:start + CHUNK]
        for model in PROJECTION_TABLES:
            table, key = _table(model), primary_key(model)
            for row in (await conn.execute(select(table).where(table.c.site_id.in_(part)))).mappings():
                rows.sites[row["site_id"]].put(model, tuple(row[k] for k in key), dict(row))
    return chosen


@cache
def _upsert(dialect: str, model: type[Table]) -> Any:
    table, key = _table(model), primary_key(model)
    statement = (sqlite_insert if dialect == "sqlite" else pg_insert)(table)
    others = [c.name for c in table.columns if c.name not in key]
    if not others:
        return statement.on_conflict_do_nothing(index_elements=list(key))
    return statement.on_conflict_do_update(index_elements=list(key), set_={c: statement.excluded[c] for c in others})


@cache
def _delete(model: type[Table]) -> Any:
    table = _table(model)
    return delete(table).where(and_(*(table.c[k] == bindparam(f"key_{k}") for k in primary_key(model))))


async def write_behind(conn: AsyncConnection, rows: Rows, mark: int) -> int:
    """Write every row changed since the mark (inserted or updated as it is now, or deleted); returns how many."""
    upserts: dict[type[Table], list[Row]] = defaultdict(list)
    deletes: dict[type[Table], list[Ident]] = defaultdict(list)
    for model, ident, now, _ in rows.changed_since(mark):
        if now is None:
            deletes[model].append(ident)
        else:
            upserts[model].append(now)
    for model, idents in deletes.items():
        key = primary_key(model)
        await conn.execute(_delete(model), [{f"key_{k}": v for k, v in zip(key, ident, strict=True)} for ident in idents])
    for model, changed in upserts.items():
        await conn.execute(_upsert(conn.dialect.name, model), changed)
    return sum(map(len, upserts.values())) + sum(map(len, deletes.values()))

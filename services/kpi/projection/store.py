"""Writes of the projection, a batch of events at a time. Never commits.

Handlers only say what each event means (`Changes`: patches of fact rows, immutable facts, clock marks); `write` then
reads every row the batch touches with one query per table, merges the patches in memory (projection.rules), writes
the new and changed rows with one statement each kind, and re-derives the intervals of the jobs and technicians
whose marks changed. A batch gives the same rows as its events applied one by one: merges are commutative and
idempotent, and derived intervals are a pure function of the marks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.db import (
    AttendanceIntervalFact,
    AttendanceMarkFact,
    BayHoldFact,
    JobIntervalFact,
    JobMarkFact,
    SiteFact,
    Table,
)
from services.kpi.projection.rules import Mark, Patch, apply_patch, bay_holds, job_intervals, pair

SERIES = {"shift": ("in", "out"), "break": ("break_start", "break_end")}
SERIES_OF_KIND = {kind: series for series, kinds in SERIES.items() for kind in kinds}
CHUNK = 300  # keys per query (well under SQLite's and asyncpg's bound-parameter limits)
NOTHING = Patch()  # a batch's patch of a row it only needs to exist


def _table(model: type[Table]) -> Any:
    return model.__table__  # type: ignore[attr-defined]


@cache
def primary_key(model: type[Table]) -> tuple[str, ...]:
    """The names of a fact table's key columns, in key order."""
    return tuple(c.name for c in _table(model).primary_key.columns)


@cache
def blank(model: type[Table]) -> dict[str, None]:
    """A row of the model with every column empty."""
    return dict.fromkeys(c.name for c in _table(model).columns)


def merged(model: type[Table], key: dict[str, Any], before: dict[str, Any] | None, patches: list[Patch]) -> dict[str, Any]:
    """The row after a batch's patches (a new row from its key when there was none)."""
    row = dict(before) if before is not None else {**blank(model), **key}
    for patch in patches:
        row = apply_patch(row, patch)
    return row


def derived_job_rows(site_id: str, job_id: str, marks: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A job's interval rows and bay-hold rows, from its mark rows."""
    points = [Mark(r["at"], r["kind"], r["technician_id"], r["bay_id"]) for r in marks]
    ro = next((r["repair_order_id"] for r in marks if r["repair_order_id"]), None)
    intervals = [{"site_id": site_id, "job_id": job_id, "technician_id": i.technician_id, "start": i.start, "end": i.end,
                  "bay_id": i.bay_id, "repair_order_id": ro} for i in job_intervals(points)]
    holds = [{"site_id": site_id, "job_id": job_id, "bay_id": h.bay_id, "start": h.start, "end": h.end}
             for h in bay_holds(points)]
    return intervals, holds


@dataclass
class Changes:
    """What a batch of events says, gathered per table (first statement wins for immutable facts)."""

    merges: dict[type[Table], dict[tuple[Any, ...], tuple[dict[str, Any], list[Patch]]]] = field(default_factory=dict)
    facts: dict[type[Table], dict[tuple[Any, ...], dict[str, Any]]] = field(default_factory=dict)
    sites: set[str] = field(default_factory=set)
    jobs: set[tuple[str, str]] = field(default_factory=set)
    attendance: dict[tuple[str, str, str], tuple[datetime, datetime]] = field(default_factory=dict)

    def merge(self, model: type[Table], key: dict[str, Any], patch: Patch) -> None:
        """Apply a patch to the row with this key, creating it if needed."""
        ident = tuple(key[k] for k in primary_key(model))
        entry = self.merges.setdefault(model, {}).setdefault(ident, (key, []))
        entry[1].append(patch)

    def insert(self, model: type[Table], **values: Any) -> None:
        """Insert a fact unless a row with its key exists (facts are immutable)."""
        ident = tuple(values[k] for k in primary_key(model))
        self.facts.setdefault(model, {}).setdefault(ident, values)

    def touch_site(self, site_id: str) -> None:
        """Remember that a site exists (for /metrics)."""
        self.sites.add(site_id)

    def job_mark(self, site_id: str, job_id: str, at: datetime, kind: str, technician_id: str, bay_id: str | None,
                 repair_order_id: str | None) -> None:
        """A point of a job's clock; the job's intervals and bay holds are re-derived."""
        self.insert(JobMarkFact, site_id=site_id, job_id=job_id, at=at, kind=kind, technician_id=technician_id, bay_id=bay_id,
                    repair_order_id=repair_order_id)
        self.jobs.add((site_id, job_id))

    def attendance_mark(self, site_id: str, technician_id: str, at: datetime, kind: str) -> None:
        """A point of a technician's attendance; the intervals around it are re-derived."""
        self.insert(AttendanceMarkFact, site_id=site_id, technician_id=technician_id, at=at, kind=kind)
        group = (site_id, technician_id, SERIES_OF_KIND[kind])
        lo, hi = self.attendance.get(group, (at, at))
        self.attendance[group] = (min(lo, at), max(hi, at))


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert(conn: AsyncConnection, model: type[Table]) -> Any:
    return (sqlite_insert if conn.dialect.name == "sqlite" else pg_insert)(_table(model))


async def write(session: AsyncSession, changes: Changes) -> None:
    """Write a batch's changes inside the session's transaction."""
    conn = await session.connection()
    for site_id in changes.sites:
        changes.merge(SiteFact, {"site_id": site_id}, NOTHING)
    for model, entries in changes.merges.items():
        await _merge_rows(conn, model, entries)
    for model, facts in changes.facts.items():
        await insert_ignore(conn, model, list(facts.values()))
    if changes.jobs:
        await _rederive_jobs(conn, sorted(changes.jobs))
    if changes.attendance:
        await _rederive_attendance(conn, sorted(changes.attendance.items()))


async def insert_ignore(conn: AsyncConnection, model: type[Table], rows: list[dict[str, Any]]) -> None:
    """Insert facts, keeping the rows whose key already exists."""
    if rows:
        empty = blank(model)
        await conn.execute(_insert(conn, model).on_conflict_do_nothing(), [{**empty, **row} for row in rows])


async def _existing(conn: AsyncConnection, model: type[Table], idents: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    table, key = _table(model), primary_key(model)
    found = {}
    for chunk in _chunks(idents):
        where = table.c[key[0]].in_([i[0] for i in chunk]) if len(key) == 1 else tuple_(*(table.c[k] for k in key)).in_(chunk)
        for row in (await conn.execute(select(table).where(where))).mappings():
            found[tuple(row[k] for k in key)] = dict(row)
    return found


async def _merge_rows(conn: AsyncConnection, model: type[Table],
                      entries: dict[tuple[Any, ...], tuple[dict[str, Any], list[Patch]]]) -> None:
    existing = await _existing(conn, model, list(entries))
    created, changed = [], []
    for ident, (key, patches) in entries.items():
        before = existing.get(ident)
        row = merged(model, key, before, patches)
        if before is None:
            created.append(row)
        elif row != before:
            changed.append(row)
    await insert_ignore(conn, model, created)
    if changed:
        table, key = _table(model), primary_key(model)
        where = and_(*(table.c[k] == bindparam(f"key_{k}") for k in key))
        await conn.execute(table.update().where(where), [
            {**{f"key_{k}": row[k] for k in key}, **{c: v for c, v in row.items() if c not in key}} for row in changed])


async def _rederive_jobs(conn: AsyncConnection, jobs: list[tuple[str, str]]) -> None:
    """Replace the jobs' derived intervals and holds by those their marks give now."""
    marks, intervals, holds = _table(JobMarkFact), _table(JobIntervalFact), _table(BayHoldFact)
    for chunk in _chunks(jobs):
        by_job: dict[tuple[str, str], list[Any]] = defaultdict(list)
        rows = await conn.execute(select(marks).where(tuple_(marks.c.site_id, marks.c.job_id).in_(chunk)))
        for r in rows.mappings():
            by_job[(r["site_id"], r["job_id"])].append(r)
        await conn.execute(delete(intervals).where(tuple_(intervals.c.site_id, intervals.c.job_id).in_(chunk)))
        await conn.execute(delete(holds).where(tuple_(holds.c.site_id, holds.c.job_id).in_(chunk)))
        derived_intervals, derived_holds = [], []
        for (site_id, job_id), job_marks in by_job.items():
            intervals_of_job, holds_of_job = derived_job_rows(site_id, job_id, job_marks)
            derived_intervals += intervals_of_job
            derived_holds += holds_of_job
        if derived_intervals:
            await conn.execute(intervals.insert(), derived_intervals)
        if derived_holds:
            await conn.execute(holds.insert(), derived_holds)


def _attendance_statements() -> tuple[Any, Any, Any]:
    """Bounds of a re-pairing, the marks inside them, and the intervals to replace (static: compiled once)."""
    marks, intervals = _table(AttendanceMarkFact), _table(AttendanceIntervalFact)
    own = and_(marks.c.site_id == bindparam("site"), marks.c.technician_id == bindparam("tech"))
    start = marks.c.kind == bindparam("start_kind")
    bounds = select(select(func.max(marks.c.at)).where(own, start, marks.c.at < bindparam("first")).scalar_subquery(),
                    select(func.min(marks.c.at)).where(own, start, marks.c.at > bindparam("last")).scalar_subquery())
    inside = select(marks.c.at, marks.c.kind).where(own, marks.c.kind.in_([bindparam("start_kind"), bindparam("stop_kind")]),
                                                    marks.c.at >= bindparam("lo"), marks.c.at <= bindparam("hi"))
    replaced = delete(intervals).where(intervals.c.site_id == bindparam("d_site"), intervals.c.technician_id == bindparam("d_tech"),
                                       intervals.c.series == bindparam("d_series"), intervals.c.start >= bindparam("d_lo"),
                                       intervals.c.start < bindparam("d_hi"))
    return bounds, inside, replaced


_ATTENDANCE = _attendance_statements()
_NEVER = datetime(9999, 1, 1, tzinfo=UTC)  # "no later start": the upper bound of an open-ended re-pairing


async def _rederive_attendance(conn: AsyncConnection, groups: Iterable[tuple[tuple[str, str, str], tuple[datetime, datetime]]]) -> None:
    """Re-pair each technician's series from the start before the batch's first mark to the start after its last.

    Only the interval of the start before the first mark, and those of the starts up to the one after the last mark,
    can change.
    """
    bounds, inside, replaced = _ATTENDANCE
    deletions, values = [], []
    for (site, tech, series), (first, last) in groups:
        start_kind, stop_kind = SERIES[series]
        ids = {"site": site, "tech": tech, "start_kind": start_kind}
        lo, hi = (await conn.execute(bounds, {**ids, "first": first, "last": last})).one()
        lo = lo if lo is not None else first
        rows = (await conn.execute(inside, {**ids, "stop_kind": stop_kind, "lo": lo, "hi": hi or _NEVER})).all()
        derived = pair([t for t, k in rows if k == start_kind], [t for t, k in rows if k == stop_kind])
        deletions.append({"d_site": site, "d_tech": tech, "d_series": series, "d_lo": lo, "d_hi": hi or _NEVER})
        values += [{"site_id": site, "technician_id": tech, "series": series, "start": s, "end": e}
                   for s, e in derived if hi is None or s < hi]
    await conn.execute(replaced, deletions)
    if values:
        await conn.execute(_table(AttendanceIntervalFact).insert(), values)

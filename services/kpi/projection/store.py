"""Writes of the projection: merge fact rows, insert marks, re-derive intervals. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


def _insert(session: AsyncSession, model: type[Table]) -> Any:
    table = model.__table__  # type: ignore[attr-defined]
    return (sqlite_insert if session.bind.dialect.name == "sqlite" else pg_insert)(table)


async def insert_ignore(session: AsyncSession, model: type[Table], **values: Any) -> None:
    """Insert a fact unless a row with its key exists (facts are immutable)."""
    await session.execute(_insert(session, model).values(**values).on_conflict_do_nothing())


async def merge_row(session: AsyncSession, model: type[Table], key: dict[str, Any], patch: Patch) -> None:
    """Apply a patch to the row with this key, creating it if needed."""
    table = model.__table__  # type: ignore[attr-defined]
    where = and_(*(table.c[k] == v for k, v in key.items()))
    existing = (await session.execute(select(table).where(where))).mappings().first()
    before = dict(existing) if existing is not None else dict(key)
    after = apply_patch(before, patch)
    if existing is None:
        await session.execute(_insert(session, model).values(**after).on_conflict_do_nothing())
    elif after != before:
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        await session.execute(table.update().where(where).values(**changed))


async def touch_site(session: AsyncSession, site_id: str) -> None:
    """Remember that a site exists (for /metrics)."""
    await insert_ignore(session, SiteFact, site_id=site_id)


async def add_job_mark(session: AsyncSession, site_id: str, job_id: str, at: datetime, kind: str, technician_id: str,
                       bay_id: str | None, repair_order_id: str | None) -> None:
    """Record a point of a job's clock and re-derive the job's intervals and bay holds."""
    await insert_ignore(session, JobMarkFact, site_id=site_id, job_id=job_id, at=at, kind=kind, technician_id=technician_id,
                        bay_id=bay_id, repair_order_id=repair_order_id)
    await rederive_job(session, site_id, job_id)


async def rederive_job(session: AsyncSession, site_id: str, job_id: str) -> None:
    """Replace a job's derived intervals and holds by those its marks give now."""
    marks_table = JobMarkFact.__table__  # type: ignore[attr-defined]
    rows = (await session.execute(
        select(marks_table).where(marks_table.c.site_id == site_id, marks_table.c.job_id == job_id))).mappings().all()
    marks = [Mark(r["at"], r["kind"], r["technician_id"], r["bay_id"]) for r in rows]
    ro = next((r["repair_order_id"] for r in rows if r["repair_order_id"]), None)
    intervals = JobIntervalFact.__table__  # type: ignore[attr-defined]
    holds = BayHoldFact.__table__  # type: ignore[attr-defined]
    await session.execute(delete(intervals).where(intervals.c.site_id == site_id, intervals.c.job_id == job_id))
    await session.execute(delete(holds).where(holds.c.site_id == site_id, holds.c.job_id == job_id))
    derived = job_intervals(marks)
    if derived:
        await session.execute(intervals.insert(), [
            {"site_id": site_id, "job_id": job_id, "technician_id": i.technician_id, "start": i.start, "end": i.end,
             "bay_id": i.bay_id, "repair_order_id": ro} for i in derived])
    held = bay_holds(marks)
    if held:
        await session.execute(holds.insert(), [
            {"site_id": site_id, "job_id": job_id, "bay_id": h.bay_id, "start": h.start, "end": h.end} for h in held])


async def add_attendance_mark(session: AsyncSession, site_id: str, technician_id: str, at: datetime, kind: str) -> None:
    """Record a point of a technician's attendance and re-derive the intervals around it."""
    await insert_ignore(session, AttendanceMarkFact, site_id=site_id, technician_id=technician_id, at=at, kind=kind)
    series = SERIES_OF_KIND[kind]
    start_kind, stop_kind = SERIES[series]
    marks = AttendanceMarkFact.__table__  # type: ignore[attr-defined]
    own = and_(marks.c.site_id == site_id, marks.c.technician_id == technician_id)
    # Only the start before `at` and a start at `at` can change: recompute [previous start, next start).
    lo = (await session.execute(select(func.max(marks.c.at)).where(own, marks.c.kind == start_kind, marks.c.at < at))).scalar()
    hi = (await session.execute(select(func.min(marks.c.at)).where(own, marks.c.kind == start_kind, marks.c.at > at))).scalar()
    lo = lo or at
    in_range = [marks.c.at >= lo] + ([marks.c.at <= hi] if hi is not None else [])
    rows = (await session.execute(select(marks.c.at, marks.c.kind).where(own, *in_range))).all()
    derived = pair([t for t, k in rows if k == start_kind], [t for t, k in rows if k == stop_kind])
    intervals = AttendanceIntervalFact.__table__  # type: ignore[attr-defined]
    scope = [intervals.c.site_id == site_id, intervals.c.technician_id == technician_id, intervals.c.series == series,
             intervals.c.start >= lo] + ([intervals.c.start < hi] if hi is not None else [])
    await session.execute(delete(intervals).where(*scope))
    values = [{"site_id": site_id, "technician_id": technician_id, "series": series, "start": s, "end": e}
              for s, e in derived if hi is None or s < hi]
    if values:
        await session.execute(intervals.insert(), values)

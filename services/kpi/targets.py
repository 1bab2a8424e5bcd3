"""Targets (yearly per site, split into months) and reference data: reads and writes, never commits."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.db import ReferenceData, TargetMonth, TargetYear
from services.kpi.figures.reports import REFERENCE_FIELDS, split_yearly
from services.kpi.schemas import ReferenceDataUpdate, TargetInput
from shared.outbox import utcnow

Months = dict[str, list[Decimal | None]]


async def read_targets(session: Any, site_id: str, year: int) -> tuple[int, Months]:
    """(version, indicator → twelve monthly targets) of a site's year."""
    version_row = (await session.execute(select(TargetYear.version).where(
        TargetYear.site_id == site_id, TargetYear.year == year))).scalar()
    months: Months = defaultdict(lambda: [None] * 12)
    for row in (await session.execute(select(TargetMonth).where(
            TargetMonth.site_id == site_id, TargetMonth.year == year))).scalars():
        months[row.indicator][row.month - 1] = row.value
    return int(version_row or 0), dict(months)


async def write_targets(session: AsyncSession, site_id: str, year: int, inputs: list[TargetInput], by: str) -> None:
    """Replace the targets of the indicators given (others stay) and bump the year's version."""
    for target in inputs:
        months = target.months if target.months is not None else split_yearly(target.indicator, target.yearly or Decimal(0),
                                                                                target.weights)
        await session.execute(delete(TargetMonth).where(
            TargetMonth.site_id == site_id, TargetMonth.year == year, TargetMonth.indicator == target.indicator))  # type: ignore[arg-type]
        session.add_all([TargetMonth(site_id=site_id, year=year, indicator=target.indicator, month=i + 1, value=v)
                         for i, v in enumerate(months)])
    row = await session.get(TargetYear, (site_id, year))
    if row is None:
        row = TargetYear(site_id=site_id, year=year, version=0)
    row.version += 1
    row.updated_at = utcnow()
    row.updated_by = by
    session.add(row)
    await session.flush()


async def read_reference(session: Any, site_id: str, month: str) -> ReferenceData | None:
    """A site's reference data for a month, if entered."""
    return (await session.execute(select(ReferenceData).where(
        ReferenceData.site_id == site_id, ReferenceData.month == month))).scalars().first()


async def list_reference(session: Any, site_id: str, year: int) -> list[ReferenceData]:
    """A site's reference data for the months of a year."""
    return list((await session.execute(select(ReferenceData).where(
        ReferenceData.site_id == site_id, ReferenceData.month.startswith(f"{year:04d}-"))  # type: ignore[attr-defined]
        .order_by(ReferenceData.month))).scalars())


async def write_reference(session: AsyncSession, site_id: str, month: str, update: ReferenceDataUpdate, by: str) -> ReferenceData:
    """Replace a month's reference data."""
    row = await session.get(ReferenceData, (site_id, month))
    if row is None:
        row = ReferenceData(site_id=site_id, month=month, version=0)
    for field in REFERENCE_FIELDS:
        setattr(row, field, getattr(update, field))
    row.version += 1
    row.updated_at = utcnow()
    row.updated_by = by
    session.add(row)
    await session.flush()
    return row


def reference_values(row: ReferenceData | None) -> dict[str, int | None]:
    """The reference figures of a month (None where not entered)."""
    return {field: (getattr(row, field) if row is not None else None) for field in REFERENCE_FIELDS}

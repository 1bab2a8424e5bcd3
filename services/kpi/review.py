"""The monthly review on /metrics: this month's targets, and the radar indicators that need a manager's reference data.

Targets are read at every recomputation (a handful of rows). The five radar indicators that lean on reference data
(1, 2, 7, 11, 12; the other seven are figures of their own or recorded from them) come with the month to date, whose
snapshot they reuse; their extra reads (vehicles seen in twelve months, ROs opened by type) are made only then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kpi import facts as facts_db
from services.kpi.db import ReferenceData, RepairOrderFact, TargetMonth, VisitFact
from services.kpi.exposition import Family
from services.kpi.families import PREFIX
from services.kpi.figures import Snapshot
from services.kpi.figures import window as windows
from services.kpi.figures.model import SiteConfig
from services.kpi.figures.reports import INDICATORS, REFERENCE_FIELDS, MonthInputs, actuals
from shared.db import UtcDateTime

# Radar indicators exposed here → their metric (under pitwall_kpi_, with window="month_to_date").
RADAR_METRICS = {
    "free_inspection_completion_rate": "free_inspection_completion_ratio",
    "paid_maintenance_completion_rate": "paid_maintenance_completion_ratio",
    "revenue_per_service_employee": "revenue_per_service_employee",
    "vehicle_retention_rate": "vehicle_retention_ratio",
    "staff_turnover_rate": "staff_turnover_ratio",
}
TARGET_HELP = "the site's target for the current month (site time zone), by indicator of the radar and MSI report (`figure`)"

SITE = bindparam("site", type_=String())
YEAR, MONTH = bindparam("year", type_=Integer()), bindparam("month", type_=Integer())
YM = bindparam("ym", type_=String())
LO, HI, BACK = (bindparam(name, type_=UtcDateTime()) for name in ("lo", "hi", "back"))


@dataclass
class ReviewRows:
    """What the review reads: this month's targets; with the month to date, its reference data, types and vehicles."""

    year: int
    month: int
    targets: dict[str, float] = field(default_factory=dict)
    month_read: bool = False
    reference: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(REFERENCE_FIELDS))
    ro_types_opened: dict[str, int] = field(default_factory=dict)
    vehicles_12_months: int = 0


@cache
def _statements() -> dict[str, Any]:
    target, ref, ro, visit = (m.__table__ for m in (TargetMonth, ReferenceData, RepairOrderFact, VisitFact))  # type: ignore[attr-defined]
    arrival = func.coalesce(visit.c.arrived_at, visit.c.ro_arrived_at)
    return {
        "targets": select(target.c.indicator, target.c.value).where(target.c.site_id == SITE, target.c.year == YEAR,
                                                                    target.c.month == MONTH),
        "reference": select(*(ref.c[f] for f in REFERENCE_FIELDS)).where(ref.c.site_id == SITE, ref.c.month == YM),
        "ro_types": select(ro.c.ro_type, func.count()).where(ro.c.site_id == SITE, ro.c.opened_at >= LO, ro.c.opened_at < HI)
        .group_by(ro.c.ro_type),
        "vehicles": select(func.count(func.distinct(visit.c.vehicle_id))).where(visit.c.site_id == SITE, arrival >= BACK, arrival < HI),
    }


def params(site_id: str, site: SiteConfig, now: float) -> tuple[dict[str, Any], int, int]:
    """The bound values of the review's statements at `now`, with the site's local year and month."""
    local = datetime.fromtimestamp(now, windows.zone(site.time_zone))
    mtd = windows.month_to_date(site.time_zone, now)
    back = windows.month(site.time_zone, local.year - 1 + local.month // 12, local.month % 12 + 1, now).start
    bound = {"site": site_id, "year": local.year, "month": local.month, "ym": f"{local.year:04d}-{local.month:02d}",
             "lo": facts_db.dt(mtd.start), "hi": facts_db.dt(mtd.end), "back": facts_db.dt(back)}
    return bound, local.year, local.month


def rows_of(results: dict[str, list[Any]], year: int, month: int, month_read: bool) -> ReviewRows:
    """The review's rows from what each of its statements read."""
    rows = ReviewRows(year, month, {r[0]: float(r[1]) for r in results["targets"]}, month_read)
    if month_read:
        if results["reference"]:
            rows.reference = dict(zip(REFERENCE_FIELDS, results["reference"][0], strict=True))
        rows.ro_types_opened = {t or "": int(n) for t, n in results["ro_types"]}
        rows.vehicles_12_months = int(results["vehicles"][0][0] or 0)
    return rows


def review_rows_sync(conn: Connection, site_id: str, site: SiteConfig, now: float, with_month: bool) -> ReviewRows:
    """The review's rows on a synchronous connection (the worker process)."""
    bound, year, month = params(site_id, site, now)
    chosen = [name for name in _statements() if with_month or name == "targets"]
    return rows_of({name: list(conn.execute(_statements()[name], bound).all()) for name in chosen}, year, month, with_month)


async def review_rows(engine: AsyncEngine, site_id: str, now: float, with_month: bool) -> tuple[SiteConfig, ReviewRows]:
    """The site's configuration and the review's rows (in this process)."""
    async with engine.connect() as conn:
        site = facts_db.site_config(await facts_db.load_site(conn, site_id))
        return site, await conn.run_sync(review_rows_sync, site_id, site, now, with_month)


def review_families(site_id: str, rows: ReviewRows, month_to_date: Snapshot | None) -> dict[str, Family]:
    """The target gauges of this month, and (given the month to date) the radar indicators that need reference data."""
    families: dict[str, Family] = {}
    targets = [([site_id, name], value) for name, value in sorted(rows.targets.items()) if name in INDICATORS]
    if targets:
        families[f"{PREFIX}target"] = Family("gauge", TARGET_HELP, ["site", "figure"], targets)
    if month_to_date is not None and rows.month_read:
        values, _ = actuals(MonthInputs(month_to_date, rows.ro_types_opened, rows.vehicles_12_months, rows.reference))
        for name, metric in RADAR_METRICS.items():
            if values[name] is not None:
                families[f"{PREFIX}{metric}"] = Family("gauge", _radar_help(name), ["site", "window"],
                                                      [([site_id, "month_to_date"], values[name])])
    return families


def _radar_help(name: str) -> str:
    indicator = INDICATORS[name]
    return f"{indicator.label}: {indicator.formula}, month to date ({indicator.unit})"


def headers() -> dict[str, tuple[str, str]]:
    """Every review family (targets and the radar indicators): name → (type, HELP)."""
    return {f"{PREFIX}target": ("gauge", TARGET_HELP), **{f"{PREFIX}{m}": ("gauge", _radar_help(n)) for n, m in RADAR_METRICS.items()}}


async def review_families_async(engine: AsyncEngine, site_id: str, now: float, month_to_date: Snapshot | None) -> dict[str, Family]:
    """`review_families` read in this process."""
    _, rows = await review_rows(engine, site_id, now, month_to_date is not None)
    return review_families(site_id, rows, month_to_date)

"""Monthly reports: the twelve-indicator radar and the MSI report, against targets."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from services.kpi import facts as facts_db
from services.kpi.api.common import MONTH_PATTERN, figures_for, load, month_of, now, reader, site_config, window_read
from services.kpi.figures import window as windows
from services.kpi.figures.model import SiteConfig
from services.kpi.figures.reports import INDICATORS, MSI, RADAR, MonthInputs, actuals, attainment
from services.kpi.figures.window import Window
from services.kpi.schemas import MsiItemRead, MsiRead, RadarItemRead, RadarRead
from services.kpi.targets import read_reference, read_targets, reference_values
from shared.auth import Principal

router = APIRouter(prefix="/kpi/sites/{site_id}", tags=["reports"])
MONTH_QUERY = Query(None, json_schema_extra={"pattern": MONTH_PATTERN}, description="YYYY-MM; default: the site's current month")


async def _month(request: Request, site_id: str, site: SiteConfig, year: int, month: int) -> tuple[MonthInputs, Window]:
    window = windows.month(site.time_zone, year, month, now())
    facts = await load(request, site_id, window.start, window.end, window.now)
    snapshot = await figures_for(request, facts, window, ("technicians", "bays", "volume", "money", "quality"))
    first_of_year_back = windows.month(site.time_zone, year - 1 + (month // 12), month % 12 + 1, window.now).start
    async with request.app.state.runtime.engine.connect() as conn:
        types = await facts_db.ro_types_opened(conn, site_id, window.start, window.end)
        vehicles = await facts_db.distinct_vehicles(conn, site_id, first_of_year_back, window.end)
    async with request.app.state.runtime.unit_of_work() as uow:
        reference = reference_values(await read_reference(uow.session, site_id, f"{year:04d}-{month:02d}"))
    return MonthInputs(snapshot, types, vehicles, reference), window


async def _targets(request: Request, site_id: str, year: int, month: int) -> dict[str, float | None]:
    async with request.app.state.runtime.unit_of_work() as uow:
        _, months = await read_targets(uow.session, site_id, year)
    return {name: (None if values[month - 1] is None else float(values[month - 1])) for name, values in months.items()}


@router.get("/radar")
async def radar(request: Request, site_id: str, month: str | None = MONTH_QUERY,
                principal: Principal = Depends(reader)) -> RadarRead:
    """The twelve indicators of the monthly review, each with value, target and ratio."""
    site = await site_config(request, principal, site_id)
    year, number = month_of(month, site, now())
    inputs, window = await _month(request, site_id, site, year, number)
    values, missing = actuals(inputs)
    targets = await _targets(request, site_id, year, number)
    items = []
    for i, name in enumerate(RADAR, start=1):
        indicator = INDICATORS[name]
        target = targets.get(name)
        items.append(RadarItemRead(
            number=i, indicator=name, label=indicator.label, value=values[name], unit=indicator.unit,
            formula=indicator.formula, target=target, ratio=attainment(name, values[name], target),  # type: ignore[arg-type]
            better=indicator.better, missing_reference_data=missing.get(name, [])))
    return RadarRead(site_id=site_id, month=f"{year:04d}-{number:02d}", window=window_read(window), items=items)


@router.get("/msi")
async def msi(request: Request, site_id: str, month: str | None = MONTH_QUERY,
              principal: Principal = Depends(reader)) -> MsiRead:
    """Actual against target with achievement rate, and the same month last year."""
    site = await site_config(request, principal, site_id)
    year, number = month_of(month, site, now())
    inputs, window = await _month(request, site_id, site, year, number)
    last_inputs, last_window = await _month(request, site_id, site, year - 1, number)
    values, _ = actuals(inputs)
    last_values, _ = actuals(last_inputs)
    targets = await _targets(request, site_id, year, number)
    items = []
    for name in MSI:
        indicator = INDICATORS[name]
        target = targets.get(name)
        items.append(MsiItemRead(
            indicator=name, label=indicator.label, unit=indicator.unit, formula=indicator.formula, actual=values[name],
            target=target, achievement_rate=attainment(name, values[name], target),  # type: ignore[arg-type]
            last_year=last_values[name]))
    return MsiRead(site_id=site_id, month=f"{year:04d}-{number:02d}", window=window_read(window),
                   last_year_window=window_read(last_window), items=items)

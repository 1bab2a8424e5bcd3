"""Figures of a site over a window: summary, technicians, bays, waits, WIP, the floor now, money, quality, parts, appointments."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from services.kpi.api.common import (
    WindowQuery,
    figures_for,
    load,
    now,
    present,
    reader,
    resolve,
    settings_of,
    site_config,
    window_query,
)
from services.kpi.figures import window as windows
from services.kpi.satisfaction import api as satisfaction
from services.kpi.schemas import AreaRead, SummaryRead
from services.kpi.warranty import api as warranty
from shared.auth import Principal

router = APIRouter(prefix="/kpi/sites/{site_id}", tags=["figures"])

SUMMARY = {
    "vehicle_entries", "repair_orders_opened", "repair_orders_ready", "repair_orders_invoiced", "repair_orders_delivered",
    "wip_total", "technician_productivity", "technician_efficiency", "technician_proficiency", "sold_time",
    "bay_utilization", "bay_occupancy", "total_revenue", "revenue_per_repair_order", "gross_margin", "comeback_rate",
    "first_time_fix_rate", "on_time_rate",
}
SUMMARY_AREAS = ("technicians", "bays", "waits", "volume", "wip", "money", "quality")


async def _area(request: Request, principal: Principal, site_id: str, query: WindowQuery, areas: tuple[str, ...],
                names: str | None = None, age_threshold_hours: float | None = None) -> AreaRead:
    site = await site_config(request, principal, site_id)
    window = resolve(query, site, now(), settings_of(request))
    facts = await load(request, site_id, window.start, window.end, window.now)
    snapshot = await figures_for(request, facts, window, areas, age_threshold_hours)
    shown = {"technicians": facts.technician_names, "bays": facts.bay_names}.get(names or "")
    return present(site_id, window, snapshot, shown)


@router.get("/summary")
async def summary(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
                  principal: Principal = Depends(reader)) -> SummaryRead:
    """The headline figures for today and month to date (or the window asked for)."""
    site = await site_config(request, principal, site_id)
    moment = now()
    if query.kind is None and query.start is None:
        chosen = [windows.today(site.time_zone, moment), windows.month_to_date(site.time_zone, moment)]
    else:
        chosen = [resolve(query, site, moment, settings_of(request))]
    start, end = min(w.start for w in chosen), max(w.end for w in chosen)
    facts = await load(request, site_id, start, end, moment)
    areas = []
    for window in chosen:
        snapshot = await figures_for(request, facts, window, SUMMARY_AREAS)
        areas.append(present(site_id, window, snapshot, only=SUMMARY))
    return SummaryRead(site_id=site_id, windows=areas)


@router.get("/technicians")
async def technicians(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
                      principal: Principal = Depends(reader)) -> AreaRead:
    """Attendance, job and sold time, productivity, efficiency, proficiency per technician; vehicles per technician."""
    return await _area(request, principal, site_id, query, ("technicians",), names="technicians")


@router.get("/bays")
async def bays(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
               principal: Principal = Depends(reader)) -> AreaRead:
    """Open, busy and occupied time, utilization and occupancy per bay; turnover."""
    return await _area(request, principal, site_id, query, ("bays",), names="bays")


@router.get("/waits")
async def waits(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
                principal: Principal = Depends(reader)) -> AreaRead:
    """Reception, approval, dispatch, parts, QC, pickup and dwell waits (count, sum, p50, p90, max); on-time rate."""
    return await _area(request, principal, site_id, query, ("waits",))


@router.get("/wip")
async def wip(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
              age_threshold_hours: float | None = Query(None, gt=0, le=24 * 365),
              principal: Principal = Depends(reader)) -> AreaRead:
    """Volume (entries, ROs opened/ready/invoiced/delivered, shares of entries) and work in progress by state and age."""
    return await _area(request, principal, site_id, query, ("volume", "wip"), age_threshold_hours=age_threshold_hours)


@router.get("/floor")
async def floor(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
                principal: Principal = Depends(reader)) -> AreaRead:
    """The floor at the window's end (or now): cars waiting at reception and the longest wait, ROs past their promise or
    waiting for parts, clocks flagged stale that still run (by kind)."""
    return await _area(request, principal, site_id, query, ("now",))


@router.get("/money")
async def money(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
                principal: Principal = Depends(reader)) -> AreaRead:
    """Revenue (labour, parts, sublet, total), per RO, by pay type and RO type; labour rate; gross margin."""
    return await _area(request, principal, site_id, query, ("money",))


@router.get("/quality")
async def quality(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
                  principal: Principal = Depends(reader)) -> AreaRead:
    """Comeback rate, first-time-fix rate, QC first-pass rate."""
    return await _area(request, principal, site_id, query, ("quality",))


@router.get("/parts")
async def parts(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
                principal: Principal = Depends(reader)) -> AreaRead:
    """Fill rate, open backorders, parts below reorder point."""
    return await _area(request, principal, site_id, query, ("parts",))


@router.get("/appointments")
async def appointments(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
                       principal: Principal = Depends(reader)) -> AreaRead:
    """Appointments due, show rate, share of arrivals that were booked."""
    return await _area(request, principal, site_id, query, ("appointments",))


router.include_router(satisfaction.router)
router.include_router(warranty.router)

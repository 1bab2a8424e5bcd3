"""REST: `/kpi/sites/{site_id}/customer-satisfaction` — follow-ups, CSI, weak items, complaints, per site and advisor."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from services.kpi.api.common import WindowQuery, month_of, now, reader, resolve, settings_of, site_config, window_query, window_read
from services.kpi.figures import window as windows
from services.kpi.satisfaction.figures import DEFINITIONS, compute
from services.kpi.satisfaction.load import load
from services.kpi.schemas import AreaRead, FigureRead
from shared.auth import Principal
from shared.problems import ProblemError

router = APIRouter(tags=["customer satisfaction"])


@router.get("/customer-satisfaction")
async def customer_satisfaction(
    request: Request, site_id: str,
    month: str | None = Query(None, description="a calendar month of the site, YYYY-MM (instead of window or from/to)"),
    query: WindowQuery = Depends(window_query), principal: Principal = Depends(reader),
) -> AreaRead:
    """Follow-up completion and contact rates, scores by category and CSI, weak items, complaints — site and per advisor.

    Month to date by default; `month=YYYY-MM`, a named `window` or `from`/`to` like the other figures.
    """
    site = await site_config(request, principal, site_id)
    moment = now()
    if month is not None:
        if query.kind is not None or query.start is not None:
            raise ProblemError(422, "Invalid window", "give month, window or from/to, not several", type_="/problems/validation")
        year, number = month_of(month, site, moment)
        window = windows.month(site.time_zone, year, number, moment)
    else:
        window = resolve(query, site, moment, settings_of(request), default="month_to_date")
    async with request.app.state.runtime.engine.connect() as conn:
        facts = await load(conn, site_id, window.start, window.end)
    shown = window_read(window)
    figures = [FigureRead(name=v.name, value=v.value, unit=DEFINITIONS[v.name].unit, formula=DEFINITIONS[v.name].formula,
                          window=shown, provisional=v.provisional, labels=dict(v.labels)) for v in compute(facts, window)]
    return AreaRead(site_id=site_id, window=shown, figures=figures)

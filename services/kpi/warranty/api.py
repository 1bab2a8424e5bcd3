"""REST: `/kpi/sites/{site_id}/warranty` — claims by status, receivable, rejection rate, days to submission and payment."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from services.kpi.api.common import WindowQuery, now, resolve, settings_of, site_config, window_query, window_read
from services.kpi.schemas import FigureRead
from services.kpi.warranty.figures import DEFINITIONS, compute, shown, states
from services.kpi.warranty.load import load
from services.kpi.warranty.schemas import WarrantyRead
from shared.auth import Principal, Role, requires

router = APIRouter(tags=["warranty"])
reader = requires(Role.MANAGER, Role.FOREMAN, Role.ADVISOR, Role.WARRANTY)


@router.get("/warranty")
async def warranty(request: Request, site_id: str, query: WindowQuery = Depends(window_query),
                   principal: Principal = Depends(reader)) -> WarrantyRead:
    """Claims by status and the receivable (now); claims submitted, decided, rejected, paid, amounts and mean days from
    repair to first submission and to payment (over the window).

    Month to date by default; a named `window` or `from`/`to` like the other figures.
    """
    site = await site_config(request, principal, site_id)
    window = resolve(query, site, now(), settings_of(request), default="month_to_date")
    async with request.app.state.runtime.engine.connect() as conn:
        facts = await load(conn, site_id, window.start, window.end)
    shown_window = window_read(window)
    current = states(facts)
    figures = [FigureRead(name=v.name, value=shown(v), unit=DEFINITIONS[v.name].unit, formula=DEFINITIONS[v.name].formula,
                          window=shown_window, labels=dict(v.labels)) for v in [*current, *compute(facts, window)]]
    by_status = {v.label("status") or "": int(v.value or 0) for v in current if v.name == "claims"}
    return WarrantyRead(site_id=site_id, window=shown_window, figures=figures, claims_by_status=by_status)

"""The advisor's day view."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from services.reception.adapters import queries
from services.reception.api.deps import READ, local_day, reading, site_in_path
from services.reception.api.schemas.day import DayView
from shared.auth import Principal
from shared.clock import utcnow
from shared.http import PageParams, page_params
from shared.types import Day, Instant

router = APIRouter(tags=["day view"])


@router.get("/sites/{site_id}/day")
async def day_view(
    site_id: str,
    request: Request,
    day: Day | None = Query(None, alias="date", description="site-local day; today when absent"),
    at: Instant | None = Query(None, description="the moment waits and lateness are measured to; now when absent"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> DayView:
    """Appointments, arrivals waiting, ROs awaiting approval, ready for pickup, and overdue against their promise."""
    moment = at or utcnow()
    async with reading(request) as session:
        site = await site_in_path(session, principal, site_id)
        return await queries.day_view(session, site, local_day(site, day, moment), moment, page)

"""The sites a token can see figures of (every site any event was seen for)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from services.kpi import facts as facts_db
from services.kpi.api.common import reader
from services.kpi.schemas import KpiSiteRead
from shared.auth import ALL_SITES, Principal
from shared.http import Page, PageParams, page_params

router = APIRouter(tags=["sites"])


@router.get("/kpi/sites")
async def list_sites(
    request: Request, page: PageParams = Depends(page_params), principal: Principal = Depends(reader)
) -> Page[KpiSiteRead]:
    """The sites of the token that the figures know, by id; each one's figures are under /kpi/sites/{site_id}/…"""
    async with request.app.state.runtime.engine.connect() as conn:
        total, rows = await facts_db.sites_page(conn, None if ALL_SITES in principal.sites else principal.sites,
                                                page.limit, page.offset)
    items = [
        KpiSiteRead(site_id=row["site_id"], name=row["name"], time_zone=row["time_zone"], configured=row["configured_at"] is not None)
        for row in rows
    ]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)

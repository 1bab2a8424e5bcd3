"""Sites: configured by managers; every change publishes SiteConfigured."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from services.reception.adapters import queries, views
from services.reception.api.deps import CONFIGURE, READ, at_of, reading, site_in_path
from services.reception.api.schemas.sites import SiteCreate, SitePatch, SiteRead, SiteUpdate
from services.reception.usecases import sites
from shared.auth import Principal
from shared.http import Page, PageParams, check_if_match, etag, page_params
from shared.runtime import open_uow

router = APIRouter(tags=["sites"])


def _etag(read: SiteRead) -> str:
    return etag("site", read.site_id, read.version)


@router.post("/sites", status_code=201)
async def create_site(
    body: SiteCreate, request: Request, response: Response, principal: Principal = Depends(CONFIGURE)
) -> SiteRead:
    """Create a site (manager of that site, or admin)."""
    principal.require_site(body.site_id)
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        result = views.site_read(await sites.create_site(uow, body, at))
        await uow.commit(result, 201)
    response.headers["ETag"] = _etag(result)
    return result


@router.get("/sites")
async def list_sites(
    request: Request, page: PageParams = Depends(page_params), principal: Principal = Depends(READ)
) -> Page[SiteRead]:
    """The sites the token covers."""
    async with reading(request) as session:
        return await queries.sites(session, principal, page)


@router.get("/sites/{site_id}")
async def get_site(
    site_id: str, request: Request, response: Response, principal: Principal = Depends(READ)
) -> SiteRead:
    """One site."""
    async with reading(request) as session:
        result = views.site_read(await site_in_path(session, principal, site_id))
    response.headers["ETag"] = _etag(result)
    return result


async def _change(
    site_id: str, body: SiteUpdate | SitePatch, request: Request, response: Response, principal: Principal
) -> SiteRead:
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        site = await site_in_path(uow.session, principal, site_id, lock=True)
        check_if_match(request, etag("site", site.site_id, site.version))
        result = views.site_read(await sites.change_site(uow, site, body, at))
        await uow.commit(result)
    response.headers["ETag"] = _etag(result)
    return result


@router.put("/sites/{site_id}")
async def replace_site(
    site_id: str, body: SiteUpdate, request: Request, response: Response, principal: Principal = Depends(CONFIGURE)
) -> SiteRead:
    """Replace a site's whole configuration (If-Match honoured)."""
    return await _change(site_id, body, request, response, principal)


@router.patch("/sites/{site_id}")
async def patch_site(
    site_id: str, body: SitePatch, request: Request, response: Response, principal: Principal = Depends(CONFIGURE)
) -> SiteRead:
    """Change part of a site's configuration (If-Match honoured)."""
    return await _change(site_id, body, request, response, principal)

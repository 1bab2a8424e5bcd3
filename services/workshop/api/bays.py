"""Bays: create, list, rename, set status."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.adapters.store import get_bay
from services.workshop.adapters.views import bay_read
from services.workshop.api.deps import READER, SUPERVISOR, read_session, write
from services.workshop.api.schemas import BayCreate, BayRead, BayStatusUpdate, BayUpdate
from services.workshop.usecases import floor
from services.workshop.usecases.context import Actor
from services.workshop.usecases.reads import list_bays
from shared.auth import Principal
from shared.http import Page, PageParams, check_if_match, etag, page_params
from shared.uow import UnitOfWork

router = APIRouter(tags=["bays"])


@router.post("/sites/{site_id}/bays", status_code=201)
async def create_bay(
    site_id: str, body: BayCreate, request: Request, principal: Principal = Depends(SUPERVISOR)
) -> BayRead:
    """Add a bay (publishes its first BayStatusChanged). `job_kinds` lists the required skills it takes (`general` for jobs without one); empty takes any."""
    principal.require_site(site_id)

    async def action(uow: UnitOfWork, actor: Actor) -> BayRead:
        return await floor.create_bay(uow, actor, site_id, body)

    return await write(request, principal, action, 201)


@router.get("/sites/{site_id}/bays")
async def bays(
    site_id: str,
    principal: Principal = Depends(READER),
    page: PageParams = Depends(page_params),
    session: AsyncSession = Depends(read_session),
) -> Page[BayRead]:
    """The site's bays, with the job standing on each."""
    principal.require_site(site_id)
    return await list_bays(session, site_id, page)


@router.get("/bays/{bay_id}")
async def bay(
    bay_id: str,
    response: Response,
    principal: Principal = Depends(READER),
    session: AsyncSession = Depends(read_session),
) -> BayRead:
    """One bay (ETag for updates)."""
    row = await get_bay(session, bay_id, principal)
    response.headers["ETag"] = etag("bay", row.id, row.version)
    return await bay_read(session, row)


@router.patch("/bays/{bay_id}")
async def update_bay(
    bay_id: str, body: BayUpdate, request: Request, response: Response, principal: Principal = Depends(SUPERVISOR)
) -> BayRead:
    """Rename a bay, change its kind or the job kinds it takes (If-Match honoured)."""

    async def action(uow: UnitOfWork, actor: Actor) -> BayRead:
        row = await get_bay(uow.session, bay_id, principal, lock=True)
        check_if_match(request, etag("bay", row.id, row.version))
        return await floor.update_bay(uow, actor, row, body)

    result = await write(request, principal, action)
    response.headers["ETag"] = etag("bay", result.id, result.version)
    return result


@router.post("/bays/{bay_id}/status")
async def set_status(
    bay_id: str, body: BayStatusUpdate, request: Request, principal: Principal = Depends(SUPERVISOR)
) -> BayRead:
    """Open or close a bay, or take it out of service with a reason and expected return; publishes BayStatusChanged."""

    async def action(uow: UnitOfWork, actor: Actor) -> BayRead:
        return await floor.set_bay_status(uow, actor, bay_id, body)

    return await write(request, principal, action)

"""Catalogue routes: parts of a site, their stock ledger, supersessions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from services.parts.adapters import store, views
from services.parts.adapters.tables import Part
from services.parts.api.deps import READ, WRITE, actor, reading
from services.parts.api.schemas import (
    MovementRead,
    PartCreate,
    PartRead,
    PartUpdate,
    SupersessionCreate,
    SupersessionRead,
)
from services.parts.domain import unknown_part
from services.parts.usecases import catalogue
from shared.auth import Principal
from shared.http import Page, PageParams, check_if_match, etag, page_params
from shared.runtime import open_uow

router = APIRouter(tags=["catalogue"])


async def _part(session: AsyncSession, site_id: str, part_number: str) -> Part:
    part = await store.get_part(session, site_id, part_number)
    if part is None:
        raise unknown_part(part_number, await store.superseded_by(session, site_id, part_number))
    return part


@router.post("/sites/{site_id}/parts", status_code=201)
async def create_part(
    site_id: str, body: PartCreate, request: Request, response: Response, principal: Principal = Depends(WRITE)
) -> PartRead:
    """Add a part to the site's catalogue."""
    principal.require_site(site_id)
    who = actor(request, principal, body.occurred_at)
    new = catalogue.NewPart(**body.model_dump(exclude={"occurred_at"}))
    async with await open_uow(request, principal) as uow:
        part = await catalogue.create_part(uow, site_id, new, who)
        (result,) = await views.parts_read(uow.session, [part])
        await uow.commit(result, 201)
    response.headers["ETag"] = etag("part", f"{site_id}/{part.part_number}", part.version)
    return result


@router.get("/sites/{site_id}/parts")
async def list_parts(
    site_id: str,
    request: Request,
    page: PageParams = Depends(page_params),
    q: str | None = Query(None, max_length=100, description="part number or description contains"),
    principal: Principal = Depends(READ),
) -> Page[PartRead]:
    """The site's catalogue with stock figures."""
    principal.require_site(site_id)
    async with reading(request) as session:
        return await views.parts_page(session, site_id, page, q)


@router.get("/sites/{site_id}/parts/{part_number}")
async def get_part(
    site_id: str, part_number: str, request: Request, response: Response, principal: Principal = Depends(READ)
) -> PartRead:
    """A part with on hand, reserved, available and backordered; 404 names a superseding number."""
    principal.require_site(site_id)
    async with reading(request) as session:
        part = await _part(session, site_id, part_number)
        (result,) = await views.parts_read(session, [part])
    response.headers["ETag"] = etag("part", f"{site_id}/{part_number}", part.version)
    return result


@router.patch("/sites/{site_id}/parts/{part_number}")
async def update_part(
    site_id: str,
    part_number: str,
    body: PartUpdate,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> PartRead:
    """Change description, prices, bin or reorder settings (If-Match honoured)."""
    principal.require_site(site_id)
    who = actor(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        await _part(uow.session, site_id, part_number)
        part = (await store.lock_parts(uow.session, site_id, [part_number]))[part_number]
        check_if_match(request, etag("part", f"{site_id}/{part_number}", part.version))
        await catalogue.update_part(uow, part, body.changes(), who)
        (result,) = await views.parts_read(uow.session, [part])
        await uow.commit(result)
    response.headers["ETag"] = etag("part", f"{site_id}/{part_number}", part.version)
    return result


@router.put("/sites/{site_id}/parts/{part_number}/supersession")
async def supersede(
    site_id: str, part_number: str, body: SupersessionCreate, request: Request, principal: Principal = Depends(WRITE)
) -> SupersessionRead:
    """Record that another part replaces this number (it need not be in the catalogue any more)."""
    principal.require_site(site_id)
    who = actor(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        row = await catalogue.supersede(uow, site_id, part_number, body.superseded_by, who)
        result = SupersessionRead(
            site_id=site_id,
            part_number=row.old_part_number,
            superseded_by=row.new_part_number,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
        )
        await uow.commit(result)
    return result


@router.get("/sites/{site_id}/parts/{part_number}/ledger")
async def ledger(
    site_id: str,
    part_number: str,
    request: Request,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[MovementRead]:
    """Every stock movement of the part, oldest first, with the balance after each."""
    principal.require_site(site_id)
    async with reading(request) as session:
        await _part(session, site_id, part_number)
        return await views.ledger_page(session, site_id, part_number, page)

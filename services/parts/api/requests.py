"""Request routes: counter entry, lists, issue to the job, returns."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request

from services.parts.adapters import views
from services.parts.api.deps import READ, WRITE, actor, reading, visible_request
from services.parts.api.schemas import IssueCreate, PartsRequestCreate, PartsRequestRead, ReturnCreate
from services.parts.domain import Origin
from services.parts.usecases import requests as usecases
from shared.auth import Principal
from shared.clock import new_id
from shared.errors import Invalid
from shared.http import Page, PageParams, optional_body, page_params
from shared.runtime import open_uow

IssueCreateOrEmpty = optional_body(IssueCreate)

router = APIRouter(tags=["requests"])


@router.post("/sites/{site_id}/parts-requests", status_code=201)
async def create_request(
    site_id: str, body: PartsRequestCreate, request: Request, principal: Principal = Depends(WRITE)
) -> PartsRequestRead:
    """Enter a request at the counter: what is available is reserved, the rest backordered."""
    principal.require_site(site_id)
    who = actor(request, principal, body.occurred_at)
    lines = [usecases.WantedLine(line.part_number, line.quantity) for line in body.lines]
    async with await open_uow(request, principal) as uow:
        row = await usecases.accept_request(
            uow,
            site_id=site_id,
            request_id=new_id(),
            origin=Origin.COUNTER,
            repair_order_id=body.repair_order_id,
            job_id=body.job_id,
            requested_by=body.requested_by or principal.subject,
            actor=who,
            lines=lines,
        )
        result = await views.request_read(uow.session, row)
        await uow.commit(result, 201)
    return result


@router.get("/sites/{site_id}/parts-requests")
async def list_requests(
    site_id: str,
    request: Request,
    page: PageParams = Depends(page_params),
    status: Literal["open", "issued"] | None = None,
    repair_order_id: str | None = Query(None, max_length=100),
    principal: Principal = Depends(READ),
) -> Page[PartsRequestRead]:
    """The site's requests, newest first."""
    principal.require_site(site_id)
    async with reading(request) as session:
        return await views.requests_page(session, site_id, page, status, repair_order_id)


@router.get("/parts-requests/{request_id}")
async def get_request(request_id: str, request: Request, principal: Principal = Depends(READ)) -> PartsRequestRead:
    """A request with each line's reserved, issued, returned and backordered quantities."""
    async with reading(request) as session:
        return await views.request_read(session, await visible_request(session, principal, request_id))


@router.post("/parts-requests/{request_id}/issue")
async def issue(
    request_id: str, body: IssueCreateOrEmpty, request: Request, principal: Principal = Depends(WRITE)
) -> PartsRequestRead:
    """Pick and issue reserved parts to the job; more than reserved is 409."""
    who = actor(request, principal, body.occurred_at)
    wanted: dict[str, Decimal] | None = None
    if body.lines is not None:
        wanted = {line.request_line_id: line.quantity for line in body.lines}
        if len(wanted) != len(body.lines):
            raise Invalid("each request line may appear only once")
    async with await open_uow(request, principal) as uow:
        row = await visible_request(uow.session, principal, request_id)
        await usecases.issue(uow, row, who, wanted)
        result = await views.request_read(uow.session, row)
        await uow.commit(result)
    return result


@router.post("/parts-requests/{request_id}/return")
async def take_return(
    request_id: str, body: ReturnCreate, request: Request, principal: Principal = Depends(WRITE)
) -> PartsRequestRead:
    """Take back parts the job did not use; more than issued is 409."""
    who = actor(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        row = await visible_request(uow.session, principal, request_id)
        await usecases.take_return(uow, row, who, body.request_line_id, body.quantity, body.reason)
        result = await views.request_read(uow.session, row)
        await uow.commit(result)
    return result

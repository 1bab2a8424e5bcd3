"""Stock routes: receipts, cycle counts, backorders and the reorder list."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from services.parts.adapters import views
from services.parts.adapters.tables import Backorder, PartsRequest, Receipt, StockCount
from services.parts.api.deps import READ, WRITE, actor, reading
from services.parts.api.schemas import (
    BackorderRead,
    BackorderUpdate,
    CountCreate,
    CountRead,
    ReceiptCreate,
    ReceiptRead,
    ReorderLine,
)
from services.parts.usecases import stock
from shared.auth import Principal
from shared.http import Page, PageParams, page_params
from shared.problems import not_found
from shared.runtime import open_uow

router = APIRouter(tags=["stock"])


@router.post("/sites/{site_id}/receipts", status_code=201)
async def receive(
    site_id: str, body: ReceiptCreate, request: Request, principal: Principal = Depends(WRITE)
) -> ReceiptRead:
    """Book a supplier delivery; it fills open backorders first come first served and issues them."""
    principal.require_site(site_id)
    who = actor(request, principal, body.occurred_at)
    lines = [stock.ReceivedLine(line.part_number, line.quantity, line.unit_cost) for line in body.lines]
    async with await open_uow(request, principal) as uow:
        receipt, fills = await stock.receive(uow, site_id, who, body.supplier_reference, lines)
        result = await views.receipt_read(uow.session, receipt, fills)
        await uow.commit(result, 201)
    return result


@router.get("/sites/{site_id}/receipts/{receipt_id}")
async def get_receipt(
    site_id: str, receipt_id: str, request: Request, principal: Principal = Depends(READ)
) -> ReceiptRead:
    """A delivery with the backorders it filled."""
    principal.require_site(site_id)
    async with reading(request) as session:
        receipt = await session.get(Receipt, receipt_id)
        if receipt is None or receipt.site_id != site_id:
            raise not_found("receipt", receipt_id)
        return await views.receipt_read(session, receipt)


@router.post("/sites/{site_id}/counts", status_code=201)
async def count(site_id: str, body: CountCreate, request: Request, principal: Principal = Depends(WRITE)) -> CountRead:
    """Post a cycle count: each difference becomes an adjustment with the reason."""
    principal.require_site(site_id)
    who = actor(request, principal, body.occurred_at)
    lines = [stock.CountedLine(line.part_number, line.counted_quantity) for line in body.lines]
    async with await open_uow(request, principal) as uow:
        row = await stock.count(uow, site_id, who, body.reason, lines)
        result = await views.count_read(uow.session, row)
        await uow.commit(result, 201)
    return result


@router.get("/sites/{site_id}/counts/{count_id}")
async def get_count(site_id: str, count_id: str, request: Request, principal: Principal = Depends(READ)) -> CountRead:
    """A count with each part's difference."""
    principal.require_site(site_id)
    async with reading(request) as session:
        row = await session.get(StockCount, count_id)
        if row is None or row.site_id != site_id:
            raise not_found("count", count_id)
        return await views.count_read(session, row)


@router.get("/sites/{site_id}/backorders")
async def list_backorders(
    site_id: str,
    request: Request,
    page: PageParams = Depends(page_params),
    status: Literal["open", "filled"] | None = "open",
    part_number: str | None = Query(None, max_length=60),
    principal: Principal = Depends(READ),
) -> Page[BackorderRead]:
    """The site's backorders in queue order (open ones by default)."""
    principal.require_site(site_id)
    async with reading(request) as session:
        return await views.backorders_page(session, site_id, page, status, part_number)


@router.patch("/backorders/{backorder_id}")
async def reschedule(
    backorder_id: str, body: BackorderUpdate, request: Request, principal: Principal = Depends(WRITE)
) -> BackorderRead:
    """Record the supplier's expected date for an open backorder."""
    who = actor(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        backorder = (
            (await uow.session.execute(select(Backorder).where(Backorder.backorder_id == backorder_id)))
            .scalars()
            .first()
        )
        if backorder is None or not principal.may_see(backorder.site_id):
            raise not_found("backorder", backorder_id)
        parts_request = await uow.session.get(PartsRequest, backorder.request_id)
        assert parts_request is not None
        await stock.reschedule(uow, backorder, who, body.expected_at)
        result = views.backorder_read(backorder, parts_request)
        await uow.commit(result)
    return result


@router.get("/sites/{site_id}/reorder-list")
async def reorder_list(
    site_id: str, request: Request, page: PageParams = Depends(page_params), principal: Principal = Depends(READ)
) -> Page[ReorderLine]:
    """What to order: parts below their reorder point or with jobs waiting on backorders."""
    principal.require_site(site_id)
    async with reading(request) as session:
        lines = await views.reorder_list(session, site_id)
    return Page(
        items=lines[page.offset : page.offset + page.limit], total=len(lines), limit=page.limit, offset=page.offset
    )

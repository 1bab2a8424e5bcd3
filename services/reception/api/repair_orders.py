"""Repair orders: open from an arrival, list and search, estimate, invoice, deliver, cancel, comeback."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import select

from services.reception.adapters import queries, store, views
from services.reception.adapters.tables import Invoice, RepairOrder
from services.reception.api.deps import READ, WRITE, at_of, reading, settings_of, site_in_path
from services.reception.api.ro_write import ro_write
from services.reception.api.schemas.repair_orders import (
    Cancellation,
    ComebackUpdate,
    Delivery,
    EstimateRead,
    InvoiceCreate,
    InvoiceRead,
    RepairOrderCreate,
    RepairOrderPatch,
    RepairOrderRead,
    RepairOrderSummary,
)
from services.reception.domain.repair_order import RoState
from services.reception.usecases import billing, repair_orders
from shared.auth import Principal
from shared.http import Page, PageParams, optional_body, page_params
from shared.problems import not_found
from shared.runtime import open_uow

CancellationOrEmpty = optional_body(Cancellation)
InvoiceCreateOrEmpty = optional_body(InvoiceCreate)

router = APIRouter(tags=["repair orders"])


@router.post("/sites/{site_id}/repair-orders", status_code=201)
async def open_repair_order(
    site_id: str, body: RepairOrderCreate, request: Request, response: Response, principal: Principal = Depends(WRITE)
) -> RepairOrderRead:
    """Open the RO of a waiting arrival, with its first job lines (a comeback is detected and linked)."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        site = await site_in_path(uow.session, principal, site_id, lock=True)
        ro, lines = await repair_orders.open_repair_order(uow, site, body, at, principal.subject)
        result = await views.repair_order_read(uow.session, ro, opened_with=lines)
        await uow.commit(result, 201)
    response.headers["ETag"] = views.ro_etag(ro)
    return result


@router.get("/sites/{site_id}/repair-orders")
async def list_repair_orders(
    site_id: str,
    request: Request,
    state: list[RoState] = Query(default_factory=list, description="any of these states"),
    plate: str | None = Query(None, max_length=30),
    vin: str | None = Query(None, max_length=17),
    ro_number: str | None = Query(None, max_length=30),
    phone: str | None = Query(None, max_length=40),
    q: str | None = Query(None, max_length=40, description="plate, VIN, RO number or customer phone"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[RepairOrderSummary]:
    """ROs of the site, newest first; search by plate, VIN, RO number or customer phone."""
    async with reading(request) as session:
        await site_in_path(session, principal, site_id)
        return await queries.search_repair_orders(
            session,
            site_id,
            page,
            states=[s.value for s in state],
            plate=plate,
            vin=vin,
            ro_number=ro_number,
            phone=phone,
            q=q,
        )


@router.get("/repair-orders/{repair_order_id}")
async def get_repair_order(
    repair_order_id: str, request: Request, response: Response, principal: Principal = Depends(READ)
) -> RepairOrderRead:
    """One RO with its lines and parts; its ETag guards later changes."""
    async with reading(request) as session:
        ro = await store.visible(session, RepairOrder, "repair order", repair_order_id, principal)
        result = await views.repair_order_read(session, ro)
    response.headers["ETag"] = views.ro_etag(ro)
    return result


@router.patch("/repair-orders/{repair_order_id}")
async def change_repair_order(
    repair_order_id: str,
    body: RepairOrderPatch,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> RepairOrderRead:
    """Change the promised time or the RO type before invoice (If-Match honoured)."""
    return await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        body.occurred_at,
        lambda uow, site, ro, at: repair_orders.change_details(uow, ro, body),
    )


@router.get("/repair-orders/{repair_order_id}/estimate")
async def get_estimate(repair_order_id: str, request: Request, principal: Principal = Depends(READ)) -> EstimateRead:
    """Labour plus expected parts of every line not declined, with tax and the split by pay type."""
    async with reading(request) as session:
        ro = await store.visible(session, RepairOrder, "repair order", repair_order_id, principal)
        return await views.estimate_read(session, await store.site(session, ro.site_id), ro)


@router.post("/repair-orders/{repair_order_id}/invoice", status_code=201)
async def invoice(
    repair_order_id: str, body: InvoiceCreateOrEmpty, request: Request, principal: Principal = Depends(WRITE)
) -> InvoiceRead:
    """Invoice a ready RO: labour, parts issued, sublets, tax; totals per pay type and cost."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        ro = await store.visible(uow.session, RepairOrder, "repair order", repair_order_id, principal, lock=True)
        site = await store.site(uow.session, ro.site_id)
        oem = settings_of(request).oem_profile(ro.site_id)
        result = views.invoice_read(ro, await billing.invoice(uow, site, ro, body, at, principal.subject, oem))
        await uow.commit(result, 201)
    request.app.state.warranty_worker.wake()  # claims may have been queued (auto-submit)
    return result


@router.get("/repair-orders/{repair_order_id}/invoice")
async def get_invoice(repair_order_id: str, request: Request, principal: Principal = Depends(READ)) -> InvoiceRead:
    """The RO's invoice."""
    async with reading(request) as session:
        ro = await store.visible(session, RepairOrder, "repair order", repair_order_id, principal)
        bill = (await session.exec(select(Invoice).where(Invoice.repair_order_id == ro.id))).first()
        if bill is None:
            raise not_found("invoice of repair order", repair_order_id)
        return views.invoice_read(ro, bill)


@router.post("/repair-orders/{repair_order_id}/deliver")
async def deliver(
    repair_order_id: str, body: Delivery, request: Request, response: Response, principal: Principal = Depends(WRITE)
) -> RepairOrderRead:
    """Hand the vehicle back, with its mileage out."""
    profile_of = settings_of(request).oem_profile
    result = await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        body.occurred_at,
        lambda uow, site, ro, at: billing.deliver(uow, site, ro, body.mileage_out, at, profile_of(site.site_id)),
    )
    request.app.state.warranty_worker.wake()  # a claim completed by the mileage out may have been queued (auto-submit)
    return result


@router.post("/repair-orders/{repair_order_id}/cancel")
async def cancel(
    repair_order_id: str,
    body: CancellationOrEmpty,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> RepairOrderRead:
    """Cancel an RO before it is ready."""
    return await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        body.occurred_at,
        lambda uow, site, ro, at: repair_orders.cancel(uow, ro, body.reason, at),
    )


@router.put("/repair-orders/{repair_order_id}/comeback")
async def set_comeback(
    repair_order_id: str,
    body: ComebackUpdate,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> RepairOrderRead:
    """Flag or unflag the RO as a comeback, with a reason (overrides the automatic rule)."""
    return await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        body.occurred_at,
        lambda uow, site, ro, at: repair_orders.set_comeback(uow, ro, body, at),
    )

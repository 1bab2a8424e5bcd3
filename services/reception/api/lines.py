"""Job lines of an RO: add, change, remove; put them to the customer; approve or decline each."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from services.reception.api.deps import WRITE
from services.reception.api.ro_write import ro_write
from services.reception.api.schemas.repair_orders import (
    ApprovalRequest,
    Decision,
    JobLineCreate,
    JobLinePatch,
    RepairOrderRead,
)
from services.reception.usecases import repair_orders
from shared.auth import Principal
from shared.http import optional_body
from shared.types import Instant

ApprovalRequestOrEmpty = optional_body(ApprovalRequest)

router = APIRouter(tags=["job lines and approval"])


@router.post("/repair-orders/{repair_order_id}/lines", status_code=201)
async def add_line(
    repair_order_id: str,
    body: JobLineCreate,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> RepairOrderRead:
    """Add a draft job line (labour rate defaults to the site's, pay type to the RO type's)."""
    return await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        body.occurred_at,
        lambda uow, site, ro, at: repair_orders.add_line(uow, site, ro, body, at),
        status=201,
    )


@router.patch("/repair-orders/{repair_order_id}/lines/{line_id}")
async def change_line(
    repair_order_id: str,
    line_id: str,
    body: JobLinePatch,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> RepairOrderRead:
    """Change a job line (a declined one cannot change; an approved one can until invoice)."""
    return await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        body.occurred_at,
        lambda uow, site, ro, at: repair_orders.change_line(uow, site, ro, line_id, body, at),
    )


@router.delete("/repair-orders/{repair_order_id}/lines/{line_id}")
async def remove_line(
    repair_order_id: str,
    line_id: str,
    request: Request,
    response: Response,
    occurred_at: Instant | None = Query(None, description="when it happened on the device"),
    principal: Principal = Depends(WRITE),
) -> RepairOrderRead:
    """Remove a job line the workshop has not started."""
    return await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        occurred_at,
        lambda uow, site, ro, at: repair_orders.remove_line(uow, ro, line_id, at),
    )


@router.post("/repair-orders/{repair_order_id}/request-approval")
async def request_approval(
    repair_order_id: str,
    body: ApprovalRequestOrEmpty,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> RepairOrderRead:
    """Put the estimate for draft lines to the customer."""
    return await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        body.occurred_at,
        lambda uow, site, ro, at: repair_orders.request_approval(uow, ro, body, at),
    )


@router.post("/repair-orders/{repair_order_id}/lines/{line_id}/approve")
async def approve(
    repair_order_id: str,
    line_id: str,
    body: Decision,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> RepairOrderRead:
    """The customer approves a proposed line (who and how are recorded)."""
    return await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        body.occurred_at,
        lambda uow, site, ro, at: repair_orders.decide(uow, ro, line_id, body, True, at, principal.subject),
    )


@router.post("/repair-orders/{repair_order_id}/lines/{line_id}/decline")
async def decline(
    repair_order_id: str,
    line_id: str,
    body: Decision,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> RepairOrderRead:
    """The customer declines a proposed line (who and how are recorded)."""
    return await ro_write(
        request,
        response,
        principal,
        repair_order_id,
        body.occurred_at,
        lambda uow, site, ro, at: repair_orders.decide(uow, ro, line_id, body, False, at, principal.subject),
    )

"""Complaints (投诉): open, list, actions, a comeback RO, resolve."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import col, select

from services.reception.adapters import store
from services.reception.adapters.queries import paged
from services.reception.adapters.tables import Complaint
from services.reception.api.deps import READ, at_of, reading, site_in_path
from services.reception.api.follow_ups import CONTACT
from services.reception.api.schemas.follow_ups import (
    ComplaintActionCreate,
    ComplaintComeback,
    ComplaintCreate,
    ComplaintRead,
    ComplaintResolve,
)
from services.reception.domain.follow_up import ComplaintStatus
from services.reception.usecases import complaints
from shared.auth import Principal
from shared.http import Page, PageParams, page_params
from shared.runtime import open_uow
from shared.uow import UnitOfWork

router = APIRouter(tags=["follow-ups and complaints"])


@router.post("/sites/{site_id}/complaints", status_code=201)
async def open_complaint(
    site_id: str, body: ComplaintCreate, request: Request, principal: Principal = Depends(CONTACT)
) -> ComplaintRead:
    """Open a complaint directly or from a follow-up attempt; naming an RO makes it a complaint about that repair."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        await site_in_path(uow.session, principal, site_id)
        complaint = await complaints.open_complaint(uow, site_id, body, at, principal.subject)
        await uow.session.flush()
        result = await complaints.complaint_read(uow.session, complaint)
        await uow.commit(result, 201)
    return result


@router.get("/sites/{site_id}/complaints")
async def list_complaints(
    site_id: str,
    request: Request,
    status: ComplaintStatus | None = Query(None),
    repair_order_id: str | None = Query(None, max_length=100),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[ComplaintRead]:
    """The site's complaints, newest first."""
    async with reading(request) as session:
        await site_in_path(session, principal, site_id)
        statement: Any = select(Complaint).where(Complaint.site_id == site_id)
        if status is not None:
            statement = statement.where(Complaint.status == status.value)
        if repair_order_id is not None:
            statement = statement.where(Complaint.repair_order_id == repair_order_id)
        rows = await paged(
            session,
            statement.order_by(col(Complaint.opened_at).desc(), col(Complaint.id)),
            page,
            lambda c: c,
            Complaint,
        )
        items = [await complaints.complaint_read(session, c) for c in rows.items]
        return Page[ComplaintRead](items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


@router.get("/complaints/{complaint_id}")
async def get_complaint(complaint_id: str, request: Request, principal: Principal = Depends(READ)) -> ComplaintRead:
    """One complaint with its actions."""
    async with reading(request) as session:
        complaint = await store.visible(session, Complaint, "complaint", complaint_id, principal)
        return await complaints.complaint_read(session, complaint)


async def _write(
    request: Request,
    principal: Principal,
    complaint_id: str,
    occurred_at: datetime | None,
    act: Callable[[UnitOfWork, Complaint, datetime], Awaitable[None]],
) -> ComplaintRead:
    at = at_of(request, principal, occurred_at)
    async with await open_uow(request, principal) as uow:
        complaint = await store.visible(uow.session, Complaint, "complaint", complaint_id, principal, lock=True)
        await act(uow, complaint, at)
        await uow.session.flush()
        result = await complaints.complaint_read(uow.session, complaint)
        await uow.commit(result, 200)
    return result


@router.post("/complaints/{complaint_id}/actions")
async def record_action(
    complaint_id: str, body: ComplaintActionCreate, request: Request, principal: Principal = Depends(CONTACT)
) -> ComplaintRead:
    """Note an action taken on an open complaint."""
    return await _write(
        request,
        principal,
        complaint_id,
        body.occurred_at,
        lambda uow, c, at: complaints.record_action(uow, c, body.action, at, principal.subject),
    )


@router.post("/complaints/{complaint_id}/comeback")
async def open_comeback(
    complaint_id: str, body: ComplaintComeback, request: Request, principal: Principal = Depends(CONTACT)
) -> ComplaintRead:
    """Flag the vehicle's new RO as a comeback of the RO the complaint is about (publishes ComebackFlagged)."""
    return await _write(
        request,
        principal,
        complaint_id,
        body.occurred_at,
        lambda uow, c, at: complaints.open_comeback(uow, c, body, at, principal.subject),
    )


@router.post("/complaints/{complaint_id}/resolve")
async def resolve(
    complaint_id: str, body: ComplaintResolve, request: Request, principal: Principal = Depends(CONTACT)
) -> ComplaintRead:
    """Resolve an open complaint with its outcome (409 when already resolved)."""
    return await _write(
        request,
        principal,
        complaint_id,
        body.occurred_at,
        lambda uow, c, at: complaints.resolve(uow, c, body.outcome, at),
    )

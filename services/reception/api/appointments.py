"""Appointments: book into a slot, reschedule, cancel, no-show; the day's list and its free slots."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request, Response

from services.reception.adapters import queries, store, views
from services.reception.adapters.tables import Appointment, Site
from services.reception.api.deps import READ, WRITE, at_of, local_day, reading, settings_of, site_in_path
from services.reception.api.schemas.appointments import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentNoShow,
    AppointmentRead,
    AppointmentReschedule,
    SlotRead,
)
from services.reception.domain.slots import Lane
from services.reception.usecases import appointments
from shared.auth import Principal
from shared.http import Page, PageParams, check_if_match, optional_body, page_params
from shared.runtime import open_uow
from shared.types import Day
from shared.uow import UnitOfWork

AppointmentCancelOrEmpty = optional_body(AppointmentCancel)
AppointmentNoShowOrEmpty = optional_body(AppointmentNoShow)

router = APIRouter(tags=["appointments"])


@router.post("/sites/{site_id}/appointments", status_code=201)
async def book(
    site_id: str, body: AppointmentCreate, request: Request, response: Response, principal: Principal = Depends(WRITE)
) -> AppointmentRead:
    """Book a slot; a full slot is 409 with the next free slots."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        site = await site_in_path(uow.session, principal, site_id, lock=True)
        appointment = await appointments.book(uow, site, body, at, principal.subject, settings_of(request))
        result = views.appointment_read(appointment)
        await uow.commit(result, 201)
    response.headers["ETag"] = views.appointment_etag(appointment)
    return result


@router.get("/sites/{site_id}/appointments")
async def list_appointments(
    site_id: str,
    request: Request,
    day: Day | None = Query(None, alias="date", description="site-local day; today when absent"),
    status: str | None = Query(None, pattern="^(booked|arrived|cancelled|no_show)$"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[AppointmentRead]:
    """The appointments of a day, by slot."""
    async with reading(request) as session:
        site = await site_in_path(session, principal, site_id)
        return await queries.appointments(session, site, local_day(site, day), status, page)


@router.get("/sites/{site_id}/slots")
async def list_slots(
    site_id: str,
    request: Request,
    day: Day | None = Query(None, alias="date"),
    lane: Lane = Lane.STANDARD,
    free_only: bool = False,
    principal: Principal = Depends(READ),
) -> list[SlotRead]:
    """The slots of a day in a lane, with what is booked in each."""
    async with reading(request) as session:
        site = await site_in_path(session, principal, site_id)
        return await queries.slots(session, site, local_day(site, day), lane, free_only)


@router.get("/appointments/{appointment_id}")
async def get_appointment(
    appointment_id: str, request: Request, response: Response, principal: Principal = Depends(READ)
) -> AppointmentRead:
    """One appointment."""
    async with reading(request) as session:
        appointment = await store.visible(session, Appointment, "appointment", appointment_id, principal)
    response.headers["ETag"] = views.appointment_etag(appointment)
    return views.appointment_read(appointment)


Step = Callable[[UnitOfWork, Site, Appointment, datetime], Awaitable[Appointment]]


async def _step(
    appointment_id: str,
    occurred_at: datetime | None,
    request: Request,
    response: Response,
    principal: Principal,
    step: Step,
) -> AppointmentRead:
    at = at_of(request, principal, occurred_at)
    async with await open_uow(request, principal) as uow:
        appointment = await store.visible(uow.session, Appointment, "appointment", appointment_id, principal, lock=True)
        check_if_match(request, views.appointment_etag(appointment))
        site = await store.site(uow.session, appointment.site_id, lock=True)
        result = views.appointment_read(await step(uow, site, appointment, at))
        await uow.commit(result)
    response.headers["ETag"] = views.appointment_etag(appointment)
    return result


@router.post("/appointments/{appointment_id}/reschedule")
async def reschedule(
    appointment_id: str,
    body: AppointmentReschedule,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> AppointmentRead:
    """Move the appointment to another slot with room (If-Match honoured)."""
    settings = settings_of(request)
    return await _step(
        appointment_id,
        body.occurred_at,
        request,
        response,
        principal,
        lambda uow, site, a, at: appointments.reschedule(uow, site, a, body, at, settings),
    )


@router.post("/appointments/{appointment_id}/cancel")
async def cancel(
    appointment_id: str,
    body: AppointmentCancelOrEmpty,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> AppointmentRead:
    """Cancel the appointment (If-Match honoured)."""
    return await _step(
        appointment_id,
        body.occurred_at,
        request,
        response,
        principal,
        lambda uow, site, a, at: appointments.cancel(uow, a, body.reason, at),
    )


@router.post("/appointments/{appointment_id}/no-show")
async def no_show(
    appointment_id: str,
    body: AppointmentNoShowOrEmpty,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> AppointmentRead:
    """Mark that the vehicle did not come (If-Match honoured)."""
    return await _step(
        appointment_id,
        body.occurred_at,
        request,
        response,
        principal,
        lambda uow, site, a, at: appointments.no_show(uow, a, at),
    )

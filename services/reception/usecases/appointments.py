"""Booking, rescheduling, cancelling and no-shows, within each slot's capacity."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters import store
from services.reception.adapters.tables import Appointment, Customer, Site, Vehicle
from services.reception.api.schemas.appointments import AppointmentCreate, AppointmentReschedule
from services.reception.domain.slots import Lane, require_room
from services.reception.settings import ReceptionSettings
from services.reception.usecases.sites import schedule_of
from shared.contracts.reception import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentNoShow,
    AppointmentRescheduled,
)
from shared.errors import Conflict, IllegalTransition, Invalid
from shared.uow import UnitOfWork

BOOKED, ARRIVED, CANCELLED, NO_SHOW = "booked", "arrived", "cancelled", "no_show"
OCCUPYING = (BOOKED, ARRIVED)
_ALLOWED = {BOOKED: ["reschedule", "cancel", "no_show", "arrive"], ARRIVED: [], CANCELLED: [], NO_SHOW: []}


def capacity(site: Site, lane: Lane) -> int:
    """How many appointments a slot of the lane takes."""
    return site.quick_lane_capacity if lane is Lane.QUICK else site.slot_capacity


def require_status(appointment: Appointment, step: str) -> None:
    """Refuse a step the appointment's status does not allow."""
    if step not in _ALLOWED[appointment.status]:
        raise IllegalTransition(
            f"an appointment that is {appointment.status} does not allow {step}",
            state=appointment.status,
            allowed=_ALLOWED[appointment.status],
        )


async def booked_counts(
    session: AsyncSession, site_id: str, lane: Lane, start: datetime, end: datetime, exclude: str | None = None
) -> dict[datetime, int]:
    """Appointments holding each slot of the lane between two moments."""
    statement = (
        select(Appointment.slot_start, func.count())
        .where(
            Appointment.site_id == site_id,
            Appointment.lane == lane.value,
            col(Appointment.status).in_(OCCUPYING),
            Appointment.slot_start >= start,
            Appointment.slot_start < end,
            Appointment.id != (exclude or ""),
        )
        .group_by(Appointment.slot_start)
    )
    return {start_: count for start_, count in (await session.exec(statement)).all()}


async def _place(
    uow: UnitOfWork,
    site: Site,
    lane: Lane,
    slot_start: datetime,
    at: datetime,
    settings: ReceptionSettings,
    exclude: str | None = None,
) -> tuple[datetime, datetime]:
    schedule = schedule_of(site)
    start, end = schedule.slot(slot_start)
    if start < at:
        raise Invalid(f"the slot at {slot_start.isoformat()} has already started")
    days = settings.slot_search_days
    counts = await booked_counts(uow.session, site.site_id, lane, start, start + timedelta(days=days + 1), exclude)
    require_room(schedule, start, lane, capacity(site, lane), counts, count=settings.next_free_slots_shown, days=days)
    return start, end


async def book(
    uow: UnitOfWork, site: Site, body: AppointmentCreate, at: datetime, by: str, settings: ReceptionSettings
) -> Appointment:
    """Book a slot (409 with the next free slots when it is full)."""
    await store.referenced(uow.session, Customer, "customer_id", body.customer_id, site.site_id)
    await store.referenced(uow.session, Vehicle, "vehicle_id", body.vehicle_id, site.site_id)
    start, end = await _place(uow, site, body.lane, body.slot_start, at, settings)
    appointment = Appointment(
        id=str(uuid.uuid4()),
        site_id=site.site_id,
        customer_id=body.customer_id,
        vehicle_id=body.vehicle_id,
        lane=body.lane.value,
        slot_start=start,
        slot_end=end,
        concern=body.concern,
        status=BOOKED,
        booked_by=by,
        booked_at=at,
    )
    uow.session.add(appointment)
    await uow.publish(
        AppointmentBooked(
            site_id=site.site_id,
            occurred_at=at,
            appointment_id=appointment.id,
            customer_id=appointment.customer_id,
            vehicle_id=appointment.vehicle_id,
            slot_start=start,
            slot_end=end,
            lane=appointment.lane,
        )
    )
    return appointment


async def reschedule(
    uow: UnitOfWork,
    site: Site,
    appointment: Appointment,
    body: AppointmentReschedule,
    at: datetime,
    settings: ReceptionSettings,
) -> Appointment:
    """Move a booked appointment to another slot with room."""
    require_status(appointment, "reschedule")
    lane = body.lane or Lane(appointment.lane)
    start, end = await _place(uow, site, lane, body.slot_start, at, settings, exclude=appointment.id)
    if (start, lane.value) == (appointment.slot_start, appointment.lane):
        return appointment
    appointment.slot_start, appointment.slot_end, appointment.lane = start, end, lane.value
    appointment.version += 1
    await uow.publish(
        AppointmentRescheduled(
            site_id=site.site_id,
            occurred_at=at,
            appointment_id=appointment.id,
            slot_start=start,
            slot_end=end,
        )
    )
    return appointment


async def cancel(uow: UnitOfWork, appointment: Appointment, reason: str, at: datetime) -> Appointment:
    """Cancel a booked appointment; its slot frees up."""
    require_status(appointment, "cancel")
    appointment.status, appointment.cancel_reason = CANCELLED, reason
    appointment.version += 1
    await uow.publish(
        AppointmentCancelled(site_id=appointment.site_id, occurred_at=at, appointment_id=appointment.id, reason=reason)
    )
    return appointment


async def no_show(uow: UnitOfWork, appointment: Appointment, at: datetime) -> Appointment:
    """Mark that the vehicle did not come (only once its slot has started)."""
    require_status(appointment, "no_show")
    if at < appointment.slot_start:
        raise Conflict(
            f"the slot starts at {appointment.slot_start.isoformat()}; a no-show can be marked only after that"
        )
    appointment.status = NO_SHOW
    appointment.version += 1
    await uow.publish(AppointmentNoShow(site_id=appointment.site_id, occurred_at=at, appointment_id=appointment.id))
    return appointment

"""A vehicle arrives: the reception queue starts and the recall check result is recorded."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters import store
from services.reception.adapters.tables import Appointment, Customer, Vehicle, Visit
from services.reception.api.schemas.visits import ArrivalCreate
from services.reception.domain.arrival import require_booked_arrival, require_open
from services.reception.recalls import RecallResult
from services.reception.usecases.appointments import ARRIVED, require_status
from services.reception.usecases.sites import schedule_of
from shared.contracts.reception import RecallChecked, VehicleArrived
from shared.errors import Conflict, Invalid
from shared.uow import UnitOfWork

WAITING, RO_OPENED = "waiting", "ro_opened"


async def arriving_vehicle(
    session: AsyncSession, site_id: str, body: ArrivalCreate
) -> tuple[Vehicle, Appointment | None]:
    """The vehicle that arrives, from the body or its appointment (422 when neither names one)."""
    appointment = None
    if body.walk_in and body.appointment_id is not None:
        raise Invalid(
            "a walk-in names vehicle_id, not appointment_id: the appointment stays booked (reschedule or cancel it)",
            field="appointment_id",
        )
    if body.appointment_id is not None:
        appointment = await store.referenced(session, Appointment, "appointment_id", body.appointment_id, site_id)
        if body.vehicle_id is not None and body.vehicle_id != appointment.vehicle_id:
            raise Invalid(f"vehicle_id {body.vehicle_id!r} is not the appointment's vehicle {appointment.vehicle_id!r}")
    vehicle_id = body.vehicle_id or (appointment.vehicle_id if appointment else None)
    if vehicle_id is None:
        raise Invalid("give vehicle_id (walk-in) or appointment_id", field="vehicle_id")
    vehicle = await store.referenced(session, Vehicle, "vehicle_id", vehicle_id, site_id)
    return vehicle, appointment


async def arrive(
    uow: UnitOfWork, site_id: str, body: ArrivalCreate, recall: RecallResult, at: datetime, by: str
) -> Visit:
    """Record the arrival and the recall check (done beforehand, so the check-in never waits on a lock)."""
    vehicle, appointment = await arriving_vehicle(uow.session, site_id, body)
    waiting = (
        await uow.session.exec(select(Visit).where(Visit.vehicle_id == vehicle.id, Visit.status == WAITING))
    ).first()
    if waiting is not None:
        raise Conflict(
            f"vehicle {vehicle.plate} is already waiting at reception (arrived {waiting.arrived_at.isoformat()})",
            visit_id=waiting.id,
        )
    customer_id = body.customer_id or (appointment.customer_id if appointment else None) or vehicle.customer_id
    if body.customer_id is not None:
        await store.referenced(uow.session, Customer, "customer_id", body.customer_id, site_id)
    site = await store.site(uow.session, site_id)
    if appointment is not None:
        require_status(appointment, "arrive")
        require_booked_arrival(
            at,
            appointment.slot_start,
            appointment.slot_end,
            schedule_of(site),
            site.arrival_early_minutes,
            site.arrival_late_minutes,
        )
        appointment.status = ARRIVED
        appointment.version += 1
    elif not body.walk_in:
        require_open(at, schedule_of(site))
    visit = Visit(
        id=str(uuid.uuid4()),
        site_id=site_id,
        vehicle_id=vehicle.id,
        customer_id=customer_id,
        appointment_id=appointment.id if appointment else None,
        arrived_at=at,
        status=WAITING,
        recall_status=recall.status,
        recall_campaigns=[c.stored() for c in recall.campaigns],
        recorded_by=by,
    )
    if appointment is not None:
        appointment.visit_id = visit.id
    uow.session.add(visit)
    await uow.publish(
        VehicleArrived(
            site_id=site_id,
            occurred_at=at,
            visit_id=visit.id,
            vehicle_id=vehicle.id,
            customer_id=customer_id,
            vin=vehicle.vin,
            appointment_id=visit.appointment_id,
        ),
        RecallChecked(
            site_id=site_id,
            occurred_at=at,
            visit_id=visit.id,
            vin=vehicle.vin,
            status=recall.status,
            campaign_numbers=[c.number for c in recall.campaigns],
        ),
    )
    return visit

"""Lists and searches (paged): sites, people, appointments, the reception queue, ROs and the advisor's day."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters import views
from services.reception.adapters.tables import Appointment, Customer, JobLine, RepairOrder, Site, Vehicle, Visit
from services.reception.api.schemas.appointments import AppointmentRead, SlotRead
from services.reception.api.schemas.day import DayView
from services.reception.api.schemas.people import CustomerRead, VehicleRead, phone_digits, plate_key
from services.reception.api.schemas.repair_orders import RepairOrderSummary
from services.reception.api.schemas.sites import SiteRead
from services.reception.api.schemas.visits import QueueEntry, VisitRead
from services.reception.domain.repair_order import LineStatus, RoState
from services.reception.domain.slots import Lane
from services.reception.usecases.appointments import booked_counts, capacity
from services.reception.usecases.sites import schedule_of
from services.reception.usecases.visits import WAITING
from shared.auth import ALL_SITES, Principal
from shared.errors import Invalid
from shared.http import Page, PageParams

R = TypeVar("R", bound=BaseModel)
# shared.http.page_params bounds only the limit; a database integer cannot hold an unbounded offset.
MAX_OFFSET = 1_000_000_000
_BEFORE_READY = [s.value for s in (RoState.OPEN, RoState.AWAITING_APPROVAL, RoState.APPROVED, RoState.IN_PROGRESS)]


async def paged(
    session: AsyncSession, statement: Any, page: PageParams, read: Callable[[Any], R], model: type[R]
) -> Page[R]:
    """Run a select for one page, with the total."""
    if page.offset > MAX_OFFSET:
        raise Invalid(f"offset must be at most {MAX_OFFSET}")
    total = (await session.exec(select(func.count()).select_from(statement.subquery()))).one()
    rows = (await session.exec(statement.limit(page.limit).offset(page.offset))).all()
    return Page[model](items=[read(row) for row in rows], total=total, limit=page.limit, offset=page.offset)  # type: ignore[valid-type]


async def sites(session: AsyncSession, principal: Principal, page: PageParams) -> Page[Any]:
    """The sites the token covers."""
    statement = select(Site).order_by(Site.site_id)
    if ALL_SITES not in principal.sites:
        statement = statement.where(col(Site.site_id).in_(sorted(principal.sites)))
    return await paged(session, statement, page, views.site_read, SiteRead)


async def customers(session: AsyncSession, site_id: str, q: str | None, page: PageParams) -> Page[Any]:
    """Customers by name or phone."""
    statement = select(Customer).where(Customer.site_id == site_id).order_by(Customer.name, Customer.id)
    if q:
        conditions = [func.lower(Customer.name).contains(q.lower(), autoescape=True)]
        if phone_digits(q):
            conditions.append(col(Customer.phone_digits).contains(phone_digits(q), autoescape=True))
        statement = statement.where(or_(*conditions))
    return await paged(session, statement, page, views.customer_read, CustomerRead)


async def vehicles(session: AsyncSession, site_id: str, q: str | None, page: PageParams) -> Page[Any]:
    """Vehicles by plate or VIN."""
    statement = select(Vehicle).where(Vehicle.site_id == site_id).order_by(Vehicle.plate_key, Vehicle.id)
    if q:
        statement = statement.where(
            or_(
                col(Vehicle.plate_key).contains(plate_key(q), autoescape=True),
                col(Vehicle.vin).contains(q.strip().upper(), autoescape=True),
            )
        )
    return await paged(session, statement, page, views.vehicle_read, VehicleRead)


async def appointments(session: AsyncSession, site: Site, day: date, status: str | None, page: PageParams) -> Page[Any]:
    """The appointments of a local day, by slot."""
    start, end = schedule_of(site).day_bounds(day)
    statement = (
        select(Appointment)
        .where(Appointment.site_id == site.site_id, Appointment.slot_start >= start, Appointment.slot_start < end)
        .order_by(Appointment.slot_start, Appointment.booked_at)
    )
    if status:
        statement = statement.where(Appointment.status == status)
    return await paged(session, statement, page, views.appointment_read, AppointmentRead)


async def slots(session: AsyncSession, site: Site, day: date, lane: Lane, only_free: bool) -> list[SlotRead]:
    """Every slot of a local day with what is booked in it."""
    schedule = schedule_of(site)
    start, end = schedule.day_bounds(day)
    counts = await booked_counts(session, site.site_id, lane, start, end)
    room = capacity(site, lane)
    found = [
        SlotRead(
            lane=lane,
            start=s,
            end=s + timedelta(minutes=site.slot_minutes),
            capacity=room,
            booked=counts.get(s, 0),
            free=max(0, room - counts.get(s, 0)),
        )
        for s in schedule.slots_on(day)
    ]
    return [s for s in found if s.free > 0] if only_free else found


def _queue_entry(at: datetime) -> Callable[[Any], QueueEntry]:
    def read(row: Any) -> QueueEntry:
        visit, vehicle, customer = row
        return QueueEntry(
            visit=views.visit_read(visit),
            plate=vehicle.plate,
            vin=vehicle.vin,
            customer_name=customer.name if customer else None,
            booked=visit.appointment_id is not None,
            waiting_seconds=max(0, int((at - visit.arrived_at).total_seconds())),
        )

    return read


async def reception_queue(session: AsyncSession, site_id: str, at: datetime, page: PageParams) -> Page[QueueEntry]:
    """Arrivals still waiting for their RO, longest wait first."""
    statement = (
        select(Visit, Vehicle, Customer)
        .join(Vehicle, col(Vehicle.id) == Visit.vehicle_id)
        .outerjoin(Customer, col(Customer.id) == Visit.customer_id)
        .where(Visit.site_id == site_id, Visit.status == WAITING)
        .order_by(Visit.arrived_at, Visit.id)
    )
    return await paged(session, statement, page, _queue_entry(at), QueueEntry)


async def arrivals(session: AsyncSession, site: Site, day: date, page: PageParams) -> Page[Any]:
    """The arrivals of a local day."""
    start, end = schedule_of(site).day_bounds(day)
    statement = (
        select(Visit)
        .where(Visit.site_id == site.site_id, Visit.arrived_at >= start, Visit.arrived_at < end)
        .order_by(Visit.arrived_at)
    )
    return await paged(session, statement, page, views.visit_read, VisitRead)


def _ros(site_id: str) -> Any:
    return (
        select(RepairOrder, Vehicle, Customer)
        .join(Vehicle, col(Vehicle.id) == RepairOrder.vehicle_id)
        .join(Customer, col(Customer.id) == RepairOrder.customer_id)
        .where(RepairOrder.site_id == site_id)
    )


def _summary(row: Any) -> RepairOrderSummary:
    return views.summary(*row)


async def search_repair_orders(
    session: AsyncSession,
    site_id: str,
    page: PageParams,
    *,
    states: Sequence[str] = (),
    plate: str | None = None,
    vin: str | None = None,
    ro_number: str | None = None,
    phone: str | None = None,
    q: str | None = None,
) -> Page[RepairOrderSummary]:
    """ROs by state, plate, VIN, RO number or customer phone (q: any of them), newest first."""
    statement = _ros(site_id).order_by(col(RepairOrder.opened_at).desc(), col(RepairOrder.ro_seq).desc())
    if states:
        statement = statement.where(col(RepairOrder.state).in_(list(states)))
    for value, condition in ((plate, _by_plate), (vin, _by_vin), (ro_number, _by_number), (phone, _by_phone)):
        if value:
            statement = statement.where(condition(value))
    if q:
        statement = statement.where(or_(*(c(q) for c in (_by_plate, _by_vin, _by_number, _by_phone))))
    return await paged(session, statement, page, _summary, RepairOrderSummary)


def _by_plate(value: str) -> Any:
    key = plate_key(value)
    return col(Vehicle.plate_key).contains(key, autoescape=True) if key else False


def _by_vin(value: str) -> Any:
    return col(Vehicle.vin).contains(value.strip().upper(), autoescape=True) if value.strip() else False


def _by_number(value: str) -> Any:
    digits = "".join(c for c in value if c in "0123456789")
    exact = func.upper(RepairOrder.ro_number) == value.strip().upper()
    return or_(exact, RepairOrder.ro_seq == int(digits)) if digits and len(digits) < 12 else exact


def _by_phone(value: str) -> Any:
    digits = phone_digits(value)
    return col(Customer.phone_digits).contains(digits, autoescape=True) if len(digits) >= 3 else False


async def day_view(session: AsyncSession, site: Site, day: date, at: datetime, page: PageParams) -> DayView:
    """The advisor's day: appointments, who waits, what awaits approval, what is ready, what is late."""
    proposed = select(JobLine.repair_order_id).where(
        JobLine.site_id == site.site_id, JobLine.status == LineStatus.PROPOSED.value
    )
    live = col(RepairOrder.state).in_(_BEFORE_READY)
    return DayView(
        site_id=site.site_id,
        date=day,
        at=at,
        appointments=await appointments(session, site, day, None, page),
        waiting_arrivals=await reception_queue(session, site.site_id, at, page),
        awaiting_approval=await paged(
            session,
            _ros(site.site_id).where(live, col(RepairOrder.id).in_(proposed)).order_by(RepairOrder.opened_at),
            page,
            _summary,
            RepairOrderSummary,
        ),
        ready_for_pickup=await paged(
            session,
            _ros(site.site_id)
            .where(col(RepairOrder.state).in_([RoState.READY.value, RoState.INVOICED.value]))
            .order_by(RepairOrder.ready_at),
            page,
            _summary,
            RepairOrderSummary,
        ),
        overdue=await paged(
            session,
            _ros(site.site_id).where(live, col(RepairOrder.promised_at) < at).order_by(RepairOrder.promised_at),
            page,
            _summary,
            RepairOrderSummary,
        ),
    )

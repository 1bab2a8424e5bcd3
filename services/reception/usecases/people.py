"""Customers and vehicles of a site."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlmodel import select

from services.reception.adapters import store
from services.reception.adapters.tables import Customer, Vehicle
from services.reception.api.schemas.people import (
    CustomerCreate,
    CustomerPatch,
    VehicleCreate,
    VehiclePatch,
    phone_digits,
    plate_key,
)
from services.reception.domain.vin import vin_problem
from shared.errors import Conflict, Invalid
from shared.uow import UnitOfWork

log = logging.getLogger("pitwall.reception.vehicles")


async def create_customer(uow: UnitOfWork, site_id: str, body: CustomerCreate, at: datetime) -> Customer:
    """A new customer."""
    customer = Customer(
        id=str(uuid.uuid4()),
        site_id=site_id,
        phone_digits=phone_digits(body.phone),
        created_at=at,
        updated_at=at,
        **body.model_dump(exclude={"occurred_at"}),
    )
    uow.session.add(customer)
    return customer


async def change_customer(uow: UnitOfWork, customer: Customer, body: CustomerPatch, at: datetime) -> Customer:
    """Change the fields given."""
    values = {k: getattr(body, k) for k in body.model_fields_set if k != "occurred_at"}
    if values.get("phone"):
        values["phone_digits"] = phone_digits(values["phone"])
    values = {k: v for k, v in values.items() if v is not None or k == "email"}
    if store.changed(customer, values):
        customer.version, customer.updated_at = customer.version + 1, at
    return customer


async def _vin_acceptable(uow: UnitOfWork, site_id: str, vin: str, vehicle_id: str | None = None) -> None:
    site = await store.site(uow.session, site_id)
    if (
        problem := vin_problem(vin, check_digit_required=site.vin_check_digit)
    ) is not None:  # the market's rule, per site
        raise Invalid(
            f"body.vin: {problem}", errors=[{"loc": ["body", "vin"], "msg": problem, "type": "vin_check_digit"}]
        )
    found = (await uow.session.exec(select(Vehicle).where(Vehicle.site_id == site_id, Vehicle.vin == vin))).first()
    if found is not None and found.id != vehicle_id:
        raise Conflict(f"a vehicle with VIN {vin} already exists at this site", vehicle_id=found.id)


async def create_vehicle(uow: UnitOfWork, site_id: str, body: VehicleCreate, at: datetime) -> Vehicle:
    """A new vehicle (one per VIN and site)."""
    await _vin_acceptable(uow, site_id, body.vin)
    if body.customer_id is not None:
        await store.referenced(uow.session, Customer, "customer_id", body.customer_id, site_id)
    vehicle = Vehicle(
        id=str(uuid.uuid4()),
        site_id=site_id,
        plate_key=plate_key(body.plate),
        created_at=at,
        updated_at=at,
        **body.model_dump(exclude={"occurred_at"}),
    )
    uow.session.add(vehicle)
    return vehicle


async def change_vehicle(uow: UnitOfWork, vehicle: Vehicle, body: VehiclePatch, at: datetime, by: str) -> Vehicle:
    """Change the fields given; the mileage goes down only as a correction with its reason."""
    values = {
        k: getattr(body, k) for k in body.model_fields_set if k not in ("occurred_at", "odometer_correction_reason")
    }
    values = {k: v for k, v in values.items() if v is not None or k == "customer_id"}
    if values.get("mileage", vehicle.mileage) < vehicle.mileage:
        if body.odometer_correction_reason is None:
            raise Invalid(
                f"mileage {values['mileage']} is below the odometer's {vehicle.mileage}; an odometer goes back only "
                "as a correction: give odometer_correction_reason",
                field="mileage",
            )
        log.warning(
            "odometer of vehicle %s corrected from %s to %s by %s: %s",
            vehicle.id,
            vehicle.mileage,
            values["mileage"],
            by,
            body.odometer_correction_reason,
        )
    if values.get("vin"):
        await _vin_acceptable(uow, vehicle.site_id, values["vin"], vehicle.id)
    if values.get("customer_id"):
        await store.referenced(uow.session, Customer, "customer_id", values["customer_id"], vehicle.site_id)
    if values.get("plate"):
        values["plate_key"] = plate_key(values["plate"])
    if store.changed(vehicle, values):
        vehicle.version, vehicle.updated_at = vehicle.version + 1, at
    return vehicle

"""Customers and vehicles of a site."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from services.reception.adapters import queries, store, views
from services.reception.adapters.tables import Customer, Vehicle
from services.reception.api.deps import READ, WRITE, at_of, reading, site_in_path
from services.reception.api.schemas.people import (
    CustomerCreate,
    CustomerPatch,
    CustomerRead,
    VehicleCreate,
    VehiclePatch,
    VehicleRead,
)
from services.reception.usecases import people
from shared.auth import Principal
from shared.http import Page, PageParams, check_if_match, etag, page_params
from shared.runtime import open_uow

router = APIRouter(tags=["customers and vehicles"])


@router.post("/sites/{site_id}/customers", status_code=201)
async def create_customer(
    site_id: str, body: CustomerCreate, request: Request, response: Response, principal: Principal = Depends(WRITE)
) -> CustomerRead:
    """Register a customer."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        await site_in_path(uow.session, principal, site_id)
        result = views.customer_read(await people.create_customer(uow, site_id, body, at))
        await uow.commit(result, 201)
    response.headers["ETag"] = etag("customer", result.id, result.version)
    return result


@router.get("/sites/{site_id}/customers")
async def list_customers(
    site_id: str,
    request: Request,
    q: str | None = Query(None, max_length=100, description="name or phone"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[CustomerRead]:
    """Customers, by name or phone."""
    async with reading(request) as session:
        await site_in_path(session, principal, site_id)
        return await queries.customers(session, site_id, q, page)


@router.get("/sites/{site_id}/customers/{customer_id}")
async def get_customer(
    site_id: str, customer_id: str, request: Request, response: Response, principal: Principal = Depends(READ)
) -> CustomerRead:
    """One customer."""
    async with reading(request) as session:
        await site_in_path(session, principal, site_id)
        result = views.customer_read(await store.of_site(session, Customer, "customer", customer_id, site_id))
    response.headers["ETag"] = etag("customer", result.id, result.version)
    return result


@router.patch("/sites/{site_id}/customers/{customer_id}")
async def patch_customer(
    site_id: str,
    customer_id: str,
    body: CustomerPatch,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> CustomerRead:
    """Change a customer (If-Match honoured)."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        await site_in_path(uow.session, principal, site_id)
        customer = await store.of_site(uow.session, Customer, "customer", customer_id, site_id, lock=True)
        check_if_match(request, etag("customer", customer.id, customer.version))
        result = views.customer_read(await people.change_customer(uow, customer, body, at))
        await uow.commit(result)
    response.headers["ETag"] = etag("customer", result.id, result.version)
    return result


@router.post("/sites/{site_id}/vehicles", status_code=201)
async def create_vehicle(
    site_id: str, body: VehicleCreate, request: Request, response: Response, principal: Principal = Depends(WRITE)
) -> VehicleRead:
    """Register a vehicle (VIN checked, one per VIN and site)."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        await site_in_path(uow.session, principal, site_id)
        result = views.vehicle_read(await people.create_vehicle(uow, site_id, body, at))
        await uow.commit(result, 201)
    response.headers["ETag"] = etag("vehicle", result.id, result.version)
    return result


@router.get("/sites/{site_id}/vehicles")
async def list_vehicles(
    site_id: str,
    request: Request,
    q: str | None = Query(None, max_length=100, description="plate or VIN (or part of one)"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[VehicleRead]:
    """Vehicles, by plate or VIN."""
    async with reading(request) as session:
        await site_in_path(session, principal, site_id)
        return await queries.vehicles(session, site_id, q, page)


@router.get("/sites/{site_id}/vehicles/{vehicle_id}")
async def get_vehicle(
    site_id: str, vehicle_id: str, request: Request, response: Response, principal: Principal = Depends(READ)
) -> VehicleRead:
    """One vehicle."""
    async with reading(request) as session:
        await site_in_path(session, principal, site_id)
        result = views.vehicle_read(await store.of_site(session, Vehicle, "vehicle", vehicle_id, site_id))
    response.headers["ETag"] = etag("vehicle", result.id, result.version)
    return result


@router.patch("/sites/{site_id}/vehicles/{vehicle_id}")
async def patch_vehicle(
    site_id: str,
    vehicle_id: str,
    body: VehiclePatch,
    request: Request,
    response: Response,
    principal: Principal = Depends(WRITE),
) -> VehicleRead:
    """Change a vehicle (If-Match honoured)."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        await site_in_path(uow.session, principal, site_id)
        vehicle = await store.of_site(uow.session, Vehicle, "vehicle", vehicle_id, site_id, lock=True)
        check_if_match(request, etag("vehicle", vehicle.id, vehicle.version))
        result = views.vehicle_read(await people.change_vehicle(uow, vehicle, body, at, principal.subject))
        await uow.commit(result)
    response.headers["ETag"] = etag("vehicle", result.id, result.version)
    return result

"""Arrivals: the vehicle at the door (with its recall check) and the reception queue."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from services.reception.adapters import queries, store, views
from services.reception.adapters.tables import Visit
from services.reception.api.deps import READ, WRITE, at_of, local_day, reading, settings_of, site_in_path
from services.reception.api.schemas.visits import ArrivalCreate, QueueEntry, VisitRead
from services.reception.recalls import RecallPort, check_recalls
from services.reception.usecases import visits
from shared.auth import Principal
from shared.clock import utcnow
from shared.http import Page, PageParams, page_params
from shared.runtime import open_uow
from shared.types import Day, Instant

router = APIRouter(tags=["arrivals"])


@router.post("/sites/{site_id}/arrivals", status_code=201)
async def arrive(
    site_id: str, body: ArrivalCreate, request: Request, principal: Principal = Depends(WRITE)
) -> VisitRead:
    """A vehicle arrives (walk-in or booked): the reception queue starts; recalls are checked within a time limit."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal):
        pass  # a retried request is answered here, without asking the OEM again
    async with reading(request) as session:
        site = await site_in_path(session, principal, site_id)
        vehicle, _ = await visits.arriving_vehicle(session, site_id, body)
    port: RecallPort = request.app.state.recalls
    # Asked before the transaction opens: a slow OEM must never hold a database lock.
    recall = await check_recalls(
        port, vehicle.vin, settings_of(request).recall_timeout_seconds, site_id, local_day(site, None, at)
    )
    async with await open_uow(request, principal) as uow:
        await site_in_path(uow.session, principal, site_id)
        result = views.visit_read(await visits.arrive(uow, site_id, body, recall, at, principal.subject))
        await uow.commit(result, 201)
    return result


@router.get("/sites/{site_id}/arrivals")
async def list_arrivals(
    site_id: str,
    request: Request,
    day: Day | None = Query(None, alias="date", description="site-local day; today when absent"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[VisitRead]:
    """The arrivals of a day."""
    async with reading(request) as session:
        site = await site_in_path(session, principal, site_id)
        return await queries.arrivals(session, site, local_day(site, day), page)


@router.get("/sites/{site_id}/arrivals/{visit_id}")
async def get_arrival(site_id: str, visit_id: str, request: Request, principal: Principal = Depends(READ)) -> VisitRead:
    """One arrival, with its recall check."""
    async with reading(request) as session:
        await site_in_path(session, principal, site_id)
        return views.visit_read(await store.of_site(session, Visit, "arrival", visit_id, site_id))


@router.get("/sites/{site_id}/reception-queue")
async def reception_queue(
    site_id: str,
    request: Request,
    at: Instant | None = Query(None, description="the moment waits are measured to; now when absent"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[QueueEntry]:
    """Who is waiting for their RO, and for how long (longest first)."""
    async with reading(request) as session:
        await site_in_path(session, principal, site_id)
        return await queries.reception_queue(session, site_id, at or utcnow(), page)

"""Technicians and their attendance: clock in/out, breaks, clockings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.adapters.store import get_technician, technician_now
from services.workshop.adapters.views import technician_read
from services.workshop.api.deps import CLOCKER, READER, SUPERVISOR, read_session, read_uow, write
from services.workshop.api.schemas import (
    ClockIn,
    ClockingsRead,
    ClockStep,
    TechnicianCreate,
    TechnicianRead,
    TechnicianUpdate,
)
from services.workshop.usecases import floor
from services.workshop.usecases.context import Actor
from services.workshop.usecases.reads import clockings, list_technicians
from shared.auth import Principal
from shared.http import Page, PageParams, check_if_match, etag, optional_body, page_params
from shared.types import Instant
from shared.uow import UnitOfWork

ClockInOrEmpty = optional_body(ClockIn)
ClockStepOrEmpty = optional_body(ClockStep)

router = APIRouter(tags=["technicians"])

SELF_ONLY = (
    " A technician may only clock themselves: the token's subject is the technician id, or a shared bay terminal "
    "sends the technician's PIN in `X-Technician-Pin`; foreman and manager may clock anyone."
)


@router.post("/sites/{site_id}/technicians", status_code=201)
async def create_technician(
    site_id: str, body: TechnicianCreate, request: Request, principal: Principal = Depends(SUPERVISOR)
) -> TechnicianRead:
    """Add a technician: skills, level, team, badge and terminal PIN. Their id is the subject of their own token."""
    principal.require_site(site_id)

    async def action(uow: UnitOfWork, actor: Actor) -> TechnicianRead:
        return await floor.create_technician(uow, site_id, body)

    return await write(request, principal, action, 201)


@router.get("/sites/{site_id}/technicians")
async def technicians(
    site_id: str,
    principal: Principal = Depends(READER),
    page: PageParams = Depends(page_params),
    session: AsyncSession = Depends(read_session),
) -> Page[TechnicianRead]:
    """The site's technicians and where each stands (not clocked in, idle, on a job, on a break)."""
    principal.require_site(site_id)
    return await list_technicians(session, site_id, page)


@router.get("/technicians/{technician_id}")
async def technician(
    technician_id: str,
    response: Response,
    principal: Principal = Depends(READER),
    session: AsyncSession = Depends(read_session),
) -> TechnicianRead:
    """One technician (ETag for updates)."""
    row = await get_technician(session, technician_id, principal)
    response.headers["ETag"] = etag("technician", row.id, row.version)
    return technician_read(await technician_now(session, row))


@router.patch("/technicians/{technician_id}")
async def update_technician(
    technician_id: str,
    body: TechnicianUpdate,
    request: Request,
    response: Response,
    principal: Principal = Depends(SUPERVISOR),
) -> TechnicianRead:
    """Change skills, level, team, badge, PIN, or deactivate (If-Match honoured)."""

    async def action(uow: UnitOfWork, actor: Actor) -> TechnicianRead:
        row = await get_technician(uow.session, technician_id, principal, lock=True)
        check_if_match(request, etag("technician", row.id, row.version))
        return await floor.update_technician(uow, row, body)

    result = await write(request, principal, action)
    response.headers["ETag"] = etag("technician", result.id, result.version)
    return result


Step = Callable[[UnitOfWork, Actor, str, ClockStep], Awaitable[TechnicianRead]]


async def _clock(
    request: Request, principal: Principal, technician_id: str, body: ClockStep, step: Step
) -> TechnicianRead:
    async def action(uow: UnitOfWork, actor: Actor) -> TechnicianRead:
        return await step(uow, actor, technician_id, body)

    return await write(request, principal, action)


@router.post(
    "/technicians/{technician_id}/clock-in",
    description="Start the shift (publishes TechnicianClockedIn). "
    "`shift_end` defaults to the site's closing time that day, else clock-in + the default shift length." + SELF_ONLY,
)
async def clock_in(
    technician_id: str, body: ClockInOrEmpty, request: Request, principal: Principal = Depends(CLOCKER)
) -> TechnicianRead:
    """Clock in."""

    async def action(uow: UnitOfWork, actor: Actor) -> TechnicianRead:
        return await floor.clock_in(uow, actor, technician_id, body)

    return await write(request, principal, action)


@router.post(
    "/technicians/{technician_id}/clock-out",
    description="End the shift (a running break ends first). A job clock "
    "left running is not stopped: it is flagged stale (job_past_clock_out) for the foreman to correct." + SELF_ONLY,
)
async def clock_out(
    technician_id: str, body: ClockStepOrEmpty, request: Request, principal: Principal = Depends(CLOCKER)
) -> TechnicianRead:
    """Clock out."""
    return await _clock(request, principal, technician_id, body, floor.clock_out)


@router.post(
    "/technicians/{technician_id}/break-start",
    description="Start an attendance break. A running job clock stops "
    "first: the job is paused with reason `break` (JobPaused), or clocked off (JobClockedOff) if others carry on."
    + SELF_ONLY,
)
async def break_start(
    technician_id: str, body: ClockStepOrEmpty, request: Request, principal: Principal = Depends(CLOCKER)
) -> TechnicianRead:
    """Start a break."""
    return await _clock(request, principal, technician_id, body, floor.start_break)


@router.post(
    "/technicians/{technician_id}/break-end",
    description="End the break (a job paused for it is resumed explicitly)." + SELF_ONLY,
)
async def break_end(
    technician_id: str, body: ClockStepOrEmpty, request: Request, principal: Principal = Depends(CLOCKER)
) -> TechnicianRead:
    """End a break."""
    return await _clock(request, principal, technician_id, body, floor.end_break)


@router.get("/technicians/{technician_id}/clockings")
async def technician_clockings(
    technician_id: str,
    since: Instant | None = Query(None, description="intervals ending after this"),
    principal: Principal = Depends(READER),
    uow: UnitOfWork = Depends(read_uow),
) -> ClockingsRead:
    """Shifts with breaks and job clockings: as recorded and as corrected, with every correction."""
    row = await get_technician(uow.session, technician_id, principal)
    return await clockings(uow, row, since)

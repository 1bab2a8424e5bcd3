"""Jobs: the dispatch queue, dispatch with candidates, the job clock and parts requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.api.deps import CLOCKER, READER, SUPERVISOR, read_session, write
from services.workshop.api.schemas import (
    CandidatesRead,
    JobDispatch,
    JobPause,
    JobRead,
    JobStep,
    PartsRequestCreate,
    PartsRequestRead,
    QueueEntry,
)
from services.workshop.domain.jobs import JobStatus
from services.workshop.usecases import work
from services.workshop.usecases.context import Actor
from services.workshop.usecases.reads import dispatch_queue, list_jobs, parts_requests, read_job
from shared.auth import Principal
from shared.clock import utcnow
from shared.http import Page, PageParams, optional_body, page_params
from shared.uow import UnitOfWork

JobStepOrEmpty = optional_body(JobStep)

router = APIRouter(tags=["jobs"])
B = TypeVar("B", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)

ONE_JOB = (
    " One technician is on one job at a time: clocking on (or resuming) while clocked on another job is **refused** "
    "with 409 naming that job (`allowed`: pause, clock-off, complete) — the first job is never stopped implicitly, so "
    "every clocked interval ends with its own event. A bay holds one job at a time (clocked on or paused there)."
)
SELF_ONLY = (
    " Technicians act only as themselves (token subject = technician id, or `X-Technician-Pin` at a shared terminal);"
    " foreman and manager may act for anyone (`technician_id`)."
)


async def _step(
    request: Request,
    principal: Principal,
    job_id: str,
    body: B,
    step: Callable[[UnitOfWork, Actor, str, B], Awaitable[R]],
    status_code: int = 200,
) -> R:
    async def action(uow: UnitOfWork, actor: Actor) -> R:
        return await step(uow, actor, job_id, body)

    return await write(request, principal, action, status_code)


@router.get("/sites/{site_id}/dispatch-queue")
async def queue(
    site_id: str,
    principal: Principal = Depends(READER),
    page: PageParams = Depends(page_params),
    session: AsyncSession = Depends(read_session),
) -> Page[QueueEntry]:
    """Approved jobs waiting for dispatch, longest waiting first, with how long each has waited."""
    principal.require_site(site_id)
    return await dispatch_queue(session, site_id, page, utcnow())


@router.get("/sites/{site_id}/jobs")
async def jobs(
    site_id: str,
    status: JobStatus | None = Query(None),
    repair_order_id: str | None = Query(None),
    technician_id: str | None = Query(None),
    principal: Principal = Depends(READER),
    page: PageParams = Depends(page_params),
    session: AsyncSession = Depends(read_session),
) -> Page[JobRead]:
    """The site's jobs, by status, repair order or technician."""
    principal.require_site(site_id)
    return await list_jobs(session, site_id, page, utcnow(), status, repair_order_id, technician_id)


@router.get("/jobs/{job_id}")
async def job(
    job_id: str, principal: Principal = Depends(READER), session: AsyncSession = Depends(read_session)
) -> JobRead:
    """One job: status, allowed steps, who is clocked on, clocked time, pause, parts."""
    return await read_job(session, job_id, principal, utcnow())


@router.get("/jobs/{job_id}/candidates")
async def job_candidates(
    job_id: str, principal: Principal = Depends(SUPERVISOR), session: AsyncSession = Depends(read_session)
) -> CandidatesRead:
    """Technicians and bays for the job ranked (依专长依人修护): eligible first, then skill match, idle before busy, least load."""
    return await work.candidates(session, principal, job_id)


@router.post(
    "/jobs/{job_id}/dispatch",
    description="Assign a queued job to a technician and a bay, or reassign a dispatched or "
    "paused one (JobDispatched, `reassigned` true). Refused (409 `/problems/dispatch-refused`, every reason in `reasons`) "
    "when the technician lacks the required skill or is not clocked in, or the bay is closed, out of service or of the "
    "wrong kind; a paused job moves only to a free bay. A job in progress is paused first.",
)
async def dispatch(
    job_id: str, body: JobDispatch, request: Request, principal: Principal = Depends(SUPERVISOR)
) -> JobRead:
    """Dispatch or reassign."""
    return await _step(request, principal, job_id, body, work.dispatch)


@router.post(
    "/jobs/{job_id}/clock-on",
    description="Start a clock on the job (JobClockedOn): the assigned technician on a "
    "dispatched job (first start or rework), or a helper joining a job in progress. A paused job is resumed instead."
    + ONE_JOB
    + SELF_ONLY,
)
async def clock_on(
    job_id: str, body: JobStepOrEmpty, request: Request, principal: Principal = Depends(CLOCKER)
) -> JobRead:
    """Clock on."""
    return await _step(request, principal, job_id, body, work.clock_on)


@router.post(
    "/jobs/{job_id}/pause",
    description="Pause with a reason (waiting_parts, waiting_approval, waiting_sublet, break, "
    "other): every clock on the job stops, one JobPaused per technician clocked on; the job keeps its bay." + SELF_ONLY,
)
async def pause(job_id: str, body: JobPause, request: Request, principal: Principal = Depends(CLOCKER)) -> JobRead:
    """Pause."""
    return await _step(request, principal, job_id, body, work.pause)


@router.post(
    "/jobs/{job_id}/resume",
    description="The assigned technician resumes a paused job in its bay (JobResumed)." + ONE_JOB + SELF_ONLY,
)
async def resume(
    job_id: str, body: JobStepOrEmpty, request: Request, principal: Principal = Depends(CLOCKER)
) -> JobRead:
    """Resume."""
    return await _step(request, principal, job_id, body, work.resume)


@router.post(
    "/jobs/{job_id}/clock-off",
    description="One technician leaves a job others carry on with (JobClockedOff); the "
    "last technician on a job pauses or completes it instead." + SELF_ONLY,
)
async def clock_off(
    job_id: str, body: JobStepOrEmpty, request: Request, principal: Principal = Depends(CLOCKER)
) -> JobRead:
    """Clock off."""
    return await _step(request, principal, job_id, body, work.clock_off)


@router.post(
    "/jobs/{job_id}/complete",
    description="Finish a job in progress: every clock on it stops; JobCompleted carries "
    "the job's sold hours. The RO then waits for QC." + SELF_ONLY,
)
async def complete(
    job_id: str, body: JobStepOrEmpty, request: Request, principal: Principal = Depends(CLOCKER)
) -> JobRead:
    """Complete."""
    return await _step(request, principal, job_id, body, work.complete)


@router.post("/jobs/{job_id}/parts-requests", status_code=201)
async def request_parts(
    job_id: str, body: PartsRequestCreate, request: Request, principal: Principal = Depends(CLOCKER)
) -> PartsRequestRead:
    """Ask the parts counter for parts (PartsRequested); when parts issues them in full the job shows it."""
    return await _step(request, principal, job_id, body, work.request_parts, 201)


@router.get("/jobs/{job_id}/parts-requests")
async def job_parts_requests(
    job_id: str, principal: Principal = Depends(READER), session: AsyncSession = Depends(read_session)
) -> list[PartsRequestRead]:
    """The job's parts requests and whether each was issued."""
    return await parts_requests(session, job_id, principal)

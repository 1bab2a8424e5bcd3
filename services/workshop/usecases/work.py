"""Dispatch and the job clock: clock on, pause, resume, clock off, complete; parts requests."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.adapters.store import (
    bay_holder,
    bay_view,
    bay_views,
    get_bay,
    get_job,
    get_technician,
    technician_now,
    technician_view,
    technicians_now,
    workload,
)
from services.workshop.adapters.tables import JobRow, PartsRequestRow
from services.workshop.adapters.views import job_read, parts_request_read
from services.workshop.api.schemas import (
    BayCandidateRead,
    CandidatesRead,
    JobDispatch,
    JobPause,
    JobRead,
    JobStep,
    PartsRequestCreate,
    PartsRequestRead,
    ReasonRead,
    TechnicianCandidateRead,
)
from services.workshop.domain.dispatch import dispatch_refusals, rank_bays, rank_technicians
from services.workshop.domain.errors import DispatchRefused, Refusal
from services.workshop.domain.jobs import OPEN_WORK, JobStatus, Step, allowed_steps, require_step
from services.workshop.usecases.clocks import (
    clock_off_one,
    open_intervals,
    pause_job,
    require_free_technician,
    require_usable_bay,
    start_interval,
    stop_interval,
    touch,
)
from services.workshop.usecases.context import Actor, acting_technician, check_after
from shared.auth import Principal
from shared.clock import new_id
from shared.contracts.workshop import (
    JobClockedOn,
    JobCompleted,
    JobDispatched,
    JobResumed,
    PartsRequested,
    RequestedPart,
)
from shared.errors import IllegalTransition
from shared.uow import UnitOfWork


def _not_on_job(job: JobRow, who: str) -> IllegalTransition:
    return IllegalTransition(
        f"technician {who!r} is not clocked on job {job.id!r}",
        state=job.status,
        allowed=allowed_steps(JobStatus(job.status)),
    )


async def dispatch(uow: UnitOfWork, actor: Actor, job_id: str, body: JobDispatch) -> JobRead:
    """Assign (or reassign) a job to a technician and a bay; refused with every reason when they cannot take it."""
    session = uow.session
    job = await get_job(session, job_id, actor.principal, lock=True)
    status = JobStatus(job.status)
    require_step(status, Step.DISPATCH, job.id)
    tech = await get_technician(session, body.technician_id, actor.principal, site_id=job.site_id, lock=True)
    bay = await get_bay(session, body.bay_id, actor.principal, site_id=job.site_id, lock=True)
    when = actor.when(body.occurred_at)
    check_after(when, job.last_change_at, "the job's last step")
    open_jobs = (
        await session.exec(
            select(JobRow).where(JobRow.site_id == job.site_id, col(JobRow.status).in_([s.value for s in OPEN_WORK]))
        )
    ).all()
    refusals = dispatch_refusals(
        job.required_skill, technician_view(await technician_now(session, tech)), bay_view(bay, open_jobs)
    )
    if status is JobStatus.PAUSED and bay.id != job.bay_id:
        holder = await bay_holder(session, bay.id)
        if holder is not None:
            refusals.append(Refusal("bay_occupied", f"bay {bay.name!r} holds job {holder.id!r}"))
    if refusals:
        raise DispatchRefused(refusals)
    if (job.technician_id, job.bay_id) == (tech.id, bay.id):
        return await job_read(session, job, actor.now())
    reassigned = status is not JobStatus.QUEUED
    job.technician_id, job.bay_id, job.dispatched_at = tech.id, bay.id, when
    if status is JobStatus.QUEUED:
        job.status = JobStatus.DISPATCHED.value
    touch(session, job, when)
    await uow.publish(
        JobDispatched(
            site_id=job.site_id,
            occurred_at=when,
            job_id=job.id,
            repair_order_id=job.repair_order_id,
            technician_id=tech.id,
            bay_id=bay.id,
            reassigned=reassigned,
        )
    )
    return await job_read(session, job, actor.now())


async def candidates(session: AsyncSession, principal: Principal, job_id: str) -> CandidatesRead:
    """Technicians and bays for a job, ranked: eligible first, by skill match and current load."""
    job = await get_job(session, job_id, principal)
    load = await workload(session, job.site_id)
    zero = (Decimal("0"), 0)
    techs = [technician_view(now, load.get(now.row.id, zero)) for now in await technicians_now(session, job.site_id)]
    ranked_techs = rank_technicians(job.required_skill, techs)
    ranked_bays = rank_bays(job.required_skill, await bay_views(session, job.site_id))
    return CandidatesRead(
        job_id=job.id,
        required_skill=job.required_skill,
        technicians=[
            TechnicianCandidateRead(
                rank=i,
                technician_id=c.technician.id,
                name=c.technician.name,
                level=c.technician.level,
                skills=sorted(c.technician.skills),
                state=c.technician.state.value,
                load_hours=c.technician.load_hours,
                open_jobs=c.technician.open_jobs,
                has_skill=c.has_skill,
                eligible=c.eligible,
                reasons=[ReasonRead(code=r.code, detail=r.detail) for r in c.refusals],
            )
            for i, c in enumerate(ranked_techs, 1)
        ],
        bays=[
            BayCandidateRead(
                rank=i,
                bay_id=c.bay.id,
                name=c.bay.name,
                kind=c.bay.kind,
                status=c.bay.status,
                free=c.free,
                eligible=c.eligible,
                reasons=[ReasonRead(code=r.code, detail=r.detail) for r in c.refusals],
            )
            for i, c in enumerate(ranked_bays, 1)
        ],
    )


async def clock_on(uow: UnitOfWork, actor: Actor, job_id: str, body: JobStep) -> JobRead:
    """Start a technician's clock on a job: the assigned technician on a dispatched job, or a helper joining one in progress.

    A technician already clocked on another job is refused (409, naming that job): one job at a time.
    """
    session = uow.session
    job = await get_job(session, job_id, actor.principal, lock=True)
    status = JobStatus(job.status)
    if status is JobStatus.PAUSED:
        raise IllegalTransition(
            f"job {job.id!r} is paused: resume it", state=status.value, allowed=allowed_steps(status)
        )
    require_step(status, Step.CLOCK_ON, job.id)
    tech = await acting_technician(session, actor, body.technician_id, site_id=job.site_id, default=job.technician_id)
    if status is JobStatus.DISPATCHED and tech.id != job.technician_id:
        raise IllegalTransition(
            f"job {job.id!r} is dispatched to {job.technician_id!r}; the foreman reassigns it first",
            state=status.value,
            allowed=allowed_steps(status),
            technician_id=job.technician_id,
        )
    when = actor.when(body.occurred_at)
    await require_free_technician(session, tech, when)
    check_after(when, job.last_change_at, "the job's last step")
    assert job.bay_id is not None
    if status is JobStatus.DISPATCHED:
        await require_usable_bay(session, job, await get_bay(session, job.bay_id, lock=True))
    start_interval(session, job, tech, when)
    job.status = JobStatus.IN_PROGRESS.value
    job.pause_reason, job.pause_note, job.paused_at = None, "", None
    touch(session, job, when)
    await uow.publish(
        JobClockedOn(
            site_id=job.site_id,
            occurred_at=when,
            job_id=job.id,
            repair_order_id=job.repair_order_id,
            technician_id=tech.id,
            bay_id=job.bay_id,
        )
    )
    return await job_read(session, job, actor.now())


async def pause(uow: UnitOfWork, actor: Actor, job_id: str, body: JobPause) -> JobRead:
    """Pause a job with a reason: every clock on it stops; it keeps its bay."""
    session = uow.session
    job = await get_job(session, job_id, actor.principal, lock=True)
    require_step(JobStatus(job.status), Step.PAUSE, job.id)
    running = await open_intervals(session, job.id)
    tech = await acting_technician(
        session,
        actor,
        body.technician_id,
        site_id=job.site_id,
        default=running[0].technician_id if running else job.technician_id,
    )
    if not actor.supervises and tech.id not in {i.technician_id for i in running}:
        raise _not_on_job(job, tech.id)
    when = actor.when(body.occurred_at)
    check_after(when, job.last_change_at, "the job's last step")
    await pause_job(uow, job, when, body.reason, body.note)
    return await job_read(session, job, actor.now())


async def resume(uow: UnitOfWork, actor: Actor, job_id: str, body: JobStep) -> JobRead:
    """The assigned technician resumes a paused job in its bay."""
    session = uow.session
    job = await get_job(session, job_id, actor.principal, lock=True)
    status = JobStatus(job.status)
    require_step(status, Step.RESUME, job.id)
    tech = await acting_technician(session, actor, body.technician_id, site_id=job.site_id, default=job.technician_id)
    if tech.id != job.technician_id:
        raise IllegalTransition(
            f"job {job.id!r} is assigned to {job.technician_id!r}; the foreman reassigns it first",
            state=status.value,
            allowed=allowed_steps(status),
            technician_id=job.technician_id,
        )
    when = actor.when(body.occurred_at)
    await require_free_technician(session, tech, when)
    check_after(when, job.last_change_at, "the job's last step")
    assert job.bay_id is not None
    await require_usable_bay(session, job, await get_bay(session, job.bay_id, lock=True))
    start_interval(session, job, tech, when)
    job.status = JobStatus.IN_PROGRESS.value
    job.pause_reason, job.pause_note, job.paused_at = None, "", None
    touch(session, job, when)
    await uow.publish(
        JobResumed(
            site_id=job.site_id,
            occurred_at=when,
            job_id=job.id,
            repair_order_id=job.repair_order_id,
            technician_id=tech.id,
            bay_id=job.bay_id,
        )
    )
    return await job_read(session, job, actor.now())


async def clock_off(uow: UnitOfWork, actor: Actor, job_id: str, body: JobStep) -> JobRead:
    """One technician leaves a job others carry on with; the last one pauses or completes it instead."""
    session = uow.session
    job = await get_job(session, job_id, actor.principal, lock=True)
    status = JobStatus(job.status)
    require_step(status, Step.CLOCK_OFF, job.id)
    tech = await acting_technician(session, actor, body.technician_id, site_id=job.site_id, default=job.technician_id)
    running = await open_intervals(session, job.id)
    mine = next((i for i in running if i.technician_id == tech.id), None)
    if mine is None:
        raise _not_on_job(job, tech.id)
    if len(running) == 1:
        raise IllegalTransition(
            f"technician {tech.id!r} is the last one on job {job.id!r}: pause or complete it",
            state=status.value,
            allowed=[Step.PAUSE.value, Step.COMPLETE.value],
        )
    when = actor.when(body.occurred_at)
    await clock_off_one(uow, job, mine, when, "clocked_off")
    return await job_read(session, job, actor.now())


async def complete(uow: UnitOfWork, actor: Actor, job_id: str, body: JobStep) -> JobRead:
    """Finish a job: every clock on it stops; its sold hours go with the event."""
    session = uow.session
    job = await get_job(session, job_id, actor.principal, lock=True)
    require_step(JobStatus(job.status), Step.COMPLETE, job.id)
    running = await open_intervals(session, job.id)
    tech = await acting_technician(session, actor, body.technician_id, site_id=job.site_id, default=job.technician_id)
    if not actor.supervises and tech.id not in {i.technician_id for i in running}:
        raise _not_on_job(job, tech.id)
    when = actor.when(body.occurred_at)
    check_after(when, job.last_change_at, "the job's last step")
    for interval in running:
        stop_interval(session, interval, when, "completed")
    job.status, job.completed_at = JobStatus.COMPLETED.value, when
    touch(session, job, when)
    assert job.bay_id is not None
    await uow.publish(
        JobCompleted(
            site_id=job.site_id,
            occurred_at=when,
            job_id=job.id,
            repair_order_id=job.repair_order_id,
            technician_id=tech.id,
            bay_id=job.bay_id,
            sold_hours=job.sold_hours,
        )
    )
    return await job_read(session, job, actor.now())


async def request_parts(uow: UnitOfWork, actor: Actor, job_id: str, body: PartsRequestCreate) -> PartsRequestRead:
    """Ask the parts counter for parts for a job (the parts service consumes the event)."""
    session = uow.session
    job = await get_job(session, job_id, actor.principal, lock=True)
    require_step(JobStatus(job.status), Step.REQUEST_PARTS, job.id)
    if actor.supervises and body.technician_id is None:
        requested_by = actor.name
    else:
        requested_by = (await acting_technician(session, actor, body.technician_id, site_id=job.site_id, lock=False)).id
    when = actor.when(body.occurred_at)
    row = PartsRequestRow(
        id=new_id(),
        site_id=job.site_id,
        job_id=job.id,
        repair_order_id=job.repair_order_id,
        requested_by=requested_by,
        lines=[line.model_dump(mode="json") for line in body.lines],
        requested_at=when,
    )
    session.add(row)
    await uow.publish(
        PartsRequested(
            site_id=job.site_id,
            occurred_at=when,
            request_id=row.id,
            job_id=job.id,
            repair_order_id=job.repair_order_id,
            requested_by=requested_by,
            lines=[RequestedPart(part_number=line.part_number, quantity=line.quantity) for line in body.lines],
        )
    )
    return parts_request_read(row)

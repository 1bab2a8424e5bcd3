"""Quality control per repair order: pass, or fail sending jobs back to rework."""

from __future__ import annotations

from sqlmodel import col, select

from services.workshop.adapters.store import get_technician, jobs_of_ro
from services.workshop.adapters.tables import QcResultRow
from services.workshop.adapters.views import qc_read
from services.workshop.api.schemas import QcCreate, QcRead
from services.workshop.domain.jobs import JobStatus
from services.workshop.usecases.clocks import touch
from services.workshop.usecases.context import Actor, check_after
from shared.clock import new_id
from shared.contracts.workshop import JobDispatched, QcFailed, QcPassed
from shared.errors import IllegalTransition, Invalid
from shared.problems import not_found
from shared.uow import UnitOfWork

_INSPECTABLE = {JobStatus.COMPLETED.value, JobStatus.WITHDRAWN.value}


async def record_qc(uow: UnitOfWork, actor: Actor, site_id: str, repair_order_id: str, body: QcCreate) -> QcRead:
    """Record a QC result once every job of the RO is completed; a fail puts the named jobs back for rework."""
    session = uow.session
    jobs = await jobs_of_ro(session, site_id, repair_order_id)
    if not jobs:
        raise not_found("repair order", repair_order_id)
    for job in jobs:
        await session.refresh(job, with_for_update=True)
    done = [j for j in jobs if j.status == JobStatus.COMPLETED.value]
    unfinished = [j.id for j in jobs if j.status not in _INSPECTABLE]
    if unfinished or not done:
        raise IllegalTransition(
            f"repair order {repair_order_id!r} has jobs not completed: {', '.join(unfinished) or 'none done'}",
            state="in_work",
            allowed=[],
            job_ids=unfinished,
        )
    last = (
        await session.exec(
            select(QcResultRow)
            .where(QcResultRow.repair_order_id == repair_order_id, QcResultRow.site_id == site_id)
            .order_by(col(QcResultRow.recorded_at).desc())
            .limit(1)
        )
    ).first()
    latest_completion = max(j.completed_at for j in done if j.completed_at)
    if last is not None and last.recorded_at >= latest_completion:
        state = "qc_passed" if last.passed else "qc_failed"
        raise IllegalTransition(
            f"repair order {repair_order_id!r} was already inspected ({state}) since its last job completed",
            state=state,
            allowed=[],
        )
    when = actor.when(body.occurred_at)
    check_after(when, latest_completion, "the last job completion")
    by_id = {j.id: j for j in jobs}
    unknown = [i for i in body.job_ids if i not in by_id]
    if unknown:
        raise not_found("job of this repair order", unknown[0])
    not_done = [i for i in body.job_ids if by_id[i].status != JobStatus.COMPLETED.value]
    if not_done:
        raise Invalid(f"only completed jobs go back to rework; not completed: {', '.join(not_done)}")
    rework_by = (
        await get_technician(session, body.technician_id, actor.principal, site_id=site_id)
        if body.technician_id
        else None
    )
    row = QcResultRow(
        id=new_id(),
        site_id=site_id,
        repair_order_id=repair_order_id,
        passed=body.result == "pass",
        inspector=actor.name,
        reason=body.reason,
        job_ids=list(dict.fromkeys(body.job_ids)),
        recorded_at=when,
    )
    session.add(row)
    if row.passed:
        await uow.publish(
            QcPassed(site_id=site_id, occurred_at=when, repair_order_id=repair_order_id, inspector=actor.name)
        )
        return qc_read(row)
    await uow.publish(
        QcFailed(
            site_id=site_id,
            occurred_at=when,
            repair_order_id=repair_order_id,
            inspector=actor.name,
            job_ids=row.job_ids,
            reason=body.reason,
        )
    )
    for job_id in row.job_ids:
        job = by_id[job_id]
        job.status, job.completed_at, job.rework_round = JobStatus.DISPATCHED.value, None, job.rework_round + 1
        job.pause_reason, job.pause_note, job.paused_at = None, "", None
        if rework_by is not None and rework_by.id != job.technician_id:
            job.technician_id = rework_by.id
            assert job.bay_id is not None
            await uow.publish(
                JobDispatched(
                    site_id=site_id,
                    occurred_at=when,
                    job_id=job.id,
                    repair_order_id=repair_order_id,
                    technician_id=rework_by.id,
                    bay_id=job.bay_id,
                    reassigned=True,
                )
            )
        touch(session, job, when)
    return qc_read(row)

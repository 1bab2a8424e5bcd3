"""QC results and clocking corrections."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.api.deps import INSPECTOR, READER, SUPERVISOR, read_session, read_uow, write
from services.workshop.api.schemas import AdjustmentCreate, AdjustmentRead, QcCreate, QcRead
from services.workshop.usecases import corrections, qc
from services.workshop.usecases.context import Actor
from services.workshop.usecases.reads import qc_results
from shared.auth import Principal
from shared.uow import UnitOfWork

router = APIRouter()


@router.post("/sites/{site_id}/repair-orders/{repair_order_id}/qc", status_code=201, tags=["qc"])
async def record_qc(
    site_id: str, repair_order_id: str, body: QcCreate, request: Request, principal: Principal = Depends(INSPECTOR)
) -> QcRead:
    """Final inspection once every job of the RO is completed: pass (QcPassed), or fail with a reason naming the jobs to rework
    (QcFailed); those jobs go back to their technician and bay (another technician: `technician_id`, JobDispatched)."""
    principal.require_site(site_id)

    async def action(uow: UnitOfWork, actor: Actor) -> QcRead:
        return await qc.record_qc(uow, actor, site_id, repair_order_id, body)

    return await write(request, principal, action, 201)


@router.get("/sites/{site_id}/repair-orders/{repair_order_id}/qc", tags=["qc"])
async def qc_history(
    site_id: str,
    repair_order_id: str,
    principal: Principal = Depends(READER),
    session: AsyncSession = Depends(read_session),
) -> list[QcRead]:
    """The RO's QC results, oldest first."""
    principal.require_site(site_id)
    return await qc_results(session, site_id, repair_order_id)


@router.post("/sites/{site_id}/clocking-adjustments", status_code=201, tags=["corrections"])
async def adjust(
    site_id: str, body: AdjustmentCreate, request: Request, principal: Principal = Depends(SUPERVISOR)
) -> AdjustmentRead:
    """Correct a wrong clocking (a shift or a job interval) with a reason: ClockingAdjusted replaces the interval for the
    figures, while the interval keeps its recorded times and the correction is listed. Giving a running interval an end stops it
    (a job left with nobody clocked on becomes paused, reason other). Times older than the backdate limit need a manager."""
    principal.require_site(site_id)

    async def action(uow: UnitOfWork, actor: Actor) -> AdjustmentRead:
        return await corrections.adjust(uow, actor, site_id, body)

    return await write(request, principal, action, 201)


@router.get("/sites/{site_id}/clocking-adjustments", tags=["corrections"])
async def adjustments(
    site_id: str,
    technician_id: str | None = Query(None),
    principal: Principal = Depends(READER),
    uow: UnitOfWork = Depends(read_uow),
) -> list[AdjustmentRead]:
    """The site's corrections, newest first."""
    principal.require_site(site_id)
    return await corrections.list_adjustments(uow, site_id, technician_id)

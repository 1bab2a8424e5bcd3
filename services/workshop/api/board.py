"""The job board and stale clocks."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.api.deps import READER, read_session
from services.workshop.api.schemas import BoardRead, StaleFlagRead
from services.workshop.usecases.reads import board, stale_flags
from shared.auth import Principal
from shared.clock import utcnow

router = APIRouter(tags=["board"])


@router.get("/sites/{site_id}/board")
async def job_board(
    site_id: str, principal: Principal = Depends(READER), session: AsyncSession = Depends(read_session)
) -> BoardRead:
    """What the wall shows: each bay with its job (RO, technician, clocked vs sold time, pause reason, parts), the dispatch
    queue with waits, every technician's state, and the stale clocks to fix."""
    principal.require_site(site_id)
    return await board(session, site_id, utcnow())


@router.get("/sites/{site_id}/stale-clocks")
async def stale_clocks(
    site_id: str,
    include_cleared: bool = Query(False),
    principal: Principal = Depends(READER),
    session: AsyncSession = Depends(read_session),
) -> list[StaleFlagRead]:
    """Stale clocks flagged at the site (standing ones, or all)."""
    principal.require_site(site_id)
    return await stale_flags(session, site_id, include_cleared)

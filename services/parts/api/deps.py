"""What every parts router needs: who may write, a read session, the actor of a write."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

from fastapi import Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.parts.adapters.tables import PartsRequest
from shared.auth import Principal, Role, requires
from shared.clock import Actor
from shared.http import event_time
from shared.problems import not_found
from shared.runtime import Runtime

WRITE = requires(Role.PARTS, Role.MANAGER)
READ = requires()


@contextlib.asynccontextmanager
async def reading(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for reads only."""
    runtime: Runtime = request.app.state.runtime
    async with AsyncSession(runtime.engine, expire_on_commit=False) as session:
        yield session


def actor(request: Request, principal: Principal, occurred_at: datetime | None) -> Actor:
    """The clerk and the time the device says it happened (checked against skew and backdating limits)."""
    return Actor(principal.subject, event_time(occurred_at, principal, request.app.state.settings))


async def visible_request(session: AsyncSession, principal: Principal, request_id: str) -> PartsRequest:
    """A request the token may see, or 404."""
    row = await session.get(PartsRequest, request_id)
    if row is None or not principal.may_see(row.site_id):
        raise not_found("parts request", request_id)
    return row

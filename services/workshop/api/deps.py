"""What every router shares: who acts, running a write in a unit of work, reading in a session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.settings import WorkshopSettings
from services.workshop.usecases.context import PIN_HEADER, Actor
from shared.auth import Principal, Role, requires
from shared.runtime import Runtime, open_uow
from shared.uow import UnitOfWork

T = TypeVar("T", bound=BaseModel)

READER = requires()
SUPERVISOR = requires(Role.FOREMAN, Role.MANAGER)
CLOCKER = requires(Role.TECHNICIAN, Role.FOREMAN, Role.MANAGER)
INSPECTOR = requires(Role.QC, Role.MANAGER)


def actor_of(request: Request, principal: Principal) -> Actor:
    """The acting token holder, with the terminal PIN if one was sent."""
    settings: WorkshopSettings = request.app.state.settings
    return Actor(principal, settings, request.headers.get(PIN_HEADER))


async def write(
    request: Request, principal: Principal, action: Callable[[UnitOfWork, Actor], Awaitable[T]], status_code: int = 200
) -> T:
    """Run a use case in a unit of work (honouring Idempotency-Key) and commit its answer with its events."""
    async with await open_uow(request, principal) as uow:
        result = await action(uow, actor_of(request, principal))
        await uow.commit(result, status_code)
    return result


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for reading, closed after the request."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        yield uow.session


async def read_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """A unit of work for reading (never committed)."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        yield uow

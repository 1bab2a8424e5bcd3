"""What every router uses: roles, sessions, event times and the site in the path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime

from fastapi import Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.db import Site
from services.reception.settings import ReceptionSettings
from services.reception.usecases import store
from services.reception.usecases.sites import schedule_of
from shared.auth import Principal, Role, requires
from shared.http import event_time
from shared.outbox import utcnow
from shared.runtime import Runtime
from shared.runtime import open_uow as open_shared_uow
from shared.uow import UnitOfWork

WRITE = requires(Role.ADVISOR, Role.MANAGER)
READ = requires()
CONFIGURE = requires(Role.MANAGER)


class _Turn:
    """A unit of work holding this process's turn to write to SQLite until it ends."""

    def __init__(self, uow: UnitOfWork, turn: asyncio.Lock) -> None:
        self._uow, self._turn = uow, turn

    async def __aenter__(self) -> UnitOfWork:
        return self._uow

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self._uow.__aexit__(*exc_info)
        finally:
            self._turn.release()


async def open_uow(request: Request, principal: Principal) -> UnitOfWork | _Turn:
    """shared.runtime.open_uow; on SQLite, the requests' write transactions take turns, first come first served.

    SQLite lets one transaction write at a time (BEGIN IMMEDIATE, at the unit of work's first statement); the others
    wait in its busy handler, which sleeps up to 100 ms between tries: with 16 requests opening ROs at once, some waited
    seconds while the lock stood free. Waiting here, in order, the next one starts as soon as the last one is done.
    """
    runtime: Runtime = request.app.state.runtime
    if runtime.engine.dialect.name != "sqlite":
        return await open_shared_uow(request, principal)
    turn: asyncio.Lock | None = getattr(request.app.state, "sqlite_write_turn", None)
    if turn is None:
        turn = request.app.state.sqlite_write_turn = asyncio.Lock()
    await turn.acquire()
    try:
        return _Turn(await open_shared_uow(request, principal), turn)
    except BaseException:
        turn.release()
        raise


def settings_of(request: Request) -> ReceptionSettings:
    """The service's settings."""
    settings: ReceptionSettings = request.app.state.settings
    return settings


def at_of(request: Request, principal: Principal, occurred_at: datetime | None) -> datetime:
    """When the action happened: the device's time if sane, else now."""
    return event_time(occurred_at, principal, settings_of(request))


@contextlib.asynccontextmanager
async def reading(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for reads."""
    runtime: Runtime = request.app.state.runtime
    async with AsyncSession(runtime.engine, expire_on_commit=False) as session:
        yield session


async def site_in_path(session: AsyncSession, principal: Principal, site_id: str, *, lock: bool = False) -> Site:
    """The site of the path: 403 when the token does not cover it, 404 when it does not exist."""
    principal.require_site(site_id)
    return await store.site(session, site_id, lock=lock)


def local_day(site: Site, day: date | None, at: datetime | None = None) -> date:
    """The day asked for, or the site's today."""
    return day or schedule_of(site).local_day(at or utcnow())

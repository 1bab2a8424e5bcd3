"""What every router uses: roles, sessions, event times and the site in the path."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime

from fastapi import Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters import store
from services.reception.adapters.tables import Site
from services.reception.settings import ReceptionSettings
from services.reception.usecases.sites import schedule_of
from shared.auth import Principal, Role, requires
from shared.clock import utcnow
from shared.http import event_time
from shared.runtime import Runtime

WRITE = requires(Role.ADVISOR, Role.MANAGER)
READ = requires()
CONFIGURE = requires(Role.MANAGER)


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

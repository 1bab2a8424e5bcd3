"""Who is acting, as whom, and when the step happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop.adapters.store import get_technician
from services.workshop.adapters.tables import TechnicianRow
from services.workshop.domain.clock import pin_matches, require_not_before
from services.workshop.settings import WorkshopSettings
from shared.auth import Principal, Role
from shared.clock import utcnow
from shared.errors import Forbidden, Invalid
from shared.http import event_time

PIN_HEADER = "X-Technician-Pin"


@dataclass(frozen=True)
class Actor:
    """The token holder making a request, and the PIN a shared bay terminal sent."""

    principal: Principal
    settings: WorkshopSettings
    pin: str | None = None

    @property
    def supervises(self) -> bool:
        """Foreman and manager may act for any technician."""
        return self.principal.has_any([Role.FOREMAN, Role.MANAGER])

    @property
    def name(self) -> str:
        """Who to record as having done it."""
        return self.principal.subject

    def when(self, occurred_at: datetime | None) -> datetime:
        """The event time of the step: the device's `occurred_at` within bounds, or now."""
        return event_time(occurred_at, self.principal, self.settings)

    def now(self) -> datetime:
        """The wall clock."""
        return utcnow()


async def acting_technician(
    session: AsyncSession,
    actor: Actor,
    technician_id: str | None,
    *,
    site_id: str | None = None,
    default: str | None = None,
    lock: bool = True,
) -> TechnicianRow:
    """The technician a step is done as: only oneself (token subject, or badge PIN at a terminal) unless foreman/manager."""
    ident = technician_id or (default if actor.supervises else None)
    if ident is None and Role.TECHNICIAN in actor.principal.roles:
        ident = actor.principal.subject
    if ident is None:
        raise Invalid("technician_id is required")
    tech = await get_technician(session, ident, actor.principal, site_id=site_id, lock=lock)
    if actor.supervises or actor.principal.subject == tech.id:
        return tech
    if actor.pin is not None and pin_matches(actor.pin, tech.pin_hash):
        return tech
    detail = (
        "the PIN does not match this technician"
        if actor.pin is not None
        else "technicians may only clock themselves (or send their PIN in X-Technician-Pin at a shared terminal)"
    )
    raise Forbidden(detail, type_="/problems/not-yourself")


def check_after(when: datetime, last: datetime | None, what: str) -> None:
    """Refuse a step dated before the last recorded step of the same thing."""
    require_not_before(when, last, what)

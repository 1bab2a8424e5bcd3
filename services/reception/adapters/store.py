"""Loading rows for a use case; whatever the token may not see is not found."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters.tables import Customer, JobLine, PartsMovement, RepairOrder, Site, Table, Vehicle
from shared.auth import Principal
from shared.errors import Invalid
from shared.problems import not_found

T = TypeVar("T", bound=Table)


async def _get(session: AsyncSession, model: type[T], ident: str, lock: bool) -> T | None:
    found = await session.get(model, ident, with_for_update=lock or None)
    if found is not None:
        # The identity map holds rows weakly: without this, a row read to check a request and dropped is read again when
        # the answer is built (two more statements while an RO open holds SQLite's write lock).
        session.info.setdefault("read_rows", []).append(found)
    return found


async def site(session: AsyncSession, site_id: str, *, lock: bool = False) -> Site:
    """A configured site (404 otherwise)."""
    found = await _get(session, Site, site_id, lock)
    if found is None:
        raise not_found("site", site_id)
    return found


async def of_site(
    session: AsyncSession, model: type[T], what: str, ident: str, site_id: str, *, lock: bool = False
) -> T:
    """A row of the site named in the path (404 when missing or of another site)."""
    found = await _get(session, model, ident, lock)
    if found is None or found.site_id != site_id:
        raise not_found(what, ident)
    return found


async def visible(
    session: AsyncSession, model: type[T], what: str, ident: str, principal: Principal, *, lock: bool = False
) -> T:
    """A row addressed without its site: 404 when missing or of a site the token does not cover."""
    found = await _get(session, model, ident, lock)
    if found is None or not principal.may_see(found.site_id):
        raise not_found(what, ident)
    return found


async def referenced(session: AsyncSession, model: type[T], field: str, ident: str, site_id: str) -> T:
    """A row a request body refers to: 422 naming the field when it is not at this site."""
    found = await _get(session, model, ident, False)
    if found is None or found.site_id != site_id:
        raise Invalid(f"{field}: {ident!r} does not exist at site {site_id!r}", field=field)
    return found


async def lines_of(session: AsyncSession, repair_order_id: str) -> list[JobLine]:
    """The RO's job lines in the order they were written."""
    result = await session.exec(
        select(JobLine).where(JobLine.repair_order_id == repair_order_id).order_by(JobLine.position)
    )
    return list(result.all())


async def movements_of(session: AsyncSession, repair_order_id: str) -> list[PartsMovement]:
    """Parts issued to and returned from the RO."""
    result = await session.exec(
        select(PartsMovement).where(PartsMovement.repair_order_id == repair_order_id).order_by(PartsMovement.id)
    )
    return list(result.all())


async def vehicle_and_customer(session: AsyncSession, ro: RepairOrder) -> tuple[Vehicle, Customer]:
    """The RO's vehicle and customer."""
    vehicle = await session.get(Vehicle, ro.vehicle_id)
    customer = await session.get(Customer, ro.customer_id)
    assert vehicle is not None and customer is not None
    return vehicle, customer


def changed(row: Any, values: dict[str, Any]) -> bool:
    """Set the given attributes; whether any value actually changed."""
    diff = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            diff = True
    return diff

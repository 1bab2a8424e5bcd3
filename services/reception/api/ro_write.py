"""The shape every RO write shares: visible RO locked, If-Match checked, one use case, the RO and its new ETag back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from fastapi import Request, Response

from services.reception.adapters import store, views
from services.reception.adapters.tables import RepairOrder, Site
from services.reception.api.deps import at_of
from services.reception.api.schemas.repair_orders import RepairOrderRead
from shared.auth import Principal
from shared.http import check_if_match
from shared.runtime import open_uow
from shared.uow import UnitOfWork

Act = Callable[[UnitOfWork, Site, RepairOrder, datetime], Awaitable[object]]


async def ro_write(
    request: Request,
    response: Response,
    principal: Principal,
    repair_order_id: str,
    occurred_at: datetime | None,
    act: Act,
    status: int = 200,
) -> RepairOrderRead:
    """Run `act` on the RO in one unit of work; another site's RO is 404, a stale If-Match 412."""
    at = at_of(request, principal, occurred_at)
    async with await open_uow(request, principal) as uow:
        ro = await store.visible(uow.session, RepairOrder, "repair order", repair_order_id, principal, lock=True)
        check_if_match(request, views.ro_etag(ro))
        site = await store.site(uow.session, ro.site_id)
        await act(uow, site, ro, at)
        result = await views.repair_order_read(uow.session, ro)
        await uow.commit(result, status)
    response.headers["ETag"] = views.ro_etag(ro)
    return result

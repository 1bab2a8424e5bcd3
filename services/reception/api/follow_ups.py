"""Follow-up contacts after delivery (回访): the due list, attempts and their results."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from services.reception.adapters import store
from services.reception.adapters.tables import FollowUpAttempt, RepairOrder
from services.reception.api.deps import READ, at_of, local_day, reading, settings_of, site_in_path
from services.reception.api.schemas.follow_ups import AttemptCreate, AttemptRead, AttemptResult, FollowUpRead
from services.reception.usecases import follow_ups
from shared.auth import Principal, Role, requires
from shared.http import Page, PageParams, page_params
from shared.problems import not_found
from shared.runtime import open_uow
from shared.types import Day

router = APIRouter(tags=["follow-ups and complaints"])
CONTACT = requires(Role.ADVISOR, Role.CUSTOMER_RELATIONS, Role.MANAGER)


@router.get("/sites/{site_id}/follow-ups")
async def due_follow_ups(
    site_id: str,
    request: Request,
    day: Day | None = Query(None, description="site-local day; today by default"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[FollowUpRead]:
    """Delivered ROs due for a follow-up on the day (the site's due days after delivery) or overdue, oldest first.

    Closed follow-ups (customer reached, or unreachable after the allowed attempts) and customers who declined
    contact are left out.
    """
    async with reading(request) as session:
        site = await site_in_path(session, principal, site_id)
        return await follow_ups.due_list(
            session, site, local_day(site, day), settings_of(request).follow_up_lookback_days, page
        )


@router.get("/repair-orders/{repair_order_id}/follow-up")
async def follow_up_of(repair_order_id: str, request: Request, principal: Principal = Depends(READ)) -> FollowUpRead:
    """A delivered RO's follow-up: due day, status and attempts."""
    async with reading(request) as session:
        ro = await store.visible(session, RepairOrder, "repair order", repair_order_id, principal)
        site = await store.site(session, ro.site_id)
        if ro.delivered_at is None:
            raise not_found("follow-up of repair order", repair_order_id)
        return await follow_ups.follow_up_read(session, site, ro, local_day(site, None))


@router.post("/repair-orders/{repair_order_id}/follow-up-attempts", status_code=201)
async def start_attempt(
    repair_order_id: str, body: AttemptCreate, request: Request, principal: Principal = Depends(CONTACT)
) -> AttemptRead:
    """Start a follow-up attempt (call, message or link) on a delivered RO; 409 if not delivered or one is still open."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        ro = await store.visible(uow.session, RepairOrder, "repair order", repair_order_id, principal, lock=True)
        attempt = await follow_ups.start_attempt(uow, ro, body, at, principal.subject)
        result = follow_ups.attempt_read(attempt)
        await uow.commit(result, 201)
    return result


@router.post("/follow-up-attempts/{attempt_id}/result")
async def record_result(
    attempt_id: str, body: AttemptResult, request: Request, principal: Principal = Depends(CONTACT)
) -> AttemptRead:
    """Record whether the customer was reached, with scores 1–5 and weak items; once per attempt (409 after)."""
    at = at_of(request, principal, body.occurred_at)
    async with await open_uow(request, principal) as uow:
        attempt = await store.visible(
            uow.session, FollowUpAttempt, "follow-up attempt", attempt_id, principal, lock=True
        )
        site = await store.site(uow.session, attempt.site_id)
        await follow_ups.record_result(
            uow, site, attempt, body, at, principal.subject, settings_of(request).follow_up_max_attempts
        )
        result = follow_ups.attempt_read(attempt)
        await uow.commit(result, 200)
    return result

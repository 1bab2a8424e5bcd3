"""The warranty clerk's REST (list, read, correct, submit, close claims) and the OEM's signed status webhook."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import SecretStr, ValidationError

from services.reception.adapters import store
from services.reception.adapters.tables import Site
from services.reception.api.deps import READ, at_of, reading, settings_of, site_in_path
from services.reception.warranty import claims, oem_status
from services.reception.warranty.oem import OemWebhook
from services.reception.warranty.profile import OemProfile
from services.reception.warranty.schemas import (
    ClaimClose,
    ClaimRead,
    ClaimSubmit,
    ClaimSummary,
    ClaimUpdate,
    WebhookAck,
)
from services.reception.warranty.tables import WarrantyClaim
from services.reception.warranty.views import claim_etag, claim_read, list_claims
from shared import webhooks
from shared.auth import Principal, Role, requires
from shared.contracts.warranty import ClaimStatus
from shared.errors import Conflict
from shared.http import Page, PageParams, check_if_match, optional_body, page_params
from shared.problems import ProblemError
from shared.runtime import Runtime, open_uow
from shared.uow import UnitOfWork

ClaimCloseOrEmpty = optional_body(ClaimClose)
ClaimSubmitOrEmpty = optional_body(ClaimSubmit)

router = APIRouter(tags=["warranty claims"])
CLERK = requires(Role.WARRANTY, Role.ADVISOR, Role.MANAGER)

Act = Callable[[UnitOfWork, Site, OemProfile, WarrantyClaim, datetime], Awaitable[None]]


async def _claim_write(
    request: Request, response: Response, principal: Principal, claim_id: str, occurred_at: datetime | None, act: Act
) -> ClaimRead:
    """Run `act` on the claim in one unit of work; another site's claim is 404, a stale If-Match 412."""
    at = at_of(request, principal, occurred_at)
    async with await open_uow(request, principal) as uow:
        claim = await store.visible(uow.session, WarrantyClaim, "warranty claim", claim_id, principal, lock=True)
        check_if_match(request, claim_etag(claim))
        site = await store.site(uow.session, claim.site_id)
        profile = settings_of(request).oem_profile(claim.site_id)
        await act(uow, site, profile, claim, at)
        result = await claim_read(uow.session, site, profile, claim)
        await uow.commit(result)
    response.headers["ETag"] = claim_etag(claim)
    return result


@router.get("/sites/{site_id}/warranty/claims")
async def list_site_claims(
    site_id: str,
    request: Request,
    status: list[ClaimStatus] = Query(default_factory=list, description="any of these statuses"),
    repair_order_id: str | None = Query(None, max_length=100),
    vin: str | None = Query(None, max_length=17),
    campaign: bool | None = Query(None, description="true: recall / campaign claims only; false: repairs only"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(READ),
) -> Page[ClaimSummary]:
    """The site's warranty claims, newest first, with how many problems each still has."""
    async with reading(request) as session:
        site = await site_in_path(session, principal, site_id)
        return await list_claims(
            session,
            site,
            settings_of(request).oem_profile(site_id),
            page,
            statuses=[s.value for s in status],
            repair_order_id=repair_order_id,
            vin=vin,
            campaign=campaign,
        )


@router.get("/warranty/claims/{claim_id}")
async def get_claim(
    claim_id: str, request: Request, response: Response, principal: Principal = Depends(READ)
) -> ClaimRead:
    """One claim: what the OEM gets, what is still missing, where its submission stands."""
    async with reading(request) as session:
        claim = await store.visible(session, WarrantyClaim, "warranty claim", claim_id, principal)
        site = await store.site(session, claim.site_id)
        result = await claim_read(session, site, settings_of(request).oem_profile(claim.site_id), claim)
    response.headers["ETag"] = claim_etag(claim)
    return result


@router.patch("/warranty/claims/{claim_id}")
async def correct_claim(
    claim_id: str, body: ClaimUpdate, request: Request, response: Response, principal: Principal = Depends(CLERK)
) -> ClaimRead:
    """Correct a draft, validated or returned claim (If-Match honoured): its fields, parts and sublet lines, the causal
    part or its waiver; the claimed amount is recomputed and the claim validated again at once."""
    changes = body.model_dump(exclude_unset=True, exclude={"occurred_at"})
    for required in (
        "mileage_out",
        "labour_op_code",
        "complaint",
        "cause",
        "correction",
        "condition_code",
        "defect_code",
        "parts",
        "sublet",
    ):
        if required in changes and changes[required] is None:
            hint = ": send [] to remove every line" if required in ("parts", "sublet") else ""
            raise ProblemError(
                422, "Invalid input", f"{required} cannot be cleared{hint}", type_="/problems/validation"
            )
    return await _claim_write(
        request,
        response,
        principal,
        claim_id,
        body.occurred_at,
        lambda uow, site, profile, claim, at: claims.correct(uow, site, profile, claim, changes, at),
    )


@router.post("/warranty/claims/{claim_id}/submit", status_code=202)
async def submit_claim(
    claim_id: str, body: ClaimSubmitOrEmpty, request: Request, response: Response, principal: Principal = Depends(CLERK)
) -> ClaimRead:
    """Validate and queue the claim for the OEM (422 listing every problem); it goes as soon as the OEM answers."""
    result = await _claim_write(request, response, principal, claim_id, body.occurred_at, claims.submit)
    request.app.state.warranty_worker.wake()
    return result


@router.post("/warranty/claims/{claim_id}/close")
async def close_claim(
    claim_id: str, body: ClaimCloseOrEmpty, request: Request, response: Response, principal: Principal = Depends(CLERK)
) -> ClaimRead:
    """Close a paid, debited or rejected claim, or abandon one the OEM never took in."""
    return await _claim_write(
        request,
        response,
        principal,
        claim_id,
        body.occurred_at,
        lambda uow, site, profile, claim, at: claims.close(uow, claim, body.reason, at),
    )


def _verified(request: Request, body: bytes) -> tuple[str, SecretStr]:
    """The webhook id and the secret it is signed with; 401 for a bad, stale or missing signature."""
    settings = settings_of(request)
    reason = "no webhook secret configured"
    for secret in settings.webhook_secrets():
        try:
            msg_id = webhooks.verify(
                secret.get_secret_value(),
                request.headers,
                body,
                tolerance_seconds=settings.oem_webhook_tolerance_seconds,
            )
        except webhooks.WebhookVerificationError as exc:
            reason = exc.reason
            continue
        return msg_id, secret
    raise ProblemError(401, "Invalid webhook signature", reason, type_="/problems/webhook-signature")


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its `$defs` written in place (the body is read raw, so FastAPI does not list its models)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.rsplit("/", 1)[1]])
            return {key: walk(value) for key, value in node.items()}
        return [walk(value) for value in node] if isinstance(node, list) else node

    result: dict[str, Any] = walk(schema)
    return result


@router.post(
    "/warranty/webhooks/oem",
    tags=["oem"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inlined(OemWebhook.model_json_schema())}},
        },
    },
)
async def oem_webhook(request: Request) -> WebhookAck:
    """The OEM's claim status (Standard Webhooks signature, no bearer token); each webhook id is applied once."""
    body = await request.body()
    msg_id, secret = _verified(request, body)
    try:
        message = OemWebhook.model_validate_json(body)
    except ValidationError as exc:
        raise ProblemError(
            422, "Invalid webhook", str(exc.errors(include_url=False))[:1000], type_="/problems/validation"
        ) from exc
    runtime: Runtime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        outcome = await oem_status.webhook(uow, settings_of(request), msg_id, message, secret)
        try:
            await uow.commit()
        except Conflict:
            outcome = "duplicate"  # the same message, applied by a concurrent delivery
    return WebhookAck(webhook_id=msg_id, outcome=outcome)

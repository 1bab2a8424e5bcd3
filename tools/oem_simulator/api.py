"""The simulated OEM's HTTP API (claims, recalls) and its admin API (faults, what was received, deliveries)."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import SecretStr

from shared.errors import NotFound
from shared.problems import ProblemError, not_found
from tools.oem_simulator.engine import Simulator
from tools.oem_simulator.rules import vin_problem
from tools.oem_simulator.schemas import (
    ClaimCreate,
    ClaimRead,
    ClaimReceipt,
    DebitCreate,
    DeliveryRead,
    FaultMode,
    FaultsRead,
    FaultsUpdate,
    Reason,
    RecallsRead,
    ReceivedRead,
)

router = APIRouter(tags=["oem"])
admin = APIRouter(prefix="/admin", tags=["admin"])


def simulator_of(request: Request) -> Simulator:
    """The app's simulator."""
    simulator: Simulator = request.app.state.simulator
    return simulator


def _bearer_is(request: Request, key: SecretStr) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), key.get_secret_value().encode())


def _unauthorized(what: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", f"a valid bearer {what} is required", headers={"WWW-Authenticate": "Bearer"})


def oem_call(kind: str) -> Callable[[Request], Awaitable[Simulator]]:
    """A dependency applying the injected fault, then checking the API key, recording refusals."""

    async def gate(request: Request) -> Simulator:
        simulator = simulator_of(request)
        claim_id = request.path_params.get("claim_id") or request.headers.get("idempotency-key")
        vin = request.query_params.get("vin")
        fault = simulator.take_fault()
        if fault.mode == FaultMode.ERROR_500:
            simulator.record(kind, claim_id, vin, "fault_error_500", 500)
            raise ProblemError(500, "Internal error", "simulated OEM failure", type_="/problems/simulated-fault")
        if fault.mode == FaultMode.TIMEOUT:
            simulator.record(kind, claim_id, vin, "fault_timeout", 504)
            await asyncio.sleep(fault.delay_seconds)
            raise ProblemError(504, "Gateway timeout", "simulated OEM timeout; nothing was processed",
                               type_="/problems/simulated-fault")
        if not _bearer_is(request, simulator.settings.api_key):
            simulator.record(kind, claim_id, vin, "unauthorized", 401)
            raise _unauthorized("API key")
        request.state.slow = fault.delay_seconds if fault.mode == FaultMode.SLOW else 0.0
        return simulator

    return gate


async def _answer_slowly(request: Request) -> None:
    # fault mode "slow": the work is done, only the answer is late
    if request.state.slow:
        await asyncio.sleep(request.state.slow)


@router.post("/claims", status_code=202, response_model=ClaimReceipt)
async def submit_claim(
    claim: ClaimCreate,
    request: Request,
    response: Response,
    simulator: Simulator = Depends(oem_call("claim_submission")),
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", description="the claim id"),
) -> ClaimReceipt:
    """Submit a warranty claim (or correct one returned for correction); a retry replays the first answer."""
    if not idempotency_key:
        simulator.record("claim_submission", claim.claim_id, claim.vin, "invalid", 400)
        raise ProblemError(400, "Idempotency-Key required", "send the claim id as the Idempotency-Key header",
                           type_="/problems/idempotency-key-required")
    if idempotency_key != claim.claim_id:
        simulator.record("claim_submission", claim.claim_id, claim.vin, "invalid", 422)
        reason = Reason(field="Idempotency-Key", code="idempotency_key_mismatch",
                        message=f"the Idempotency-Key {idempotency_key!r} is not the claim id {claim.claim_id!r}")
        raise ProblemError(422, "Claim invalid", reason.message, type_="/problems/claim-invalid", reasons=[reason.model_dump()])
    receipt, replayed = simulator.submit(claim)
    response.headers["Location"] = f"/claims/{claim.claim_id}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    await _answer_slowly(request)
    return receipt


@router.get("/claims/{claim_id}", response_model=ClaimRead)
async def read_claim(claim_id: str, request: Request, simulator: Simulator = Depends(oem_call("claim_status"))) -> ClaimRead:
    """Where a claim stands (the polling fallback to webhooks)."""
    try:
        found = simulator.read(claim_id)
    except NotFound:
        simulator.record("claim_status", claim_id, None, "not_found", 404)
        raise
    simulator.record("claim_status", claim_id, found.vin, "ok", 200)
    await _answer_slowly(request)
    return found


@router.get("/recalls", response_model=RecallsRead)
async def recalls(
    request: Request,
    vin: str = Query(min_length=1, max_length=40),
    simulator: Simulator = Depends(oem_call("recall_lookup")),
) -> RecallsRead:
    """Open recall and field campaigns for a VIN."""
    if (why := vin_problem(vin)) is not None:
        simulator.record("recall_lookup", None, vin, "invalid", 422)
        raise ProblemError(422, "Invalid VIN", why, type_="/problems/validation",
                           reasons=[Reason(field="vin", code="vin_invalid", message=why).model_dump()])
    simulator.record("recall_lookup", None, vin, "ok", 200)
    found = RecallsRead(vin=vin.upper(), campaigns=simulator.recalls.open_for(vin))
    await _answer_slowly(request)
    return found


async def admin_key(request: Request) -> Simulator:
    """Admits holders of the admin key."""
    simulator = simulator_of(request)
    if not _bearer_is(request, simulator.settings.admin_key):
        raise _unauthorized("admin key")
    return simulator


@admin.get("/faults", response_model=FaultsRead)
async def read_faults(simulator: Simulator = Depends(admin_key)) -> FaultsRead:
    """The fault currently injected."""
    return simulator.fault


@admin.post("/faults", response_model=FaultsRead)
async def set_faults(update: FaultsUpdate, simulator: Simulator = Depends(admin_key)) -> FaultsRead:
    """Make /claims and /recalls answer 500, hang (then 504) or answer late; `none` heals."""
    return simulator.set_fault(update)


@admin.get("/received", response_model=ReceivedRead)
async def received(simulator: Simulator = Depends(admin_key)) -> ReceivedRead:
    """Every request the OEM API received, with its outcome."""
    return simulator.received_report()


@admin.get("/deliveries", response_model=list[DeliveryRead])
async def deliveries(simulator: Simulator = Depends(admin_key)) -> list[DeliveryRead]:
    """Every webhook message queued, in order, and how its delivery went."""
    sent = simulator.sender.deliveries if simulator.sender is not None else []
    return [DeliveryRead.model_validate(d, from_attributes=True) for d in sent]


@admin.post("/deliveries/{msg_id}/redeliver", status_code=202, response_model=DeliveryRead)
async def redeliver(msg_id: str, simulator: Simulator = Depends(admin_key)) -> DeliveryRead:
    """Send a webhook message again with the same id and body (a duplicate, as a real OEM may send)."""
    if simulator.sender is None:
        raise ProblemError(409, "No webhook URL", "the simulator has no webhook URL configured",
                           type_="/problems/no-webhook-url")
    again = simulator.sender.redeliver(msg_id)
    if again is None:
        raise not_found("webhook message", msg_id)
    return DeliveryRead.model_validate(again, from_attributes=True)


@admin.post("/claims/{claim_id}/debit", response_model=ClaimRead)
async def debit(claim_id: str, body: DebitCreate, simulator: Simulator = Depends(admin_key)) -> ClaimRead:
    """Charge a paid claim back; the dealer gets a claim.debited webhook."""
    return simulator.debit(claim_id, body)

"""The OEM's warranty API over HTTP: submit a claim, read its status, look up recalls; and the claim document it takes."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from services.reception.warranty.domain.rules import ClaimContent, Sublet
from services.reception.warranty.profile import OemProfile
from shared.contracts.warranty import ClaimProblem

log = logging.getLogger("pitwall.reception.oem")

# Statuses a retry may cure: the OEM is down, overloaded or too slow. Any other 4xx is final.
_TRANSIENT = {408, 425, 429}


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OemReceipt(_Answer):
    """The OEM took a claim in (202; the same for a retried submission)."""

    claim_id: str
    oem_reference: str
    status: str
    submission: int
    received_at: AwareDatetime


class OemClaimStatus(_Answer):
    """Where a claim stands at the OEM (GET /claims/{id}, and the `data` of every status webhook)."""

    claim_id: str
    oem_reference: str
    status: str
    submission: int
    approved_amount: Decimal | None = None
    paid_amount: Decimal | None = None
    payment_reference: str | None = None
    debited_amount: Decimal | None = None
    reason_code: str | None = None
    reason: str | None = None
    updated_at: AwareDatetime


class OemWebhook(_Answer):
    """A status webhook: `{"type": "claim.<status>", "timestamp", "data"}`."""

    type: str
    timestamp: AwareDatetime
    data: OemClaimStatus


class OemCampaign(_Answer):
    """An open recall or field campaign for a VIN."""

    campaign_number: str
    title: str = ""
    op_code: str = ""
    sold_hours: Decimal | None = None


class _Recalls(_Answer):
    vin: str
    campaigns: list[OemCampaign]


@dataclass(frozen=True)
class TakenIn:
    receipt: OemReceipt


@dataclass(frozen=True)
class Refused:
    """A final 4xx: 422 with the OEM's reasons, or another refusal (credentials, conflict)."""

    status_code: int
    detail: str
    problems: list[ClaimProblem]


@dataclass(frozen=True)
class Unavailable:
    """A timeout, a network error or a 5xx: try again later."""

    error: str


SubmitResult = TakenIn | Refused | Unavailable


class OemUnavailable(Exception):
    """The OEM did not answer usefully."""


def claim_document(claim_id: str, currency: str, content: ClaimContent) -> dict[str, Any]:
    """The claim as the OEM's API takes it (amounts as strings, dates as ISO text)."""
    main, *more = content.labour
    amounts = content.amounts()
    hours: dict[str, Decimal] = {}
    for card in content.time_cards:
        hours[card.technician_id] = hours.get(card.technician_id, Decimal("0")) + card.hours
    document: dict[str, Any] = {
        "dealer_code": content.dealer_code,
        "claim_id": claim_id,
        "vin": content.vin,
        "ro_number": content.ro_number,
        "mileage_in": content.mileage_in,
        "mileage_out": content.mileage_out,
        "repair_opened_on": content.repair_opened_on.isoformat(),
        "repair_closed_on": content.repair_closed_on.isoformat(),
        "failure_date": content.failure_date.isoformat() if content.failure_date else None,
        "labour_op_code": main.op_code,
        "labour_description": main.description,
        "sold_hours": _num(main.sold_hours),
        "actual_hours": _num(main.actual_hours),
        "labour_rate": _num(content.labour_rate),
        "additional_labour": [
            {
                "op_code": op.op_code,
                "description": op.description,
                "sold_hours": _num(op.sold_hours),
                "actual_hours": _num(op.actual_hours),
            }
            for op in more
        ],
        "time_cards": [{"technician_id": t, "hours": _num(h)} for t, h in sorted(hours.items())],
        "causal_part_number": content.causal_part_number,
        "complaint": content.complaint,
        "cause": content.cause,
        "correction": content.correction,
        "condition_code": content.condition_code,
        "defect_code": content.defect_code,
        "parts": [
            {
                "part_number": p.part_number,
                "quantity": _num(p.quantity),
                "unit_price": _num(p.unit_price),
                "causal": p.part_number == content.causal_part_number,
            }
            for p in content.parts
        ],
        "sublet": [_sublet(s) for s in content.sublet],
        "campaign_number": content.campaign_number,
        "authorisation_number": content.authorisation_number,
        "amounts": {
            "labour": _num(amounts.labour),
            "parts": _num(amounts.parts),
            "sublet": _num(amounts.sublet),
            "total": _num(amounts.total),
            "currency": currency,
        },
    }
    # absent unless used, so the document of a claim without them stays the same (its hash guards resubmission)
    if content.causal_part_waived:
        document |= {"causal_part_waived": True, "causal_part_waiver_reason": content.causal_part_waiver_reason}
    return document


def _sublet(line: Sublet) -> dict[str, str]:
    found = {"description": line.description, "amount": _num(line.amount)}
    if line.invoice_ref is not None:
        found["invoice_ref"] = line.invoice_ref
    return found


def _num(value: Decimal) -> str:
    return format(value, "f")


def serialise(document: dict[str, Any]) -> tuple[str, str]:
    """The exact text sent (so a retry sends the same bytes) and its hash."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, hashlib.sha256(text.encode()).hexdigest()


def _problems(response: httpx.Response) -> tuple[str, list[ClaimProblem]]:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or f"HTTP {response.status_code}", []
    detail = (
        str(body.get("detail") or body.get("title") or f"HTTP {response.status_code}")
        if isinstance(body, dict)
        else str(body)
    )
    reasons = body.get("reasons", []) if isinstance(body, dict) else []
    found = []
    for reason in reasons if isinstance(reasons, list) else []:
        try:
            found.append(ClaimProblem.model_validate(reason))
        except ValidationError:
            continue
    return detail, found


class OemClient:
    """One pooled HTTP client for every site's OEM endpoint, with explicit timeouts."""

    def __init__(self, connect_timeout: float, read_timeout: float) -> None:
        self._timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        """Close the pooled connections."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    @staticmethod
    def _headers(profile: OemProfile) -> dict[str, str]:
        return {"Authorization": f"Bearer {profile.api_key.get_secret_value()}", "Accept": "application/json"}

    async def submit(self, profile: OemProfile, claim_id: str, payload: str) -> SubmitResult:
        """POST the claim with its id as Idempotency-Key; never raises for the OEM's faults."""
        headers = {**self._headers(profile), "Idempotency-Key": claim_id, "Content-Type": "application/json"}
        try:
            response = await self._http().post(
                f"{profile.base_url.rstrip('/')}/claims", content=payload.encode(), headers=headers
            )
        except httpx.TimeoutException as exc:
            return Unavailable(f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return Unavailable(f"{type(exc).__name__}: {exc}")
        if response.status_code >= 500 or response.status_code in _TRANSIENT:
            return Unavailable(f"HTTP {response.status_code}")
        if response.is_success:
            try:
                return TakenIn(OemReceipt.model_validate(response.json()))
            except (ValueError, ValidationError) as exc:
                return Unavailable(f"unreadable receipt: {exc}")
        detail, problems = _problems(response)
        return Refused(response.status_code, detail, problems)

    async def status(self, profile: OemProfile, claim_id: str) -> OemClaimStatus | None:
        """The claim's status at the OEM; None when the OEM does not know it; OemUnavailable otherwise."""
        try:
            response = await self._http().get(
                f"{profile.base_url.rstrip('/')}/claims/{claim_id}", headers=self._headers(profile)
            )
        except httpx.HTTPError as exc:
            raise OemUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise OemUnavailable(f"HTTP {response.status_code}")
        try:
            return OemClaimStatus.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise OemUnavailable(f"unreadable status: {exc}") from exc

    async def campaigns(self, profile: OemProfile, vin: str, timeout: float) -> list[OemCampaign]:
        """Open campaigns for a VIN, within `timeout` seconds; OemUnavailable otherwise."""
        try:
            response = await self._http().get(
                f"{profile.base_url.rstrip('/')}/recalls",
                params={"vin": vin},
                headers=self._headers(profile),
                timeout=httpx.Timeout(timeout),
            )
        except httpx.HTTPError as exc:
            raise OemUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise OemUnavailable(f"HTTP {response.status_code}")
        try:
            return _Recalls.model_validate(response.json()).campaigns
        except (ValueError, ValidationError) as exc:
            raise OemUnavailable(f"unreadable recalls: {exc}") from exc

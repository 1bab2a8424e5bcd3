"""The simulated OEM's state: claims, their scheduled decisions and payments, what was received, faults."""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from shared.problems import ProblemError, conflict, not_found
from shared.waiting import woken
from tools.oem_simulator.delivery import WebhookSender
from tools.oem_simulator.recalls import RecallBook
from tools.oem_simulator.rules import Policy, claim_problems, decide
from tools.oem_simulator.schemas import (
    ClaimCreate,
    ClaimRead,
    ClaimReceipt,
    ClaimStatus,
    DebitCreate,
    FaultMode,
    FaultsRead,
    FaultsUpdate,
    ReceivedRead,
    ReceivedRequest,
    StatusChange,
)
from tools.oem_simulator.settings import OemSimulatorSettings

# a claim submitted again with another body is taken in only in this state
RESUBMITTABLE = ClaimStatus.RETURNED_FOR_CORRECTION


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


@dataclass
class ClaimRecord:
    """A claim as the OEM holds it."""

    claim: ClaimCreate
    fingerprint: str
    receipt: ClaimReceipt
    status: ClaimStatus
    updated_at: datetime
    approved_amount: Decimal | None = None
    paid_amount: Decimal | None = None
    payment_reference: str | None = None
    debited_amount: Decimal | None = None
    reason_code: str | None = None
    reason: str | None = None
    history: list[StatusChange] = field(default_factory=list)

    def read(self) -> ClaimRead:
        """The claim's status document."""
        return ClaimRead(
            claim_id=self.claim.claim_id, oem_reference=self.receipt.oem_reference, dealer_code=self.claim.dealer_code,
            vin=self.claim.vin.upper(), status=self.status, submission=self.receipt.submission,
            currency=self.claim.amounts.currency, claimed_amount=self.claim.amounts.total,
            approved_amount=self.approved_amount, paid_amount=self.paid_amount, payment_reference=self.payment_reference,
            debited_amount=self.debited_amount, reason_code=self.reason_code, reason=self.reason,
            updated_at=self.updated_at, history=list(self.history),
        )


def fingerprint(claim: ClaimCreate) -> str:
    """Identifies a claim's content, whatever the JSON formatting."""
    return hashlib.sha256(claim.model_dump_json().encode()).hexdigest()


class Simulator:
    """Everything the fake OEM knows; jobs run in one asyncio task started by the app's lifespan."""

    def __init__(self, settings: OemSimulatorSettings, recalls: RecallBook, sender: WebhookSender | None) -> None:
        self.settings = settings
        self.recalls = recalls
        self.sender = sender
        self.policy = Policy(
            reject_op_codes=frozenset(settings.reject_op_codes), return_op_codes=frozenset(settings.return_op_codes),
            authorisation_required_above=settings.authorisation_required_above,
            warranty_max_mileage=settings.warranty_max_mileage, labour_rate_cap=settings.labour_rate_cap,
        )
        self.claims: dict[str, ClaimRecord] = {}
        self.received: list[ReceivedRequest] = []
        self.fault = FaultsRead(mode=FaultMode.NONE, delay_seconds=0.0, requests=None)
        self._references = 0
        self._payments = 0
        self._jobs: list[tuple[float, int, str, int, str]] = []
        self._job_seq = 0
        self._wake = asyncio.Event()

    # what was received

    def record(self, kind: str, claim_id: str | None, vin: str | None, outcome: str, status_code: int) -> None:
        """Note one request and its outcome."""
        self.received.append(ReceivedRequest(
            seq=len(self.received) + 1, kind=kind, claim_id=claim_id, vin=vin, outcome=outcome,
            status_code=status_code, at=utcnow(),
        ))

    def received_report(self) -> ReceivedRead:
        """Every request, and the submissions taken in per claim."""
        taken: dict[str, int] = {}
        for request in self.received:
            if request.kind == "claim_submission" and request.outcome in ("accepted", "resubmitted") and request.claim_id:
                taken[request.claim_id] = taken.get(request.claim_id, 0) + 1
        return ReceivedRead(requests=list(self.received), accepted_submissions=taken)

    # faults

    def set_fault(self, update: FaultsUpdate) -> FaultsRead:
        """Misbehave from now on (for `requests` requests, if given)."""
        self.fault = FaultsRead(mode=update.mode, delay_seconds=update.delay_seconds, requests=update.requests)
        return self.fault

    def take_fault(self) -> FaultsRead:
        """The fault for the request arriving now (counting it down)."""
        current = self.fault
        if current.mode != FaultMode.NONE and current.requests is not None:
            left = current.requests - 1
            self.fault = FaultsRead(mode=FaultMode.NONE, delay_seconds=0.0, requests=None) if left == 0 else (
                current.model_copy(update={"requests": left})
            )
        return current

    # claims

    def submit(self, claim: ClaimCreate) -> tuple[ClaimReceipt, bool]:
        """Take a claim in (or replay the answer to a retry); returns the receipt and whether it is a replay."""
        kind, vin = "claim_submission", claim.vin
        existing = self.claims.get(claim.claim_id)
        digest = fingerprint(claim)
        if existing is not None and existing.fingerprint == digest:
            self.record(kind, claim.claim_id, vin, "replayed", 202)
            return existing.receipt, True
        if existing is not None and existing.status != RESUBMITTABLE:
            self.record(kind, claim.claim_id, vin, "conflict", 409)
            raise conflict(
                f"claim {claim.claim_id!r} was already submitted with other content; it can be corrected only when "
                f"returned for correction", state=existing.status.value, allowed=[RESUBMITTABLE.value],
            )
        open_campaigns = [c.campaign_number for c in self.recalls.open_for(claim.vin)]
        problems = claim_problems(claim, utcnow().date(), self.settings.submission_deadline_days, open_campaigns,
                                  waiver_allowed=self.settings.causal_part_waiver_allowed)
        if problems:
            self.record(kind, claim.claim_id, vin, "invalid", 422)
            raise ProblemError(
                422, "Claim invalid", "; ".join(p.message for p in problems), type_="/problems/claim-invalid",
                reasons=[p.model_dump() for p in problems],
            )
        now = utcnow()
        if existing is None:
            self._references += 1
            reference, submission = f"OEM-{self._references:06d}", 1
        else:
            reference, submission = existing.receipt.oem_reference, existing.receipt.submission + 1
        receipt = ClaimReceipt(claim_id=claim.claim_id, oem_reference=reference, status=ClaimStatus.RECEIVED,
                               submission=submission, received_at=now)
        history = [*(existing.history if existing else []), StatusChange(status=ClaimStatus.RECEIVED, at=now, submission=submission)]
        record = ClaimRecord(claim=claim, fingerprint=digest, receipt=receipt, status=ClaimStatus.RECEIVED, updated_at=now,
                             history=history)
        self.claims[claim.claim_id] = record
        self.record(kind, claim.claim_id, vin, "accepted" if existing is None else "resubmitted", 202)
        self._schedule(self.settings.decision_delay_seconds, claim.claim_id, submission, "decide")
        return receipt, False

    def read(self, claim_id: str) -> ClaimRead:
        """A claim's status, or 404."""
        record = self.claims.get(claim_id)
        if record is None:
            raise not_found("claim", claim_id)
        return record.read()

    def debit(self, claim_id: str, debit: DebitCreate) -> ClaimRead:
        """Charge a paid claim back (an audit finding)."""
        record = self.claims.get(claim_id)
        if record is None:
            raise not_found("claim", claim_id)
        if record.status != ClaimStatus.PAID:
            raise conflict(f"only a paid claim can be debited; claim {claim_id!r} is {record.status.value}",
                           state=record.status.value, allowed=[ClaimStatus.PAID.value])
        record.debited_amount = debit.amount
        record.reason_code, record.reason = "chargeback", debit.reason
        self._move(record, ClaimStatus.DEBITED)
        return record.read()

    def _move(self, record: ClaimRecord, status: ClaimStatus) -> None:
        now = utcnow()
        record.status, record.updated_at = status, now
        record.history.append(StatusChange(status=status, at=now, submission=record.receipt.submission))
        if self.sender is not None:
            data = record.read().model_dump(mode="json", exclude={"history"})
            self.sender.enqueue(
                f"msg_{record.receipt.oem_reference}_{record.receipt.submission}_{status.value}", f"claim.{status.value}",
                record.claim.claim_id, {"type": f"claim.{status.value}", "timestamp": data["updated_at"], "data": data},
            )

    # scheduled decisions and payments

    def _schedule(self, delay: float, claim_id: str, submission: int, action: str) -> None:
        self._job_seq += 1
        heapq.heappush(self._jobs, (time.monotonic() + delay, self._job_seq, claim_id, submission, action))
        self._wake.set()

    def _run_job(self, claim_id: str, submission: int, action: str) -> None:
        record = self.claims.get(claim_id)
        if record is None or record.receipt.submission != submission:
            return  # resubmitted since: the newer submission has its own jobs
        if action == "decide" and record.status == ClaimStatus.RECEIVED:
            decision = decide(record.claim, self.policy)
            record.approved_amount, record.reason_code, record.reason = (
                decision.approved_amount, decision.reason_code, decision.reason,
            )
            if decision.status == ClaimStatus.ACCEPTED and record.claim.campaign_number:
                self.recalls.close(record.claim.vin, record.claim.campaign_number)
            self._move(record, decision.status)
            if decision.status == ClaimStatus.ACCEPTED:
                self._schedule(self.settings.payment_delay_seconds, claim_id, submission, "pay")
        elif action == "pay" and record.status == ClaimStatus.ACCEPTED:
            self._payments += 1
            record.paid_amount = record.approved_amount
            record.payment_reference = f"PAY-{self._payments:06d}"
            self._move(record, ClaimStatus.PAID)

    async def run_jobs(self) -> None:
        """Decide and pay claims when they are due (cancelled at shutdown)."""
        while True:
            self._wake.clear()
            now = time.monotonic()
            while self._jobs and self._jobs[0][0] <= now:
                _, _, claim_id, submission, action = heapq.heappop(self._jobs)
                self._run_job(claim_id, submission, action)
            wait = self._jobs[0][0] - now if self._jobs else None
            await woken(self._wake, wait)

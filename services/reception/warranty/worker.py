"""The submission queue's loop: sends due claims to the OEM, retries with backoff, polls statuses as a fallback.

No database transaction is open while the OEM is called: a row is leased (its due time moved past the call's
timeout) and committed first, so a crash or a second worker retries it later — safe, the OEM dedupes by claim id.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.settings import ReceptionSettings
from services.reception.warranty import oem_status
from services.reception.warranty.domain.lifecycle import AT_OEM
from services.reception.warranty.oem import OemClient, OemUnavailable, Refused, TakenIn, Unavailable
from services.reception.warranty.tables import WarrantyClaim, WarrantySubmission
from shared.clock import utcnow
from shared.runtime import Runtime
from shared.waiting import woken

log = logging.getLogger("pitwall.reception.warranty")


@dataclass(frozen=True)
class _Due:
    id: int
    claim_id: str
    site_id: str
    payload: str
    attempts: int


class SubmissionWorker:
    """Runs in the background of the reception service (Runtime loops); `wake()` after a commit that queued a claim."""

    def __init__(self, settings: ReceptionSettings, client: OemClient) -> None:
        self._settings = settings
        self._client = client
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the queue now."""
        self._wake.set()

    async def run(self, runtime: Runtime) -> None:
        """Work until cancelled; an error is logged and the loop goes on."""
        try:
            while True:
                self._wake.clear()
                try:
                    busy = await self.tick(runtime)
                except Exception:  # noqa: BLE001 - the queue is durable: log and try again on the next tick
                    log.exception("warranty queue tick failed")
                    busy = False
                if not busy:
                    await woken(self._wake, self._settings.warranty_queue_poll_seconds)
        finally:
            await self._client.aclose()

    async def tick(self, runtime: Runtime) -> bool:
        """Send what is due, then poll stale statuses; whether a full batch was sent (more may be due)."""
        due = await self._lease(runtime)
        await asyncio.gather(*(self._send(runtime, item) for item in due))
        await self._poll(runtime)
        return len(due) >= self._settings.warranty_batch_size

    async def _lease(self, runtime: Runtime) -> list[_Due]:
        now = utcnow()
        lease = timedelta(seconds=self._settings.oem_connect_timeout_seconds + self._settings.oem_timeout_seconds + 5)
        async with AsyncSession(runtime.engine, expire_on_commit=False) as session:
            rows = (
                await session.exec(
                    select(WarrantySubmission)
                    .where(col(WarrantySubmission.finished_at).is_(None), WarrantySubmission.due_at <= now)
                    .order_by(col(WarrantySubmission.due_at), col(WarrantySubmission.id))
                    .limit(self._settings.warranty_batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                row.attempts += 1
                row.due_at = now + lease
            due = [_Due(r.id, r.claim_id, r.site_id, r.payload, r.attempts) for r in rows if r.id is not None]
            await session.commit()
        return due

    def _backoff(self, attempts: int) -> timedelta:
        seconds = self._settings.warranty_retry_base_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self._settings.warranty_retry_max_seconds))

    async def _send(self, runtime: Runtime, item: _Due) -> None:
        profile = self._settings.oem_profile(item.site_id)
        if profile.connected:
            result = await self._client.submit(profile, item.claim_id, item.payload)
        else:
            result = Unavailable(f"site {item.site_id!r} has no OEM endpoint configured")
        async with runtime.unit_of_work() as uow:
            row = await uow.session.get(WarrantySubmission, item.id, with_for_update=True)
            claim = await uow.session.get(WarrantyClaim, item.claim_id, with_for_update=True)
            if row is None or claim is None:
                return
            if isinstance(result, TakenIn):
                await oem_status.taken_in(uow, claim, row, result.receipt)
            elif isinstance(result, Refused):
                log.warning("claim %s refused by the OEM: HTTP %s %s", claim.id, result.status_code, result.detail)
                await oem_status.refused(uow, claim, row, result)
            elif row.finished_at is None:
                row.last_error = result.error
                row.due_at = utcnow() + self._backoff(item.attempts)
                log.info(
                    "claim %s not submitted (%s); attempt %d, retry at %s",
                    claim.id,
                    result.error,
                    item.attempts,
                    row.due_at.isoformat(),
                )
            await uow.commit()

    async def _poll(self, runtime: Runtime) -> None:
        """Ask the OEM about claims it holds that no webhook has moved for a while (a missed webhook)."""
        stale = utcnow() - timedelta(seconds=self._settings.warranty_status_poll_after_seconds)
        async with AsyncSession(runtime.engine, expire_on_commit=False) as session:
            claims = (
                await session.exec(
                    select(WarrantyClaim.id, WarrantyClaim.site_id)
                    .where(
                        col(WarrantyClaim.status).in_([s.value for s in AT_OEM]),
                        col(WarrantyClaim.pending_submission_id).is_(None),
                        or_(
                            col(WarrantyClaim.status_checked_at).is_(None), col(WarrantyClaim.status_checked_at) < stale
                        ),
                    )
                    .order_by(col(WarrantyClaim.status_checked_at))
                    .limit(self._settings.warranty_batch_size)
                )
            ).all()
        for claim_id, site_id in claims:
            profile = self._settings.oem_profile(site_id)
            if not profile.connected:
                continue
            try:
                report = await self._client.status(profile, claim_id)
            except OemUnavailable as exc:
                log.info("status of claim %s not polled: %s", claim_id, exc)
                return  # the OEM is down: the next tick tries again
            async with runtime.unit_of_work() as uow:
                claim = await uow.session.get(WarrantyClaim, claim_id, with_for_update=True)
                if claim is None:
                    continue
                if report is None:
                    log.warning("the OEM does not know claim %s", claim_id)
                    claim.status_checked_at = utcnow()
                else:
                    await oem_status.apply_report(uow, claim, report)
                await uow.commit()

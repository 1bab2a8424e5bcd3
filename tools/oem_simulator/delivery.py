"""Signed webhook delivery to the dealer, retried with backoff, in order per claim."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from shared import webhooks
from shared.waiting import woken

log = logging.getLogger("pitwall.oem_simulator.webhooks")


@dataclass
class Delivery:
    """One message to deliver (a redelivery is a new Delivery with the same id and body)."""

    msg_id: str
    type: str
    claim_id: str
    body: bytes
    state: str = "pending"  # pending | delivered | failed
    attempts: int = 0
    due: float = field(default_factory=time.monotonic)
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


class WebhookSender:
    """Posts messages to one URL; a claim's next message waits until its previous one is delivered or given up."""

    def __init__(self, url: str, secret: str, *, timeout: float, max_attempts: int, backoff: float, backoff_max: float) -> None:
        self._url = url
        self._secret = secret
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._backoff_max = backoff_max
        self.deliveries: list[Delivery] = []
        self._wake = asyncio.Event()

    def enqueue(self, msg_id: str, type_: str, claim_id: str, payload: dict[str, Any]) -> Delivery:
        """Queue a message for delivery."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return self._add(Delivery(msg_id=msg_id, type=type_, claim_id=claim_id, body=body))

    def redeliver(self, msg_id: str) -> Delivery | None:
        """Send an already queued message once more, with the same id and body; None if unknown."""
        original = next((d for d in self.deliveries if d.msg_id == msg_id), None)
        if original is None:
            return None
        return self._add(Delivery(msg_id=msg_id, type=original.type, claim_id=original.claim_id, body=original.body))

    def _add(self, delivery: Delivery) -> Delivery:
        self.deliveries.append(delivery)
        self._wake.set()
        return delivery

    def _heads(self) -> list[Delivery]:
        heads: dict[str, Delivery] = {}
        for delivery in self.deliveries:
            if delivery.state == "pending":
                heads.setdefault(delivery.claim_id, delivery)
        return list(heads.values())

    async def run(self) -> None:
        """Deliver forever (cancelled at shutdown)."""
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            while True:
                self._wake.clear()
                now = time.monotonic()
                heads = self._heads()
                ready = [d for d in heads if d.due <= now]
                if ready:
                    await self._attempt(client, min(ready, key=lambda d: d.due))
                    continue
                wait = min((d.due - now for d in heads), default=None)
                await woken(self._wake, wait)

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        signed = webhooks.headers(self._secret, delivery.msg_id, delivery.body)
        delivery.attempts += 1
        try:
            response = await client.post(self._url, content=delivery.body, headers={**signed, "content-type": "application/json"})
            delivery.last_status_code = response.status_code
            delivery.last_error = None if response.is_success else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            delivery.last_status_code = None
            delivery.last_error = f"{type(exc).__name__}: {exc}"
        if delivery.last_error is None:
            delivery.state = "delivered"
            delivery.delivered_at = datetime.now(UTC)
            return
        if delivery.attempts >= self._max_attempts:
            delivery.state = "failed"
            log.warning("webhook %s given up after %d attempts: %s", delivery.msg_id, delivery.attempts, delivery.last_error)
            return
        pause = min(self._backoff * 2 ** (delivery.attempts - 1), self._backoff_max)
        delivery.due = time.monotonic() + pause
        log.info("webhook %s failed (%s); retry in %.2fs", delivery.msg_id, delivery.last_error, pause)

"""A dealer-side webhook receiver on a real uvicorn server, and claims to submit."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response

from shared import webhooks
from tests.kit import eventually, running
from tools.oem_simulator.app import create_app
from tools.oem_simulator.settings import OemSimulatorSettings

SECRET = "whsec_dGVzdC1kZWFsZXItd2ViaG9vay1zZWNyZXQ="
API_KEY = "test-oem-api-key"
ADMIN_KEY = "test-oem-admin-key"
OEM = {"Authorization": f"Bearer {API_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
VIN = "WVWZZZ1KZ8W000123"  # has open campaigns in the sample recalls file
PLAIN_VIN = "VF1RFB00X61234567"  # has none


@dataclass
class Receiver:
    """The dealer's webhook endpoint: verifies every request and keeps what it got."""

    secret: str
    url: str = ""
    verified: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (webhook id, payload)
    requests: list[dict[str, str]] = field(default_factory=list)  # the headers of every request
    refused: list[str] = field(default_factory=list)
    fail_next: int = 0  # answer 503 to this many requests first

    def types(self) -> list[str]:
        """Types of the verified messages, in arrival order."""
        return [payload["type"] for _, payload in self.verified]

    def of(self, claim_id: str) -> list[dict[str, Any]]:
        """Verified payloads of one claim."""
        return [payload for _, payload in self.verified if payload["data"]["claim_id"] == claim_id]

    def app(self) -> FastAPI:
        """The receiving app."""
        app = FastAPI()

        @app.post("/webhooks/oem")
        async def receive(request: Request) -> Response:
            body = await request.body()
            self.requests.append(dict(request.headers))
            if self.fail_next > 0:
                self.fail_next -= 1
                return Response(status_code=503)
            try:
                msg_id = webhooks.verify(self.secret, request.headers, body)
            except webhooks.WebhookVerificationError as exc:
                self.refused.append(exc.reason)
                return Response(status_code=401)
            self.verified.append((msg_id, json.loads(body)))
            return Response(status_code=204)

        return app


@contextlib.asynccontextmanager
async def receiver_server(secret: str = SECRET) -> AsyncIterator[Receiver]:
    """A Receiver served over real HTTP on a free port of 127.0.0.1."""
    receiver = Receiver(secret)
    server = uvicorn.Server(uvicorn.Config(receiver.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or task.done(), timeout=10)
        assert server.started, "the webhook receiver did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        receiver.url = f"http://127.0.0.1:{port}/webhooks/oem"
        yield receiver
    finally:
        server.should_exit = True
        await task


def settings(webhook_url: str = "", **overrides: Any) -> OemSimulatorSettings:
    """Test settings: no delays, fast retries."""
    values: dict[str, Any] = {
        "api_key": API_KEY, "admin_key": ADMIN_KEY, "webhook_url": webhook_url, "webhook_secret": SECRET,
        "decision_delay_seconds": 0, "payment_delay_seconds": 0, "webhook_backoff_seconds": 0.02,
        "webhook_backoff_max_seconds": 0.1, "webhook_timeout_seconds": 2,
    }
    return OemSimulatorSettings(**{**values, **overrides})


@contextlib.asynccontextmanager
async def simulator(webhook_url: str = "", **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator running in-process."""
    async with running(create_app(settings(webhook_url, **overrides))) as client:
        yield client


def claim(claim_id: str = "C-1", **overrides: Any) -> dict[str, Any]:
    """A valid warranty claim for a repair that closed yesterday."""
    today = date.today()
    body: dict[str, Any] = {
        "dealer_code": "D-4711",
        "claim_id": claim_id,
        "vin": VIN,
        "ro_number": "RO-1001",
        "mileage_in": 42_000,
        "mileage_out": 42_003,
        "repair_opened_on": str(today - timedelta(days=2)),
        "repair_closed_on": str(today - timedelta(days=1)),
        "failure_date": str(today - timedelta(days=3)),
        "labour_op_code": "10-21-00",
        "labour_description": "Replace water pump",
        "sold_hours": "1.5",
        "actual_hours": "1.8",
        "labour_rate": "100.00",
        "time_cards": [{"technician_id": "T-7", "hours": "1.8"}],
        "causal_part_number": "06H121026",
        "complaint": "Coolant leak under the engine",
        "cause": "Water pump seal worn",
        "correction": "Replaced water pump and coolant",
        "condition_code": "C12",
        "defect_code": "D45",
        "parts": [
            {"part_number": "06H121026", "description": "Water pump", "quantity": "1", "unit_price": "180.00", "causal": True},
            {"part_number": "G13", "description": "Coolant", "quantity": "2", "unit_price": "12.50"},
        ],
        "sublet": [],
        "campaign_number": None,
        "authorisation_number": None,
        "amounts": {"labour": "150.00", "parts": "205.00", "sublet": "0.00", "total": "355.00", "currency": "EUR"},
    }
    return {**body, **overrides}


async def submit(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    """POST /claims as a dealer would."""
    return await client.post("/claims", json=body, headers={**OEM, "Idempotency-Key": body["claim_id"]})


async def received(client: httpx.AsyncClient) -> dict[str, Any]:
    """What the simulator received."""
    response = await client.get("/admin/received", headers=ADMIN)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result

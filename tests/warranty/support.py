"""The reception service and the OEM simulator as real uvicorn servers calling each other, and a warranty RO to claim."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI

from services.reception.adapters.tables import infra
from services.reception.app import create_app as reception_app
from services.reception.handlers import HANDLERS
from services.reception.settings import ReceptionSettings
from shared import webhooks
from shared.contracts import parts as pc
from shared.contracts import workshop as wc
from shared.db import create_engine
from shared.kafka_admin import ensure_topics
from shared.migrations import upgrade_to_head
from tests.kit import auth, eventually, publish
from tests.reception.helpers import Desk, approve_all, iso, line, new_vin, state_is
from tools.oem_simulator.app import create_app as simulator_app
from tools.oem_simulator.settings import OemSimulatorSettings

SECRET = "whsec_dGVzdC13YXJyYW50eS13ZWJob29rLXNlY3JldA=="
API_KEY = "test-oem-api-key"
ADMIN_KEY = "test-oem-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
OEM_PATH = "/warranty/webhooks/oem"
TOPICS = sorted({event.topic for event in HANDLERS})


def bound_socket(port: int = 0) -> socket.socket:
    """A listening-ready TCP socket on 127.0.0.1 (port 0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextlib.asynccontextmanager
async def served(app: FastAPI, sock: socket.socket) -> AsyncIterator[None]:
    """Serve the app over real HTTP on the socket (its lifespan runs) until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: server.started or task.done(), timeout=60)
        assert server.started, "the server did not start"
        yield
    finally:
        server.should_exit = True
        await task


def simulator_settings(webhook_url: str, **overrides: Any) -> OemSimulatorSettings:
    """The OEM: decides at once, pays at once, retries webhooks fast."""
    values: dict[str, Any] = {
        "api_key": API_KEY, "admin_key": ADMIN_KEY, "webhook_url": webhook_url, "webhook_secret": SECRET,
        "decision_delay_seconds": 0, "payment_delay_seconds": 0, "webhook_backoff_seconds": 0.05,
        "webhook_backoff_max_seconds": 0.5, "webhook_timeout_seconds": 5, "webhook_max_attempts": 20,
    }
    return OemSimulatorSettings(**{**values, **overrides})


async def from_now_on(settings: ReceptionSettings) -> None:
    """Migrate the reception's database and store the consumer's offsets at the topics' ends.

    Only this test's events matter to it: the other tests' history on the shared topics is skipped rather than
    replayed at every start (which grows with every run and holds SQLite's write lock meanwhile).
    """
    engine = create_engine(settings.resolved_database_url())
    try:
        await upgrade_to_head(engine, "reception")
        reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
        await reader.start()
        try:
            await ensure_topics(settings.kafka_bootstrap, TOPICS)
            cluster = await reader._client.fetch_all_metadata()
            partitions = [TopicPartition(t, p) for t in TOPICS for p in cluster.partitions_for_topic(t) or ()]
            ends = await reader.end_offsets(partitions)
        finally:
            await reader.stop()
        group = settings.resolved_consumer_group()
        async with engine.begin() as connection:
            for tp, end in ends.items():
                await connection.execute(infra.consumer_offset.insert().values(
                    consumer=group, topic=tp.topic, partition=tp.partition, next_offset=end))
    finally:
        await engine.dispose()


def reception_settings(database_url: str, kafka: str, oem_url: str, group: str, **overrides: Any) -> ReceptionSettings:
    """A reception talking to the simulator, with a fast queue."""
    values: dict[str, Any] = {
        "database_url": database_url, "kafka_bootstrap": kafka, "consumer_group": group, "relay_poll_seconds": 0.2,
        "oem_base_url": oem_url, "oem_api_key": API_KEY, "oem_webhook_secret": SECRET, "oem_dealer_code": "D-4711",
        "oem_timeout_seconds": 1.0, "oem_connect_timeout_seconds": 1.0, "warranty_queue_poll_seconds": 0.2,
        "warranty_retry_base_seconds": 0.1, "warranty_retry_max_seconds": 0.4, "recall_timeout_seconds": 1.0,
    }
    return ReceptionSettings(**{**values, **overrides})


@dataclass
class Stack:
    """Both servers and clients for them."""

    dealer: httpx.AsyncClient
    oem: httpx.AsyncClient
    reception_url: str
    settings: ReceptionSettings
    reception: FastAPI
    _port: int = 0
    _exit: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def restart_reception(self) -> None:
        """Stop the reception server and start a fresh process-like app on the same port and database."""
        await self._exit.aclose()
        self._exit = contextlib.AsyncExitStack()
        self.reception = reception_app(self.settings)
        await self._exit.enter_async_context(served(self.reception, bound_socket(self._port)))

    async def received(self) -> dict[str, Any]:
        """What the OEM received."""
        answer = await self.oem.get("/admin/received", headers=ADMIN)
        assert answer.status_code == 200
        result: dict[str, Any] = answer.json()
        return result

    async def fault(self, mode: str, **extra: Any) -> None:
        """Make the OEM misbehave (`none` heals)."""
        answer = await self.oem.post("/admin/faults", headers=ADMIN, json={"mode": mode, **extra})
        assert answer.status_code == 200, answer.text


@contextlib.asynccontextmanager
async def stack(
    database_url: str, kafka: str, *, oem: dict[str, Any] | None = None, webhooks_on: bool = True, **reception: Any
) -> AsyncIterator[Stack]:
    """The simulator and the reception service on free ports, each knowing the other's URL (webhooks off: polling only)."""
    dealer_sock, oem_sock = bound_socket(), bound_socket()
    dealer_port, oem_port = dealer_sock.getsockname()[1], oem_sock.getsockname()[1]
    dealer_url, oem_url = f"http://127.0.0.1:{dealer_port}", f"http://127.0.0.1:{oem_port}"
    settings = reception_settings(database_url, kafka, oem_url, f"warranty-test-{uuid.uuid4().hex[:8]}", **reception)
    await from_now_on(settings)
    app = reception_app(settings)
    async with contextlib.AsyncExitStack() as outer:
        await outer.enter_async_context(served(simulator_app(simulator_settings(dealer_url + OEM_PATH if webhooks_on else "", **(oem or {}))), oem_sock))
        found = Stack(
            dealer=await outer.enter_async_context(httpx.AsyncClient(base_url=dealer_url, timeout=30)),
            oem=await outer.enter_async_context(httpx.AsyncClient(base_url=oem_url, timeout=30)),
            reception_url=dealer_url, settings=settings, reception=app, _port=dealer_port,
        )
        await found._exit.enter_async_context(served(app, dealer_sock))
        try:
            yield found
        finally:
            await found._exit.aclose()


def clerk(site: str) -> dict[str, str]:
    """The warranty clerk's token."""
    return auth(["warranty"], [site], subject="clerk-carla")


def signed(body: bytes, msg_id: str, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    """Standard Webhooks headers for a body, as an OEM signs it."""
    return {**webhooks.headers(secret, msg_id, body, now=at), "content-type": "application/json"}


@dataclass
class WarrantyRo:
    """An RO with warranty work, through the workshop to invoice."""

    ro: dict[str, Any]
    invoice: dict[str, Any]
    vin: str
    job_ids: list[str]


async def warranty_ro(
    desk: Desk, kafka: str, *, lines: list[dict[str, Any]] | None = None, vin: str | None = None,
    start: datetime | None = None, parts: list[tuple[str, str, str]] = (("06H121026", "1", "180.00"),),
    sublets: list[dict[str, Any]] | None = None, deliver: bool = True,
) -> WarrantyRo:
    """A new customer's vehicle arrives six hours ago (or at `start`) for a warranty RO, taken to invoice by `finish`."""
    vin = vin or new_vin("LSV")
    t0 = start or datetime.now().astimezone() - timedelta(hours=6)
    customer = await desk.customer()
    vehicle = await desk.vehicle(customer["id"], vin=vin)
    visit_id = (await desk.arrive(vehicle["id"], at=t0))["id"]
    body = lines if lines is not None else [line("10-21-00", "1.5", description="Replace water pump",
                                                  complaint="Coolant leak under the engine", pay_type="warranty")]
    ro = await desk.open_ro(visit_id, body, at=t0 + timedelta(minutes=5), ro_type="warranty", mileage_in=42_000)
    return await finish(desk, kafka, ro, t0, vin, parts=parts, sublets=sublets, deliver=deliver)


async def finish(
    desk: Desk, kafka: str, ro: dict[str, Any], t0: datetime, vin: str, *, parts: list[tuple[str, str, str]] = (),
    sublets: list[dict[str, Any]] | None = None, deliver: bool = True,
) -> WarrantyRo:
    """Approve the RO's lines, clock two technicians on its first job, issue parts, pass QC, invoice, deliver.

    First job: T-7 clocks 1h, pauses 30 min, resumes; T-9 joins at the resume; the completion 30 min later stops
    both → T-7 1.5h, T-9 0.5h. Other jobs: T-8 0.8h each.
    """
    ro = await approve_all(desk, ro, at=t0 + timedelta(minutes=10))
    jobs = [x["id"] for x in ro["lines"]]
    site, ro_id, first = desk.site, ro["id"], jobs[0]
    at = t0 + timedelta(minutes=30)

    def job(cls: type, minutes: float, technician: str, **extra: Any) -> Any:
        return cls(site_id=site, occurred_at=at + timedelta(minutes=minutes), job_id=first, repair_order_id=ro_id,
                   technician_id=technician, bay_id="B1", **extra)

    events: list[Any] = [
        job(wc.JobClockedOn, 0, "T-7"),
        job(wc.JobPaused, 60, "T-7", reason=wc.PauseReason.WAITING_PARTS),
        job(wc.JobResumed, 90, "T-7"),
        job(wc.JobClockedOn, 90, "T-9"),
        job(wc.JobCompleted, 120, "T-7", sold_hours=Decimal("1.5")),  # stops T-9's clock too
    ]
    for other in jobs[1:]:
        events += [
            wc.JobClockedOn(site_id=site, occurred_at=at, job_id=other, repair_order_id=ro_id, technician_id="T-8", bay_id="B2"),
            wc.JobCompleted(site_id=site, occurred_at=at + timedelta(minutes=48), job_id=other, repair_order_id=ro_id,
                            technician_id="T-8", bay_id="B2", sold_hours=Decimal("1")),
        ]
    if parts:
        events.append(pc.PartsIssued(
            site_id=site, occurred_at=at + timedelta(minutes=80), request_id=str(uuid.uuid4()), repair_order_id=ro_id,
            job_id=first, request_fully_issued=True,
            lines=[pc.IssuedLine(request_line_id=f"rl-{n}", part_number=number, quantity=Decimal(qty), unit_cost=Decimal("1"),
                                 unit_price=Decimal(price), from_stock_at_first_pick=True)
                   for n, (number, qty, price) in enumerate(parts)],
        ))
    events.append(wc.QcPassed(site_id=site, occurred_at=at + timedelta(minutes=130), repair_order_id=ro_id, inspector="QC-1"))
    await publish(kafka, *events)
    await eventually(lambda: state_is(desk, ro_id, "ready"), timeout=60)
    if parts:
        await eventually(lambda: _parts_on(desk, ro_id, len(parts)), timeout=30)
    invoice = await desk.ok("POST", f"/repair-orders/{ro_id}/invoice", 201, json={
        "occurred_at": iso(at + timedelta(minutes=150)), "sublet_lines": sublets or [],
    })
    if deliver:
        ro = await desk.ok("POST", f"/repair-orders/{ro_id}/deliver", json={"mileage_out": 42_003,
                                                                          "occurred_at": iso(at + timedelta(minutes=160))})
    return WarrantyRo(ro=ro, invoice=invoice, vin=vin, job_ids=jobs)


async def _parts_on(desk: Desk, ro_id: str, count: int) -> bool:
    return len((await desk.ok("GET", f"/repair-orders/{ro_id}"))["parts_lines"]) >= count


async def claims_of(client: httpx.AsyncClient, site: str, ro_id: str) -> list[dict[str, Any]]:
    """The RO's claims, full."""
    page = await ok(client, "GET", f"/sites/{site}/warranty/claims", params={"repair_order_id": ro_id}, headers=clerk(site))
    return [await ok(client, "GET", f"/warranty/claims/{c['id']}", headers=clerk(site)) for c in page["items"]]


async def ok(client: httpx.AsyncClient, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
    """Call and insist on the status; the JSON answer."""
    answer = await client.request(method, url, **kwargs)
    assert answer.status_code == status, (method, url, answer.status_code, answer.text)
    return answer.json()


async def claim_status(client: httpx.AsyncClient, site: str, claim_id: str, status: str) -> dict[str, Any] | None:
    """The claim once it has the status, else None."""
    claim = await ok(client, "GET", f"/warranty/claims/{claim_id}", headers=clerk(site))
    return claim if claim["status"] == status else None


def recalls_file(tmp_path: Path, campaigns: dict[str, list[dict[str, Any]]]) -> Path:
    """A recalls file for the simulator."""
    import json

    path = tmp_path / "recalls.json"
    path.write_text(json.dumps(campaigns))
    return path

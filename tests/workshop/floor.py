"""Helpers for the workshop tests: settings, reception/parts events as their services publish them, a site's HTTP client."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from services.workshop.settings import WorkshopSettings
from shared.cloudevents import CloudEvent
from shared.contracts import parts, reception, workshop
from shared.outbox import utcnow
from tests.kit import auth

NAMES = {cls.type: cls.__name__ for cls in workshop.EVENTS}


class Ids(dict[str, str]):
    """Reception ids are unique across sites (and the topics are shared): `ids["L1"]` is L1 of this test only."""

    def __init__(self, site_id: str) -> None:
        super().__init__()
        self._suffix = site_id.rsplit("-", 1)[-1]

    def __missing__(self, name: str) -> str:
        self[name] = f"{name}-{self._suffix}"
        return self[name]

    def aliases(self) -> dict[str, str]:
        """Real id → short name."""
        return {v: k for k, v in self.items()}


def settings(database_url: str, kafka: str, **overrides: Any) -> WorkshopSettings:
    """Workshop settings for one test: its own DB and consumer group, quick relay and stale checks."""
    values: dict[str, Any] = {"relay_poll_seconds": 0.2, "stale_check_seconds": 0.2, **overrides}
    return WorkshopSettings(database_url=database_url, kafka_bootstrap=kafka, consumer_group=f"workshop-test-{uuid.uuid4().hex[:8]}",
                            **values)


def morning(hours_ago: float = 3) -> datetime:
    """A start of the morning a few hours before now (device times must not be in the future)."""
    return (utcnow() - timedelta(hours=hours_ago)).replace(microsecond=0)


def line(job_line_id: str, skill: str | None, hours: str, description: str = "work") -> reception.JobLine:
    """A job line as reception describes it."""
    return reception.JobLine(job_line_id=job_line_id, op_code=f"OP-{job_line_id}", description=description,
                             pay_type=reception.PayType.CUSTOMER, sold_hours=Decimal(hours), labour_rate=Decimal("300"),
                             required_skill=skill)


def ro_opened(site: str, ro_id: str, number: str, lines: list[reception.JobLine], at: datetime) -> reception.RepairOrderOpened:
    """RepairOrderOpened with its lines."""
    return reception.RepairOrderOpened(site_id=site, occurred_at=at, repair_order_id=ro_id, ro_number=number, visit_id=f"v-{ro_id}",
                                       vehicle_id=f"veh-{ro_id}", customer_id="c-1", vin="LSVAU2180N2183294", advisor="alice",
                                       ro_type=reception.RoType.GENERAL_REPAIR, mileage_in=42000, arrived_at=at - timedelta(minutes=10),
                                       job_lines=lines)


def approved(site: str, ro_id: str, job_line: reception.JobLine, at: datetime) -> reception.JobLineApproved:
    """The customer approved a line."""
    return reception.JobLineApproved(site_id=site, occurred_at=at, repair_order_id=ro_id, job_line_id=job_line.job_line_id,
                                     line=job_line, by="customer", method=reception.ApprovalMethod.IN_PERSON)


def declined(site: str, ro_id: str, job_line_id: str, at: datetime) -> reception.JobLineDeclined:
    """The customer declined a line."""
    return reception.JobLineDeclined(site_id=site, occurred_at=at, repair_order_id=ro_id, job_line_id=job_line_id, by="customer",
                                     method=reception.ApprovalMethod.PHONE)


def issued(site: str, request_id: str, job_id: str | None, ro_id: str, at: datetime, *, full: bool = True) -> parts.PartsIssued:
    """The parts counter issued (part of) a request."""
    return parts.PartsIssued(site_id=site, occurred_at=at, request_id=request_id, repair_order_id=ro_id, job_id=job_id,
                             request_fully_issued=full,
                             lines=[parts.IssuedLine(request_line_id=f"{request_id}-1", part_number="15400-RTA-003", quantity=Decimal("1"),
                                                     unit_cost=Decimal("40"), unit_price=Decimal("65"), from_stock_at_first_pick=True)])


def summary(events: list[CloudEvent], aliases: dict[str, str] | None = None) -> list[tuple[Any, ...]]:
    """Each workshop event as (name, the ids and facts that matter), ids shown by their alias, to compare a whole stream."""
    aliases = aliases or {}

    def short(value: Any) -> Any:
        if isinstance(value, tuple):
            return tuple(short(v) for v in value)
        return aliases.get(value, value) if isinstance(value, str) else value

    return [tuple(short(v) for v in item) for item in _summary(events)]


def _summary(events: list[CloudEvent]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for e in events:
        d, name = e.data, NAMES.get(e.type, e.type)
        if name == "BayStatusChanged":
            out.append((name, d["name"], d["status"]))
        elif name.startswith("Technician"):
            out.append((name, d["technician_id"]))
        elif name == "JobQueued":
            out.append((name, d["job_id"], d["ro_number"]))
        elif name in ("JobDispatched",):
            out.append((name, d["job_id"], d["technician_id"], d["bay_id"]))
        elif name in ("JobClockedOn", "JobResumed", "JobClockedOff"):
            out.append((name, d["job_id"], d["technician_id"]))
        elif name == "JobPaused":
            out.append((name, d["job_id"], d["technician_id"], d["reason"]))
        elif name == "JobCompleted":
            out.append((name, d["job_id"], d["technician_id"], Decimal(d["sold_hours"])))
        elif name == "JobWithdrawn":
            out.append((name, d["job_id"], d["reason"]))
        elif name in ("QcPassed", "QcFailed"):
            out.append((name, d["repair_order_id"], *([tuple(d["job_ids"])] if name == "QcFailed" else [])))
        elif name == "PartsRequested":
            out.append((name, d["job_id"]))
        elif name == "ClockingAdjusted":
            out.append((name, d["technician_id"], d["job_id"]))
        elif name == "StaleClockFlagged":
            out.append((name, d["technician_id"], d["job_id"], d["kind"]))
        else:
            out.append((name,))
    return out


class Site:
    """One site's view of the workshop API, with tokens for each role."""

    def __init__(self, client: httpx.AsyncClient, site_id: str) -> None:
        self.client = client
        self.id = site_id
        self.foreman = auth(["foreman"], [site_id], "foreman-zhao")
        self.manager = auth(["manager"], [site_id], "manager-chen")
        self.inspector = auth(["qc"], [site_id], "qc-sun")

    def tech(self, technician_id: str) -> dict[str, str]:
        """A technician's own token."""
        return auth(["technician"], [self.id], technician_id)

    async def call(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None = None,
                   expect: int = 200) -> Any:
        """Call the API and check the status; returns the JSON answer."""
        response = await self.client.request(method, path, json=body, headers=headers)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        return response.json()

    async def post(self, path: str, headers: dict[str, str], body: dict[str, Any] | None = None, expect: int = 200) -> Any:
        """POST and check."""
        return await self.call("POST", path, headers, body or {}, expect)

    async def get(self, path: str, headers: dict[str, str] | None = None, expect: int = 200) -> Any:
        """GET and check."""
        return await self.call("GET", path, headers or self.foreman, None, expect)

    async def bay(self, name: str, kind: str, job_kinds: list[str] | None = None, occurred_at: datetime | None = None) -> str:
        """Create a bay; its id."""
        body: dict[str, Any] = {"name": name, "kind": kind, "job_kinds": job_kinds or []}
        if occurred_at is not None:
            body["occurred_at"] = occurred_at.isoformat()
        return str((await self.post(f"/sites/{self.id}/bays", self.foreman, body, 201))["id"])

    async def technician(self, ident: str, name: str, skills: list[str], level: str = "technician", pin: str | None = None) -> None:
        """Create a technician."""
        body: dict[str, Any] = {"id": ident, "name": name, "skills": skills, "level": level, "team": "A"}
        if pin:
            body["pin"] = pin
        await self.post(f"/sites/{self.id}/technicians", self.foreman, body, 201)

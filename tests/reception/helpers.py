"""Building blocks of the reception tests: a configured app, a site, people, and a scripted clock."""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.reception.app import create_app
from services.reception.domain.vin import check_digit
from services.reception.recalls import RecallPort
from services.reception.settings import ReceptionSettings
from tests.kit import auth

VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def settings(database_url: str, kafka: str, **overrides: Any) -> ReceptionSettings:
    """Settings of one test's reception service, with its own consumer group."""
    return ReceptionSettings(
        database_url=database_url, kafka_bootstrap=kafka, consumer_group=f"reception-test-{uuid.uuid4().hex[:8]}",
        relay_poll_seconds=0.2, **overrides,
    )


def app(database_url: str, kafka: str, recalls: RecallPort | None = None, **overrides: Any) -> Any:
    """A reception app for one test."""
    return create_app(settings(database_url, kafka, **overrides), recalls)


def new_vin(prefix: str = "LSV") -> str:
    """A random valid VIN (check digit computed)."""
    body = prefix + "".join(random.choice(VIN_CHARS) for _ in range(17 - len(prefix)))
    return body[:8] + check_digit(body[:8] + "0" + body[9:]) + body[9:]


def new_plate() -> str:
    """A random plate."""
    return "沪A" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(5))


def slot_floor(moment: datetime) -> datetime:
    """The 30-minute slot start at or before a moment (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)


def day_start() -> datetime:
    """A scripted day that began ten hours ago, on a slot boundary."""
    return slot_floor(datetime.now(UTC) - timedelta(hours=10))


def site_body(site_id: str, **overrides: Any) -> dict[str, Any]:
    """A site open around the clock every day (so scripted times always fall in a slot)."""
    body: dict[str, Any] = {
        "site_id": site_id, "name": "Pudong 4S", "time_zone": "UTC", "labour_rate": "300", "technician_cost_rate": "80",
        "tax_rate": "0.13", "opening_hours": [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(7)],
        "slot_minutes": 30, "slot_capacity": 2, "quick_lane_capacity": 1, "comeback_window_days": 30,
    }
    body.update(overrides)
    return body


def iso(moment: datetime) -> str:
    """RFC 3339 text."""
    return moment.isoformat()


def when(text: str) -> datetime:
    """A time from an answer."""
    return datetime.fromisoformat(text)


class Desk:
    """An advisor's tablet on one site: short calls for the setup every test needs."""

    def __init__(self, client: httpx.AsyncClient, site_id: str, roles: tuple[str, ...] = ("advisor", "manager")) -> None:
        self.client = client
        self.site = site_id
        self.headers = auth(list(roles), [site_id], subject="advisor-amy")

    async def ok(self, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        """Call and insist on the status; the JSON answer."""
        kwargs.setdefault("headers", self.headers)
        response = await self.client.request(method, url, **kwargs)
        assert response.status_code == status, (method, url, response.status_code, response.text)
        return response.json()

    async def configure(self, **overrides: Any) -> dict[str, Any]:
        """Create the site."""
        return await self.ok("POST", "/sites", 201, json=site_body(self.site, **overrides))

    async def customer(self, name: str = "Wang Wei", phone: str = "+86 138 0013 8000") -> dict[str, Any]:
        """A new customer."""
        return await self.ok("POST", f"/sites/{self.site}/customers", 201, json={"name": name, "phone": phone, "consent_contact": True})

    async def vehicle(self, customer_id: str | None = None, vin: str | None = None, plate: str | None = None) -> dict[str, Any]:
        """A new vehicle."""
        body = {"vin": vin or new_vin(), "plate": plate or new_plate(), "make": "Buick", "model": "GL8", "year": 2022,
                "mileage": 30000, "customer_id": customer_id}
        return await self.ok("POST", f"/sites/{self.site}/vehicles", 201, json=body)

    async def arrive(self, vehicle_id: str, at: datetime | None = None, **extra: Any) -> dict[str, Any]:
        """A walk-in arrival."""
        body = {"vehicle_id": vehicle_id, **extra}
        if at is not None:
            body["occurred_at"] = iso(at)
        return await self.ok("POST", f"/sites/{self.site}/arrivals", 201, json=body)

    async def open_ro(self, visit_id: str, lines: list[dict[str, Any]], at: datetime | None = None, **extra: Any) -> dict[str, Any]:
        """Open an RO for an arrival."""
        body = {"visit_id": visit_id, "mileage_in": 30500, "ro_type": "general_repair", "job_lines": lines, **extra}
        if at is not None:
            body["occurred_at"] = iso(at)
        return await self.ok("POST", f"/sites/{self.site}/repair-orders", 201, json=body)

    async def walk_in_ro(self, lines: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
        """Customer, vehicle, arrival and RO in one go."""
        customer = await self.customer()
        vehicle = await self.vehicle(customer["id"])
        visit = await self.arrive(vehicle["id"])
        return await self.open_ro(visit["id"], lines if lines is not None else [line()], **extra)


def line(op_code: str = "BRK01", hours: str = "1.5", **extra: Any) -> dict[str, Any]:
    """A job line body."""
    return {"op_code": op_code, "description": "Replace front brake pads", "complaint": "squeal when braking",
            "sold_hours": hours, **extra}


async def approve_all(desk: Desk, ro: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """Put every draft line to the customer and approve each."""
    stamp = {"occurred_at": iso(at)} if at else {}
    ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/request-approval", json=stamp)
    for job in ro["lines"]:
        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/lines/{job['id']}/approve",
                           json={"by": "Wang Wei", "method": "in_person", **stamp})
    return ro


async def state_is(desk: Desk, ro_id: str, state: str) -> bool:
    """Whether the RO reached a state."""
    return bool((await desk.ok("GET", f"/repair-orders/{ro_id}"))["state"] == state)

"""A parts counter driven through the public API, as the clerk's screen would."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from services.parts.settings import PartsSettings
from tests.kit import auth

NO_KAFKA = "127.0.0.1:1"


def settings(database_url: str, kafka: str | None = None, **overrides: Any) -> PartsSettings:
    """Settings of a parts app under test; without `kafka` neither relay nor consumer runs."""
    if kafka is None:
        overrides.setdefault("run_relay", False)
        overrides.setdefault("run_consumer", False)
    return PartsSettings(database_url=database_url, kafka_bootstrap=kafka or NO_KAFKA,
                         consumer_group=f"parts-test-{uuid.uuid4().hex[:8]}", relay_poll_seconds=0.2, **overrides)


def d(value: Any) -> Decimal:
    """A figure from a JSON answer or event, as a Decimal."""
    return Decimal(str(value))


class Counter:
    """One clerk at one site's parts counter."""

    def __init__(self, client: httpx.AsyncClient, site: str, roles: tuple[str, ...] = ("parts",)) -> None:
        self.client = client
        self.site = site
        self.headers = auth(list(roles), [site], subject="clerk-1")

    async def ok(self, method: str, url: str, expected: int = 200, **kwargs: Any) -> Any:
        """Call the API and insist on the status."""
        response = await self.client.request(method, url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)
        assert response.status_code == expected, (response.status_code, response.text)
        return response.json()

    async def part(self, number: str, **fields: Any) -> dict[str, Any]:
        """Add a part (pieces, cost 10, price 20 unless told)."""
        body = {"part_number": number, "description": f"part {number}", "unit_cost": "10", "unit_price": "20", **fields}
        return await self.ok("POST", f"/sites/{self.site}/parts", 201, json=body)

    async def stock_of(self, number: str) -> dict[str, Any]:
        """The part with its figures."""
        return await self.ok("GET", f"/sites/{self.site}/parts/{number}")

    async def receive(self, *lines: tuple[str, Any], occurred_at: datetime | None = None) -> dict[str, Any]:
        """Book a delivery."""
        body: dict[str, Any] = {"lines": [{"part_number": p, "quantity": str(q)} for p, q in lines]}
        if occurred_at is not None:
            body["occurred_at"] = occurred_at.isoformat()
        return await self.ok("POST", f"/sites/{self.site}/receipts", 201, json=body)

    async def request(self, *lines: tuple[str, Any], ro: str = "ro-1", job: str = "job-1",
                      occurred_at: datetime | None = None) -> dict[str, Any]:
        """Enter a request at the counter."""
        body: dict[str, Any] = {"repair_order_id": ro, "job_id": job,
                                "lines": [{"part_number": p, "quantity": str(q)} for p, q in lines]}
        if occurred_at is not None:
            body["occurred_at"] = occurred_at.isoformat()
        return await self.ok("POST", f"/sites/{self.site}/parts-requests", 201, json=body)

    async def issue(self, request_id: str, lines: list[tuple[str, Any]] | None = None, expected: int = 200,
                    occurred_at: datetime | None = None) -> dict[str, Any]:
        """Issue some lines, or everything reserved."""
        body: dict[str, Any] = {}
        if lines is not None:
            body["lines"] = [{"request_line_id": i, "quantity": str(q)} for i, q in lines]
        if occurred_at is not None:
            body["occurred_at"] = occurred_at.isoformat()
        return await self.ok("POST", f"/parts-requests/{request_id}/issue", expected, json=body)

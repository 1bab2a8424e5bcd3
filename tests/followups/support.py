"""A reception and a kpi on the real Kafka, and delivered ROs at chosen instants."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from services.reception.app import create_app as reception_app
from tests.kit import auth, new_site, running
from tests.kpi.support import app_for, kpi_settings, start_at_end_of_topics
from tests.reception.helpers import Desk, line
from tests.warranty.support import finish, from_now_on, reception_settings

CLERK = ("customer_relations",)


@dataclass
class Floor:
    desk: Desk
    kpi: httpx.AsyncClient | None
    site: str

    def clerk(self, roles: tuple[str, ...] = CLERK, subject: str = "clerk-cora") -> dict[str, str]:
        """A customer-relations clerk's token on the site."""
        return auth(list(roles), [self.site], subject=subject)


@contextlib.asynccontextmanager
async def floor(reception_db: str, kafka: str, kpi_db: str | None = None, time_zone: str = "Asia/Shanghai") -> AsyncIterator[Floor]:
    """A configured site's reception (and kpi when given a database), consuming from the topics' current ends."""
    site = new_site()
    settings = reception_settings(reception_db, kafka, "", f"followups-{uuid.uuid4().hex[:8]}")
    await from_now_on(settings)
    async with contextlib.AsyncExitStack() as stack:
        kpi = None
        if kpi_db is not None:
            k_settings = kpi_settings(kpi_db, kafka, metrics_refresh_seconds=0.5)
            await start_at_end_of_topics(k_settings)
            kpi = await stack.enter_async_context(running(app_for(k_settings)))
        client = await stack.enter_async_context(running(reception_app(settings)))
        desk = Desk(client, site)
        await desk.configure(time_zone=time_zone, follow_up_due_days=3)
        yield Floor(desk, kpi, site)


async def delivered_ro(desk: Desk, kafka: str, delivered_at: datetime, *, consent: bool = True) -> dict[str, Any]:
    """A customer's RO taken through the workshop to delivery at exactly `delivered_at` (finish delivers at t0 + 190 min)."""
    t0 = delivered_at - timedelta(minutes=190)
    customer = await desk.ok("POST", f"/sites/{desk.site}/customers", 201,
                             json={"name": "Li Na", "phone": "+86 139 0000 1111", "consent_contact": consent})
    vehicle = await desk.vehicle(customer["id"])
    visit = await desk.arrive(vehicle["id"], at=t0)
    ro = await desk.open_ro(visit["id"], [line()], at=t0 + timedelta(minutes=5))
    done = await finish(desk, kafka, ro, t0, vehicle["vin"])
    assert done.ro["state"] == "delivered" and datetime.fromisoformat(done.ro["delivered_at"]) == delivered_at
    return done.ro

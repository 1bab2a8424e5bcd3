"""Several tablets at once: RO numbers stay sequential and slots never overbook, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from tests.kit import new_site, running
from tests.reception.helpers import Desk, app, line


async def test_simultaneous_tablets_get_sequential_numbers_and_never_overbook(database_url: str, kafka: str) -> None:
    site = new_site()
    async with running(app(database_url, kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        await desk.configure(slot_capacity=2)
        customer = await desk.customer()
        cars = [await desk.vehicle(customer["id"]) for _ in range(6)]
        visits = [await desk.arrive(car["id"]) for car in cars]

        opened = await asyncio.gather(*(
            client.post(f"/sites/{site}/repair-orders", headers=desk.headers,
                        json={"visit_id": v["id"], "mileage_in": 1000, "ro_type": "scheduled_maintenance", "job_lines": [line()]})
            for v in visits
        ))
        assert [r.status_code for r in opened] == [201] * 6
        assert sorted(r.json()["ro_number"] for r in opened) == [f"RO-{n:06d}" for n in range(1, 7)]

        slots = await desk.ok("GET", f"/sites/{site}/slots", params={"date": "2030-01-08", "free_only": "true"})
        booked = await asyncio.gather(*(
            client.post(f"/sites/{site}/appointments", headers=desk.headers,
                        json={"customer_id": customer["id"], "vehicle_id": car["id"], "slot_start": slots[0]["start"]})
            for car in cars[:5]
        ))
        assert sorted(r.status_code for r in booked) == [201, 201, 409, 409, 409]
        listed = await desk.ok("GET", f"/sites/{site}/appointments", params={"date": "2030-01-08"})
        assert listed["total"] == 2

        twice = await asyncio.gather(*(
            client.post(f"/repair-orders/{opened[0].json()['id']}/request-approval", headers=desk.headers, json={}) for _ in range(3)
        ))
        assert sorted(r.status_code for r in twice) == [200, 409, 409]

"""Checking a car in: a booked car around its slot, a walk-in while the site is open, anything else only as an explicit walk-in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from tests.kit import new_site, running
from tests.reception.helpers import Desk, app, iso

OPEN_8_TO_18 = [{"weekday": d, "opens": "08:00", "closes": "18:00"} for d in range(7)]


def sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'reception.db'}"


async def test_an_arrival_is_checked_against_its_appointment_and_the_opening_hours(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    day = datetime.now(UTC).date() - timedelta(days=2)

    def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
        return datetime.combine(day + timedelta(days=days), time(hour, minute), tzinfo=UTC)

    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        configured = await desk.configure(opening_hours=OPEN_8_TO_18)
        assert (configured["arrival_early_minutes"], configured["arrival_late_minutes"]) == (120, 60)
        customer = await desk.customer()
        cars = [await desk.vehicle(customer["id"]) for _ in range(4)]

        async def book(car: dict, slot: datetime) -> str:
            body = {"customer_id": customer["id"], "vehicle_id": car["id"], "slot_start": iso(slot), "occurred_at": iso(at(8))}
            return str((await desk.ok("POST", f"/sites/{site}/appointments", 201, json=body))["id"])

        async def arrive(moment: datetime, **body: object) -> dict:
            answer = await client.post(f"/sites/{site}/arrivals", headers=desk.headers, json={**body, "occurred_at": iso(moment)})
            return {**answer.json(), "http": answer.status_code}

        next_week = await book(cars[0], at(9, days=7))
        for moment in (at(21, 52), at(10)):  # after closing, and on the wrong day in opening hours
            refused = await arrive(moment, appointment_id=next_week)
            assert refused["http"] == 409, refused
            assert f"the appointment is for {(day + timedelta(days=7)):%A %Y-%m-%d} 09:00 (site time)" in refused["detail"]
            assert "walk_in: true" in refused["detail"]
        assert (await desk.ok("GET", f"/appointments/{next_week}"))["status"] == "booked"

        after_hours = await arrive(at(21, 52), vehicle_id=cars[1]["id"])
        assert after_hours["http"] == 409
        assert f"the site is closed at 21:52 on {day:%A %Y-%m-%d} (open 08:00–18:00)" in after_hours["detail"]
        both = await arrive(at(10), appointment_id=next_week, walk_in=True)
        assert both["http"] == 422 and "the appointment stays booked" in both["detail"]
        key_drop = await arrive(at(21, 52), vehicle_id=cars[1]["id"], walk_in=True)
        assert (key_drop["http"], key_drop["appointment_id"]) == (201, None)

        early_bird = await book(cars[2], at(10))
        came = await arrive(at(8, 10), appointment_id=early_bird)  # 110 minutes early: within the site's 120
        assert (came["http"], came["appointment_id"]) == (201, early_bird)
        late = await book(cars[3], at(11))
        too_late = await arrive(at(13), appointment_id=late)  # the slot ended 11:30; 60 minutes late at most
        assert too_late["http"] == 409 and "checked in from" in too_late["detail"]
        await desk.ok("PATCH", f"/sites/{site}", json={"arrival_late_minutes": 120})
        assert (await arrive(at(13), appointment_id=late))["http"] == 201

"""Appointments and their slots, the reception queue, the advisor's day view, search and pagination."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from shared.contracts import reception as rc
from tests.kit import EventTap, new_site, running
from tests.reception.helpers import Desk, app, day_start, iso, line, site_body, when

DAY = "2030-01-07"


def sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'reception.db'}"


async def test_appointments_fill_slots_per_lane_and_move_through_their_states(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_consumer=False)) as client, EventTap(kafka, [rc.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure(slot_capacity=2, quick_lane_capacity=1)
        customer = await desk.customer()
        cars = [await desk.vehicle(customer["id"]) for _ in range(5)]
        slots = await desk.ok("GET", f"/sites/{site}/slots", params={"date": DAY})
        nine = next(s["start"] for s in slots if when(s["start"]).hour == 9 and when(s["start"]).minute == 0)

        def booking(car: dict[str, str], lane: str = "standard", start: str = nine) -> dict[str, str]:
            return {"customer_id": customer["id"], "vehicle_id": car["id"], "slot_start": start, "lane": lane}

        a = await desk.ok("POST", f"/sites/{site}/appointments", 201, json=booking(cars[0]))
        await desk.ok("POST", f"/sites/{site}/appointments", 201, json=booking(cars[1]))
        full = await client.post(f"/sites/{site}/appointments", headers=desk.headers, json=booking(cars[2]))
        assert full.status_code == 409 and [when(s).strftime("%H:%M") for s in full.json()["next_free_slots"]] == ["09:30", "10:00", "10:30"]
        quick = await desk.ok("POST", f"/sites/{site}/appointments", 201, json=booking(cars[2], "quick"))
        assert (await client.post(f"/sites/{site}/appointments", headers=desk.headers, json=booking(cars[3], "quick"))).status_code == 409
        at_nine = [s for s in await desk.ok("GET", f"/sites/{site}/slots", params={"date": DAY}) if s["start"] == nine][0]
        assert (at_nine["booked"], at_nine["free"]) == (2, 0)

        cancelled = await desk.ok("POST", f"/appointments/{a['id']}/cancel", json={"reason": "customer travelling"})
        assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "customer travelling")
        again = await client.post(f"/appointments/{a['id']}/cancel", headers=desk.headers, json={})
        assert again.status_code == 409 and (again.json()["state"], again.json()["allowed"]) == ("cancelled", [])
        freed = await desk.ok("POST", f"/sites/{site}/appointments", 201, json=booking(cars[3]))
        moved = await client.post(f"/appointments/{quick['id']}/reschedule", headers=desk.headers, json={"slot_start": nine, "lane": "standard"})
        assert moved.status_code == 409 and "is full" in moved.json()["detail"]
        too_soon = await client.post(f"/appointments/{freed['id']}/no-show", headers=desk.headers, json={})
        assert too_soon.status_code == 409 and "only after" in too_soon.json()["detail"]

        listed = await desk.ok("GET", f"/sites/{site}/appointments", params={"date": DAY})
        assert listed["total"] == 4
        booked = await desk.ok("GET", f"/sites/{site}/appointments", params={"date": DAY, "status": "booked"})
        assert booked["total"] == 3

        # yesterday evening's booking for this morning, then the car that did not come
        t = day_start()
        missed = await desk.ok("POST", f"/sites/{site}/appointments", 201,
                               json={**booking(cars[4], start=iso(t + timedelta(hours=1))), "occurred_at": iso(t)})
        gone = await desk.ok("POST", f"/appointments/{missed['id']}/no-show", json={})
        assert gone["status"] == "no_show"
        came = await desk.ok("POST", f"/sites/{site}/appointments", 201,
                             json={**booking(cars[4], start=iso(t + timedelta(hours=2))), "occurred_at": iso(t)})
        visit = await desk.ok("POST", f"/sites/{site}/arrivals", 201,
                              json={"appointment_id": came["id"], "occurred_at": iso(t + timedelta(hours=2, minutes=5))})
        assert (visit["vehicle_id"], visit["customer_id"], visit["appointment_id"]) == (cars[4]["id"], customer["id"], came["id"])
        assert (await desk.ok("GET", f"/appointments/{came['id']}"))["status"] == "arrived"
        twice = await client.post(f"/sites/{site}/arrivals", headers=desk.headers, json={"appointment_id": came["id"]})
        assert twice.status_code == 409 and "already waiting" in twice.json()["detail"]

        await tap.wait_for(rc.VehicleArrived)
        assert [e.type.split(".")[-2] for e in tap.events if e.type.startswith("pitwall.reception.appointment")] == [
            "booked", "booked", "booked", "cancelled", "booked", "booked", "no_show", "booked"]
        assert tap.of(rc.VehicleArrived)[0].data["appointment_id"] == came["id"]


async def test_the_queue_the_day_view_search_and_pages(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        await desk.configure()
        t = day_start()
        zhang = await desk.customer("Zhang San", "139-1234-5678")
        li = await desk.customer("Li Si", "+86 137 0000 1111")
        cars = [
            await desk.vehicle(zhang["id"], plate="沪A 88888"),
            await desk.vehicle(li["id"], plate="苏E-12345"),
            await desk.vehicle(li["id"], plate="沪C 55555"),
            await desk.vehicle(zhang["id"], plate="沪D 00001"),
        ]
        visits = [await desk.arrive(car["id"], at=t + timedelta(minutes=10 * i)) for i, car in enumerate(cars)]
        queue = await desk.ok("GET", f"/sites/{site}/reception-queue", params={"at": iso(t + timedelta(minutes=60))})
        assert [(e["plate"], e["waiting_seconds"], e["customer_name"]) for e in queue["items"]] == [
            ("沪A 88888", 3600, "Zhang San"), ("苏E-12345", 3000, "Li Si"), ("沪C 55555", 2400, "Li Si"), ("沪D 00001", 1800, "Zhang San")]

        overdue = await desk.open_ro(visits[0]["id"], [line()], at=t + timedelta(minutes=15),
                                     promised_at=iso(t + timedelta(hours=2)))
        waiting_approval = await desk.open_ro(visits[1]["id"], [line(), line("OIL01")], at=t + timedelta(minutes=20))
        await desk.ok("POST", f"/repair-orders/{waiting_approval['id']}/request-approval", json={})
        on_time = await desk.open_ro(visits[2]["id"], [line()], at=t + timedelta(minutes=25),
                                     promised_at=iso(t + timedelta(hours=20)))

        day = await desk.ok("GET", f"/sites/{site}/day", params={"at": iso(t + timedelta(hours=3)), "date": t.date().isoformat()})
        assert [e["visit"]["id"] for e in day["waiting_arrivals"]["items"]] == [visits[3]["id"]]
        assert day["waiting_arrivals"]["items"][0]["waiting_seconds"] == 3 * 3600 - 30 * 60
        assert [r["id"] for r in day["awaiting_approval"]["items"]] == [waiting_approval["id"]]
        assert [r["id"] for r in day["overdue"]["items"]] == [overdue["id"]]
        assert day["ready_for_pickup"]["total"] == 0
        later = await desk.ok("GET", f"/sites/{site}/day", params={"at": iso(t + timedelta(hours=21))})
        assert {r["id"] for r in later["overdue"]["items"]} == {overdue["id"], on_time["id"]}
        promised_again = await desk.ok("PATCH", f"/repair-orders/{overdue['id']}", json={"promised_at": iso(t + timedelta(hours=30))})
        assert (when(promised_again["promised_at"]), promised_again["version"]) == (t + timedelta(hours=30), overdue["version"] + 1)
        later = await desk.ok("GET", f"/sites/{site}/day", params={"at": iso(t + timedelta(hours=21))})
        assert [r["id"] for r in later["overdue"]["items"]] == [on_time["id"]]

        async def found(**params: str) -> list[str]:
            page = await desk.ok("GET", f"/sites/{site}/repair-orders", params=params)
            return sorted(r["ro_number"] for r in page["items"])

        assert await found(plate="沪a88888") == [overdue["ro_number"]]
        assert await found(plate="E12345") == [waiting_approval["ro_number"]]
        assert await found(vin=cars[2]["vin"][-8:].lower()) == [on_time["ro_number"]]
        assert await found(ro_number="ro-000002") == ["RO-000002"]
        assert await found(ro_number="3") == ["RO-000003"]
        assert await found(phone="13912345678") == [overdue["ro_number"]]
        assert await found(phone="0000 1111") == ["RO-000002", "RO-000003"]
        assert await found(q="1234-5678") == [overdue["ro_number"]]
        assert await found(state="awaiting_approval") == ["RO-000002"]
        assert await found(state="open", phone="1111") == ["RO-000003"]
        assert await found(plate="沪Z 99999") == []
        assert await found(q="²") == [] and await found(ro_number="RO-²") == []
        huge = await client.get(f"/sites/{site}/repair-orders", headers=desk.headers, params={"offset": 10**30})
        assert huge.status_code == 422 and "offset" in huge.json()["detail"]

        first = await desk.ok("GET", f"/sites/{site}/repair-orders", params={"limit": 2})
        second = await desk.ok("GET", f"/sites/{site}/repair-orders", params={"limit": 2, "offset": 2})
        assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
        assert [r["ro_number"] for r in first["items"] + second["items"]] == ["RO-000003", "RO-000002", "RO-000001"]
        too_big = await client.get(f"/sites/{site}/repair-orders", headers=desk.headers, params={"limit": 1000})
        assert too_big.status_code == 422 and "limit must be at most" in too_big.json()["detail"]
        people = await desk.ok("GET", f"/sites/{site}/customers", params={"q": "li", "limit": 1})
        assert (people["total"], [c["name"] for c in people["items"]]) == (1, ["Li Si"])
        assert (await desk.ok("GET", f"/sites/{site}/vehicles", params={"q": "沪c55"}))["items"][0]["id"] == cars[2]["id"]
        same_day = [v["id"] for v in visits if when(v["arrived_at"]).date() == t.date()]
        arrivals = await desk.ok("GET", f"/sites/{site}/arrivals", params={"date": t.date().isoformat(), "limit": 1})
        assert (arrivals["total"], [v["id"] for v in arrivals["items"]]) == (len(same_day), same_day[:1])


async def test_site_changes_are_published_and_the_openapi_document_describes_the_api(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    service = app(sqlite(tmp_path), kafka, run_consumer=False)
    async with running(service) as client, EventTap(kafka, [rc.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure()
        patched = await desk.ok("PATCH", f"/sites/{site}", json={"labour_rate": "320", "comeback_window_days": 45})
        assert (patched["labour_rate"], patched["comeback_window_days"], patched["name"], patched["version"]) == ("320", 45, "Pudong 4S", 2)
        unchanged = await desk.ok("PATCH", f"/sites/{site}", json={"labour_rate": "320.00", "opening_hours": None, "tax_rate": None})
        assert (unchanged["version"], unchanged["tax_rate"], len(unchanged["opening_hours"])) == (2, "0.13", 7)
        body = site_body(site, name="Pudong 4S (new hall)", time_zone="Asia/Shanghai")
        del body["site_id"]
        replaced = await desk.ok("PUT", f"/sites/{site}", json=body)
        assert (replaced["name"], replaced["labour_rate"], replaced["comeback_window_days"]) == ("Pudong 4S (new hall)", "300", 30)
        ro = await desk.walk_in_ro([line()])
        assert ro["lines"][0]["labour_rate"] == "300"
        listed = await desk.ok("GET", "/sites")
        assert [s["site_id"] for s in listed["items"]] == [site]
        await tap.wait_for(rc.RepairOrderOpened)
        configured = [rc.SiteConfigured.model_validate(e.data) for e in tap.of(rc.SiteConfigured)]
        assert [(c.labour_rate, c.time_zone, c.comeback_window_days) for c in configured] == [
            (300, "UTC", 30), (320, "UTC", 45), (300, "Asia/Shanghai", 30)]
        assert configured[0].technician_cost_rate == 80 and len(configured[0].opening_hours) == 7

    document = service.openapi()
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert all(op.get("description") or op.get("summary") for op in operations)
    assert "/repair-orders/{repair_order_id}/lines/{line_id}/approve" in document["paths"]
    opened = document["paths"]["/sites/{site_id}/repair-orders"]["post"]
    assert {"201", "409", "412", "422", "404"} <= set(opened["responses"])
    schema = document["components"]["schemas"]["RepairOrderCreate"]
    assert schema["additionalProperties"] is False

"""Tablet-grade behaviour: Idempotency-Key, ETag/If-Match, roles, site scoping and illegal steps."""

from __future__ import annotations

from pathlib import Path

from shared.contracts import reception as rc
from tests.kit import EventTap, auth, new_site, running
from tests.reception.helpers import Desk, app, line, site_body


def sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'reception.db'}"


async def test_a_retried_post_creates_nothing_twice_and_a_reused_key_with_another_body_is_refused(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_consumer=False)) as client, EventTap(kafka, [rc.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure()
        customer = await desk.customer()
        vehicle = await desk.vehicle(customer["id"])
        keyed = {**desk.headers, "Idempotency-Key": "arrival-1"}
        first = await client.post(f"/sites/{site}/arrivals", headers=keyed, json={"vehicle_id": vehicle["id"]})
        again = await client.post(f"/sites/{site}/arrivals", headers=keyed, json={"vehicle_id": vehicle["id"]})
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
        visit = first.json()

        body = {"visit_id": visit["id"], "mileage_in": 30100, "ro_type": "general_repair", "job_lines": [line()]}
        keyed = {**desk.headers, "Idempotency-Key": "open-ro-1"}
        opened = [await client.post(f"/sites/{site}/repair-orders", headers=keyed, json=body) for _ in range(3)]
        assert [r.status_code for r in opened] == [201, 201, 201]
        assert {r.json()["id"] for r in opened} == {opened[0].json()["id"]}
        other_body = await client.post(f"/sites/{site}/repair-orders", headers=keyed, json={**body, "mileage_in": 99})
        assert other_body.status_code == 422
        assert other_body.headers["content-type"] == "application/problem+json"
        assert "Idempotency-Key 'open-ro-1' was used before" in other_body.json()["detail"]

        listed = await desk.ok("GET", f"/sites/{site}/repair-orders")
        assert [ro["ro_number"] for ro in listed["items"]] == ["RO-000001"]
        await desk.ok("POST", f"/repair-orders/{opened[0].json()['id']}/cancel", json={"reason": "customer left"})
        await tap.wait_for(rc.RepairOrderCancelled)
        assert tap.types() == [e.type for e in (rc.SiteConfigured, rc.VehicleArrived, rc.RecallChecked, rc.RepairOrderOpened,
                                                 rc.RepairOrderCancelled)]


async def test_a_stale_tablet_gets_412_not_a_silent_overwrite(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        await desk.configure()
        ro = await desk.walk_in_ro([line("BRK01"), line("OIL01", "0.5")])
        read = await client.get(f"/repair-orders/{ro['id']}", headers=desk.headers)
        tag = read.headers["ETag"]
        brakes = ro["lines"][0]["id"]

        first = await client.patch(f"/repair-orders/{ro['id']}/lines/{brakes}", headers={**desk.headers, "If-Match": tag},
                                   json={"sold_hours": "1.8"})
        assert first.status_code == 200 and first.headers["ETag"] != tag
        stale = await client.patch(f"/repair-orders/{ro['id']}/lines/{brakes}", headers={**desk.headers, "If-Match": tag},
                                   json={"sold_hours": "2.5"})
        assert stale.status_code == 412
        assert stale.json()["current_etag"] == first.headers["ETag"] and stale.headers["content-type"] == "application/problem+json"
        stale_approval = await client.post(f"/repair-orders/{ro['id']}/request-approval", headers={**desk.headers, "If-Match": tag}, json={})
        assert stale_approval.status_code == 412
        now = await desk.ok("GET", f"/repair-orders/{ro['id']}")
        assert (now["lines"][0]["sold_hours"], now["state"]) == ("1.8", "open")

        customer = await desk.customer("Li Na", "13900001111")
        vehicle = await desk.vehicle(customer["id"])
        slots = await desk.ok("GET", f"/sites/{site}/slots", params={"free_only": "true", "date": "2030-01-07"})
        booked = await client.post(f"/sites/{site}/appointments", headers=desk.headers,
                                   json={"customer_id": customer["id"], "vehicle_id": vehicle["id"], "slot_start": slots[3]["start"]})
        tag = booked.headers["ETag"]
        moved = await client.post(f"/appointments/{booked.json()['id']}/reschedule", headers={**desk.headers, "If-Match": tag},
                                  json={"slot_start": slots[4]["start"]})
        assert moved.status_code == 200
        cancelled = await client.post(f"/appointments/{booked.json()['id']}/cancel", headers={**desk.headers, "If-Match": tag}, json={})
        assert cancelled.status_code == 412
        assert (await desk.ok("GET", f"/appointments/{booked.json()['id']}"))["status"] == "booked"

        site_tag = (await client.get(f"/sites/{site}", headers=desk.headers)).headers["ETag"]
        assert (await client.patch(f"/sites/{site}", headers={**desk.headers, "If-Match": site_tag}, json={"name": "A"})).status_code == 200
        assert (await client.patch(f"/sites/{site}", headers={**desk.headers, "If-Match": site_tag}, json={"name": "B"})).status_code == 412


async def test_another_sites_token_can_neither_see_nor_touch_the_repair_order(tmp_path: Path, kafka: str) -> None:
    site, other = new_site(), new_site()
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        await desk.configure()
        await Desk(client, other).configure()
        ro = await desk.walk_in_ro()
        line_id = ro["lines"][0]["id"]
        stranger = auth(["advisor", "manager"], [other], subject="advisor-of-another-site")
        decision = {"by": "x", "method": "phone"}
        attempts = [
            ("GET", f"/repair-orders/{ro['id']}", None),
            ("GET", f"/repair-orders/{ro['id']}/estimate", None),
            ("GET", f"/repair-orders/{ro['id']}/invoice", None),
            ("POST", f"/repair-orders/{ro['id']}/lines", line()),
            ("PATCH", f"/repair-orders/{ro['id']}/lines/{line_id}", {"sold_hours": "9"}),
            ("DELETE", f"/repair-orders/{ro['id']}/lines/{line_id}", None),
            ("POST", f"/repair-orders/{ro['id']}/request-approval", {}),
            ("POST", f"/repair-orders/{ro['id']}/lines/{line_id}/approve", decision),
            ("POST", f"/repair-orders/{ro['id']}/invoice", {}),
            ("POST", f"/repair-orders/{ro['id']}/deliver", {"mileage_out": 40000}),
            ("POST", f"/repair-orders/{ro['id']}/cancel", {}),
            ("PUT", f"/repair-orders/{ro['id']}/comeback", {"is_comeback": True, "reason": "x"}),
        ]
        for method, url, body in attempts:
            response = await client.request(method, url, headers=stranger, json=body)
            assert response.status_code == 404, (method, url, response.text)
            assert response.json()["detail"] == f"repair order {ro['id']!r} does not exist"
        assert (await client.get(f"/sites/{site}/repair-orders", headers=stranger)).status_code == 403
        assert (await client.get(f"/sites/{other}/repair-orders", headers=stranger)).json()["total"] == 0
        assert (await client.get(f"/sites/{other}/repair-orders", headers=stranger, params={"q": ro["ro_number"]})).json()["items"] == []
        untouched = await desk.ok("GET", f"/repair-orders/{ro['id']}")
        assert (untouched["version"], untouched["state"], len(untouched["lines"])) == (ro["version"], "open", 1)

        group = auth(["manager"], ["*"], subject="group-director")
        assert (await client.get(f"/repair-orders/{ro['id']}", headers=group)).status_code == 200


async def test_roles_technicians_read_advisors_write_managers_configure(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        advisor = auth(["advisor"], [site])
        assert (await client.post("/sites", headers=advisor, json=site_body(site))).status_code == 403
        await desk.configure()
        ro = await desk.walk_in_ro()
        technician = auth(["technician"], [site])
        assert (await client.get(f"/repair-orders/{ro['id']}", headers=technician)).status_code == 200
        assert (await client.get(f"/sites/{site}/day", headers=technician)).status_code == 200
        refused = await client.post(f"/repair-orders/{ro['id']}/lines", headers=technician, json=line())
        assert refused.status_code == 403 and "advisor, manager" in refused.json()["detail"]
        assert (await client.get(f"/repair-orders/{ro['id']}")).status_code == 401
        assert (await client.patch(f"/sites/{site}", headers=advisor, json={"name": "x"})).status_code == 403
        foreign_manager = auth(["manager"], ["elsewhere"])
        assert (await client.post("/sites", headers=foreign_manager, json=site_body(site))).status_code == 403


async def test_an_illegal_step_is_409_with_the_state_and_the_allowed_steps(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        await desk.configure()
        ro = await desk.walk_in_ro([line("BRK01"), line("OIL01", "0.5")])
        refused = await client.post(f"/repair-orders/{ro['id']}/deliver", headers=desk.headers, json={"mileage_out": 40000})
        assert refused.status_code == 409
        problem = refused.json()
        assert (problem["state"], problem["type"]) == ("open", "/problems/illegal-transition")
        assert problem["allowed"] == [
            "add_line", "change_line", "remove_line", "request_approval", "change_details", "cancel", "flag_comeback"]
        line_id = ro["lines"][0]["id"]
        early = await client.post(f"/repair-orders/{ro['id']}/lines/{line_id}/approve", headers=desk.headers,
                                  json={"by": "Wang", "method": "in_person"})
        assert early.status_code == 409 and early.json()["state"] == "open"
        await desk.ok("POST", f"/repair-orders/{ro['id']}/request-approval", json={})
        line_refused = await client.post(f"/repair-orders/{ro['id']}/lines/{line_id}/approve", headers=desk.headers,
                                         json={"by": "Wang", "method": "in_person"})
        assert line_refused.status_code == 200
        again = await client.post(f"/repair-orders/{ro['id']}/lines/{line_id}/decline", headers=desk.headers,
                                  json={"by": "Wang", "method": "in_person"})
        assert again.status_code == 409, again.text
        assert (again.json()["state"], again.json()["allowed"]) == ("approved", ["change_line", "remove_line"])
        assert again.json()["detail"].startswith(f"job line {line_id} is approved")
        await desk.ok("POST", f"/repair-orders/{ro['id']}/lines/{ro['lines'][1]['id']}/decline", json={"by": "Wang", "method": "phone"})
        done_deciding = await client.post(f"/repair-orders/{ro['id']}/lines/{line_id}/decline", headers=desk.headers,
                                          json={"by": "Wang", "method": "in_person"})
        assert done_deciding.status_code == 409 and done_deciding.json()["state"] == "approved"
        assert "decline_line" not in done_deciding.json()["allowed"] and "request_approval" in done_deciding.json()["allowed"]
        await desk.ok("POST", f"/repair-orders/{ro['id']}/cancel", json={"reason": "changed mind"})
        dead = await client.post(f"/repair-orders/{ro['id']}/lines", headers=desk.headers, json=line())
        assert dead.status_code == 409 and dead.json()["state"] == "cancelled" and dead.json()["allowed"] == []

"""Each bad input the issue lists is a clear 4xx problem naming it, and saves and publishes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.contracts import reception as rc
from tests.kit import EventTap, auth, new_site, running
from tests.reception.helpers import Desk, app, line, new_vin

PROBLEM = "application/problem+json"


def sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'reception.db'}"


async def refused(desk: Desk, method: str, url: str, status: int, body: Any, *naming: str) -> dict[str, Any]:
    """Insist the call is refused with a problem document whose detail names every given text."""
    response = await desk.client.request(method, url, headers=desk.headers, json=body)
    assert response.status_code == status, (url, response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    for text in naming:
        assert text in problem["detail"], (text, problem)
    return problem


async def test_bad_input_is_refused_naming_the_problem_and_nothing_is_saved_or_published(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_consumer=False)) as client, EventTap(kafka, [rc.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure(slot_capacity=1)
        customer = await desk.customer()
        vehicle = await desk.vehicle(customer["id"])
        visit = await desk.arrive(vehicle["id"])
        ro_body = {"visit_id": visit["id"], "mileage_in": 30100, "ro_type": "general_repair"}
        ros = f"/sites/{site}/repair-orders"

        # extra fields, at the top and nested
        await refused(desk, "POST", f"/sites/{site}/customers", 422, {"name": "A", "phone": "13800000000", "nickname": "x"},
                      "body.nickname: Extra inputs are not permitted")
        await refused(desk, "POST", ros, 422, {**ro_body, "job_lines": [{**line(), "discount": "10"}]},
                      "body.job_lines.0.discount: Extra inputs are not permitted")
        # negative hours and prices
        await refused(desk, "POST", ros, 422, {**ro_body, "job_lines": [line(hours="-1")]},
                      "body.job_lines.0.sold_hours: Input should be greater than or equal to 0")
        await refused(desk, "POST", ros, 422, {**ro_body, "job_lines": [line(labour_rate="-300")]},
                      "body.job_lines.0.labour_rate: Input should be greater than or equal to 0")
        await refused(desk, "POST", ros, 422, {**ro_body, "job_lines": [line(parts_estimate="-5")]}, "parts_estimate")
        await refused(desk, "POST", ros, 422, {**ro_body, "mileage_in": -3}, "body.mileage_in")
        # timestamps without a time zone, or from the future
        await refused(desk, "POST", ros, 422, {**ro_body, "occurred_at": "2026-03-02T10:00:00"}, "body.occurred_at", "timezone")
        await refused(desk, "POST", ros, 422, {**ro_body, "promised_at": "2026-03-02T18:00:00"}, "body.promised_at", "timezone")
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        await refused(desk, "POST", ros, 422, {**ro_body, "occurred_at": future}, "occurred_at is in the future")
        long_ago = (datetime.now(UTC) - timedelta(days=5)).isoformat()
        await refused(Desk(client, site, roles=("advisor",)), "POST", ros, 422, {**ro_body, "occurred_at": long_ago},
                      "a manager must correct it")
        # unknown site: the token covers it, the site does not exist
        ghost = new_site()
        ghost_desk = Desk(client, ghost)
        for url, body in ((f"/sites/{ghost}/customers", {"name": "A", "phone": "13800000000"}),
                          (f"/sites/{ghost}/repair-orders", {**ro_body, "job_lines": []})):
            await refused(ghost_desk, "POST", url, 404, body, f"site {ghost!r} does not exist")
        assert (await client.get(f"/sites/{ghost}/day", headers=ghost_desk.headers)).status_code == 404
        # a body naming another site's or an unknown thing
        await refused(desk, "POST", ros, 422, {**ro_body, "visit_id": "no-such-visit"}, "visit_id: 'no-such-visit' does not exist")
        await refused(desk, "POST", f"/sites/{site}/arrivals", 422, {}, "give vehicle_id (walk-in) or appointment_id")
        # a duplicate VIN
        await refused(desk, "POST", f"/sites/{site}/vehicles", 409, {**_vehicle(), "vin": vehicle["vin"]},
                      f"VIN {vehicle['vin']} already exists")

        # a failure half-way through a request undoes the half done: line 1 is not left proposed
        ro = await desk.open_ro(visit["id"], [line("BRK01"), line("OIL01")])
        first, second = (x["id"] for x in ro["lines"])
        await desk.ok("POST", f"/repair-orders/{ro['id']}/request-approval", json={"job_line_ids": [second]})
        await refused(desk, "POST", f"/repair-orders/{ro['id']}/request-approval", 409, {"job_line_ids": [first, second]},
                      f"job line {second} is proposed")
        after = await desk.ok("GET", f"/repair-orders/{ro['id']}")
        assert [x["status"] for x in after["lines"]] == ["draft", "proposed"]

        # a full slot says which slots are free next
        slots = await desk.ok("GET", f"/sites/{site}/slots", params={"date": "2030-01-07", "free_only": "true"})
        booking = {"customer_id": customer["id"], "vehicle_id": vehicle["id"], "slot_start": slots[0]["start"]}
        await desk.ok("POST", f"/sites/{site}/appointments", 201, json=booking)
        full = await refused(desk, "POST", f"/sites/{site}/appointments", 409, booking, "slot at 2030-01-07 00:00 is full",
                             "next free: 2030-01-07 00:30, 2030-01-07 01:00, 2030-01-07 01:30")
        assert [datetime.fromisoformat(s) for s in full["next_free_slots"]] == [
            datetime.fromisoformat(s["start"]) for s in slots[1:4]]
        await refused(desk, "POST", f"/sites/{site}/appointments", 422, {**booking, "slot_start": "2030-01-07T09:10:00+00:00"},
                      "09:10 local time is not a slot start")
        await refused(desk, "POST", f"/sites/{site}/appointments", 422, {**booking, "slot_start": "2030-01-07T09:00:00"},
                      "body.slot_start", "timezone")
        await refused(desk, "POST", f"/sites/{site}/appointments", 422, {**booking, "slot_start": "2020-01-06T09:00:00+00:00"},
                      "has already started")

        assert (await desk.ok("GET", f"/sites/{site}/customers"))["total"] == 1
        assert (await desk.ok("GET", f"/sites/{site}/repair-orders"))["total"] == 1
        assert (await desk.ok("GET", f"/sites/{site}/appointments", params={"date": "2030-01-07"}))["total"] == 1
        await desk.ok("POST", f"/repair-orders/{ro['id']}/cancel", json={})
        await tap.wait_for(rc.RepairOrderCancelled)
        assert tap.types() == [e.type for e in (
            rc.SiteConfigured, rc.VehicleArrived, rc.RecallChecked, rc.RepairOrderOpened, rc.ApprovalRequested,
            rc.AppointmentBooked, rc.RepairOrderCancelled)]
        assert tap.of(rc.ApprovalRequested)[0].data["job_line_ids"] == [second]


def _vehicle(**overrides: Any) -> dict[str, Any]:
    return {"vin": new_vin(), "plate": "沪B 12345", "make": "Buick", "model": "GL8", "year": 2022, **overrides}


@pytest.mark.parametrize(("vin", "problem"), [
    ("1HGCM82633A00435", "VIN must be 17 characters, got 16"),
    ("1HGCM8263OA004352", "VIN must not contain I, O or Q (found 'O' at position 10)"),
    ("1HGCM82643A004352", "VIN check digit (position 9) is '4' but the other characters give '3'"),
    ("1HGCM82633A00#352", "VIN may hold only digits and letters (found '#' at position 14)"),
])
async def test_a_bad_vin_is_refused_naming_the_problem(tmp_path: Path, kafka: str, vin: str, problem: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        await desk.configure()
        answer = await refused(desk, "POST", f"/sites/{site}/vehicles", 422, _vehicle(vin=vin), "body.vin", problem)
        assert answer["errors"][0]["loc"] == ["body", "vin"]
        vehicle = await desk.vehicle()
        await refused(desk, "PATCH", f"/sites/{site}/vehicles/{vehicle['id']}", 422, {"vin": vin}, problem)
        assert (await desk.ok("GET", f"/sites/{site}/vehicles"))["total"] == 1


async def test_site_configuration_is_validated(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        from tests.reception.helpers import site_body

        for overrides, text in (
            ({"time_zone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
            ({"tax_rate": "1.5"}, "body.tax_rate"),
            ({"labour_rate": "-1"}, "body.labour_rate"),
            ({"opening_hours": [{"weekday": 0, "opens": "18:00", "closes": "08:00"}]}, "opens 18:00 must be before closes 08:00"),
            ({"opening_hours": [{"weekday": 7, "opens": "08:00", "closes": "18:00"}]}, "weekday"),
            ({"opening_hours": [{"weekday": 1, "opens": "8am", "closes": "18:00"}]}, "'8am' is not HH:MM"),
            ({"color": "red"}, "body.color: Extra inputs are not permitted"),
        ):
            await refused(desk, "POST", "/sites", 422, site_body(site, **overrides), text)
        assert (await client.get(f"/sites/{site}", headers=auth(["manager"], [site]))).status_code == 404


async def test_a_site_whose_market_needs_no_check_digit_takes_european_and_japanese_vins(tmp_path: Path, kafka: str) -> None:
    site, golf, corolla = new_site(), "WVWZZZ1KZAW000123", "JTDKB20U503123456"
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        assert (await desk.configure())["vin_check_digit"] is True  # North America and China require it
        await refused(desk, "POST", f"/sites/{site}/vehicles", 422, _vehicle(vin=golf), "body.vin", "check digit (position 9) is 'Z'")
        assert (await desk.ok("PATCH", f"/sites/{site}", json={"vin_check_digit": False}))["vin_check_digit"] is False
        for vin in (golf, corolla):
            assert (await desk.ok("POST", f"/sites/{site}/vehicles", 201, json=_vehicle(vin=vin)))["vin"] == vin
        await refused(desk, "POST", f"/sites/{site}/vehicles", 422, _vehicle(vin="WVWZZZ1KZAW00O123"), "must not contain I, O or Q")
        await refused(desk, "POST", f"/sites/{site}/vehicles", 422, _vehicle(vin="WVWZZZ1KZAW00012"), "must be 17 characters")

"""Dates and moments at the calendar's ends are refused with a 422 naming the field, and the bounds are in OpenAPI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx

from services.kpi.app import create_app as kpi_app
from services.kpi.settings import KpiSettings
from tests.hardening.apps import create
from tests.kit import auth, new_site, running
from tests.kpi.day import Day
from tests.kpi.harness import feed
from tests.reception.helpers import Desk

EDGE_INSTANTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z"]
EDGE_DAYS = ["0001-01-01", "9999-12-31", "1969-12-31", "2200-01-01"]


def refused(response: httpx.Response, where: str) -> None:
    """A 422 problem whose only complaint is about `where` (e.g. query.day)."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {".".join(map(str, error["loc"])) for error in problem["errors"]} == {where}, problem


async def test_reception_refuses_calendar_edge_days_and_moments(database_url: str) -> None:
    async with running(create("reception", database_url)) as client:
        desk = Desk(client, new_site())
        await desk.configure()
        site, headers = desk.site, desk.headers
        customer = await desk.customer()
        vehicle = await desk.vehicle(customer["id"])
        ro = await desk.walk_in_ro()
        for day in EDGE_DAYS:
            refused(await client.get(f"/sites/{site}/follow-ups", params={"day": day}, headers=headers), "query.day")
            for path in ("appointments", "slots", "arrivals", "day"):
                refused(await client.get(f"/sites/{site}/{path}", params={"date": day}, headers=headers), "query.date")
        for moment in EDGE_INSTANTS:
            for path in ("reception-queue", "day"):
                refused(await client.get(f"/sites/{site}/{path}", params={"at": moment}, headers=headers), "query.at")
            refused(await client.post(f"/sites/{site}/appointments", headers=headers, json={
                "customer_id": customer["id"], "vehicle_id": vehicle["id"], "slot_start": moment}), "body.slot_start")
            refused(await client.post(f"/sites/{site}/customers", headers=headers, json={
                "name": "Li Na", "phone": "+86 138 0000 0000", "occurred_at": moment}), "body.occurred_at")
            refused(await client.post(f"/sites/{site}/complaints", headers=headers, json={
                "repair_order_id": ro["id"], "category": "repair_quality", "severity": "low", "owner": "Zhou",
                "occurred_at": moment}), "body.occurred_at")
        # the bounds' last day and moment still work
        assert (await client.get(f"/sites/{site}/follow-ups", params={"day": "2199-12-31"}, headers=headers)).status_code == 200
        day = await client.get(f"/sites/{site}/day", params={"date": "2199-12-31", "at": "2199-12-31T23:59:59-14:00"}, headers=headers)
        assert day.status_code == 200, day.text


async def test_workshop_clockings_refuse_a_moment_at_the_calendar_edge(database_url: str) -> None:
    async with running(create("workshop", database_url)) as client:
        for moment in EDGE_INSTANTS:
            refused(await client.get("/technicians/t-1/clockings", params={"since": moment},
                                     headers=auth(["foreman"], [new_site()])), "query.since")


async def test_parts_receipts_refuse_an_occurred_at_at_the_calendar_edge(database_url: str) -> None:
    site = new_site()
    headers = auth(["parts", "manager"], [site])
    async with running(create("parts", database_url)) as client:
        assert (await client.post(f"/sites/{site}/parts", headers=headers, json={
            "part_number": "P-1", "description": "filter", "unit_cost": "10", "unit_price": "20"})).status_code == 201
        for moment in EDGE_INSTANTS:
            refused(await client.post(f"/sites/{site}/receipts", headers=headers, json={
                "lines": [{"part_number": "P-1", "quantity": "1"}], "occurred_at": moment}), "body.occurred_at")


async def test_kpi_windows_and_months_refuse_calendar_edges(database_url: str) -> None:
    day = Day(new_site(), "Pacific/Kiritimati", date(2026, 3, 12))
    headers = auth(["manager"], [day.site])
    app = kpi_app(KpiSettings(database_url=database_url, run_relay=False, run_consumer=False))
    async with running(app) as client:
        await feed(app.state.runtime.engine, [day.events()])
        for start, end in [("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-02"),
                           ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00+14:00")]:
            for area in ("summary", "bays", "money"):
                response = await client.get(f"/kpi/sites/{day.site}/{area}", params={"from": start, "to": end}, headers=headers)
                assert response.status_code == 422, response.text
                assert "from must be a date" in response.json()["detail"]
        for month in ("0001-01", "9999-12"):
            response = await client.get(f"/kpi/sites/{day.site}/radar", params={"month": month}, headers=headers)
            assert response.status_code == 422, response.text
            assert "month must be YYYY-MM" in response.json()["detail"]
        inside = await client.get(f"/kpi/sites/{day.site}/bays", params={"from": "2199-12-30", "to": "2199-12-31"}, headers=headers)
        assert inside.status_code == 200, inside.text


def test_the_bounds_are_declared_in_openapi(tmp_path: Path) -> None:
    spec = create("reception", f"sqlite+aiosqlite:///{tmp_path}/r.db").openapi()
    parameters = spec["paths"]["/sites/{site_id}/follow-ups"]["get"]["parameters"]
    day = next(p for p in parameters if p["name"] == "day")["schema"]
    assert day["anyOf"][0]["pattern"].startswith("^(19[7-9]"), day
    kpi = kpi_app(KpiSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/k.db")).openapi()
    parameters = kpi["paths"]["/kpi/sites/{site_id}/summary"]["get"]["parameters"]
    start = next(p for p in parameters if p["name"] == "from")["schema"]
    assert start["pattern"].startswith("^(19[7-9]"), start

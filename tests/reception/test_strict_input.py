"""Values are taken as the JSON type sent (no true for 1, no "100" for 100, no 0 for false), and an odometer never
goes back without a correction naming its reason."""

from __future__ import annotations

import re
from typing import Any

from tests.kit import new_site, running
from tests.reception.helpers import Desk, app, line, new_plate, new_vin, site_body


def refused(response: Any, field: str, why: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert f"body.{field}: Value error, {why}" in response.json()["detail"], response.json()


async def test_numbers_and_flags_are_taken_only_as_sent(database_url: str, kafka: str) -> None:
    async with running(app(database_url, kafka, run_consumer=False)) as client:
        desk = Desk(client, new_site())
        refused(await client.post("/sites", headers=desk.headers, json=site_body(desk.site, follow_up_due_days=False)),
                "follow_up_due_days", "must be a number, not true or false")
        await desk.configure()
        site = desk.site
        refused(await client.post(f"/sites/{site}/customers", headers=desk.headers,
                                  json={"name": "Li Na", "phone": "+86 138 0000 0000", "consent_marketing": 0}),
                "consent_marketing", "must be true or false")
        refused(await client.post(f"/sites/{site}/customers", headers=desk.headers,
                                  json={"name": "Li Na", "phone": "+86 138 0000 0000", "consent_contact": "yes"}),
                "consent_contact", "must be true or false")
        vehicle = {"vin": new_vin(), "plate": new_plate(), "make": "Buick", "model": "GL8", "year": 2022}
        for mileage, why in [(True, "must be a number, not true or false"), ("100", "must be a number, not text")]:
            refused(await client.post(f"/sites/{site}/vehicles", headers=desk.headers, json={**vehicle, "mileage": mileage}),
                    "mileage", why)
        refused(await client.post(f"/sites/{site}/vehicles", headers=desk.headers, json={**vehicle, "year": "2022"}),
                "year", "must be a number, not text")
        listed = await client.get(f"/sites/{site}/vehicles", headers=desk.headers)
        assert listed.json()["total"] == 0, "a refused vehicle was saved"


async def test_an_odometer_goes_back_only_as_a_correction_with_a_reason(database_url: str, kafka: str) -> None:
    async with running(app(database_url, kafka, run_consumer=False)) as client:
        desk = Desk(client, new_site())
        await desk.configure()
        vehicle = await desk.ok("POST", f"/sites/{desk.site}/vehicles", 201, json={
            "vin": new_vin(), "plate": new_plate(), "make": "Buick", "model": "GL8", "year": 2022, "mileage": 100})
        url = f"/sites/{desk.site}/vehicles/{vehicle['id']}"
        refused(await client.patch(url, headers=desk.headers, json={"mileage": False}), "mileage", "must be a number, not true or false")
        back = await client.patch(url, headers=desk.headers, json={"mileage": 0})
        assert back.status_code == 422, back.text
        assert "odometer_correction_reason" in back.json()["detail"]
        assert (await client.get(url, headers=desk.headers)).json()["mileage"] == 100
        corrected = await client.patch(url, headers=desk.headers,
                                       json={"mileage": 10, "odometer_correction_reason": "typed 100 for 10 at intake"})
        assert corrected.status_code == 200, corrected.text
        assert corrected.json()["mileage"] == 10
        assert (await client.patch(url, headers=desk.headers, json={"mileage": 12})).json()["mileage"] == 12  # forward: no reason needed


async def test_decimal_places_are_declared_in_openapi_as_they_are_enforced(database_url: str, kafka: str) -> None:
    application = app(database_url, kafka, run_consumer=False)
    hours = application.openapi()["components"]["schemas"]["JobLineCreate"]["properties"]["sold_hours"]
    assert hours["multipleOf"] == 0.01
    assert re.fullmatch(hours["pattern"], "1.25") and not re.fullmatch(hours["pattern"], "1.255")
    async with running(application) as client:
        desk = Desk(client, new_site())
        await desk.configure()
        visit = await desk.arrive((await desk.vehicle((await desk.customer())["id"]))["id"])
        body = {"visit_id": visit["id"], "mileage_in": 30100, "ro_type": "general_repair"}
        refused_ro = await client.post(f"/sites/{desk.site}/repair-orders", headers=desk.headers,
                                       json={**body, "job_lines": [line(hours="1.255")]})
        assert refused_ro.status_code == 422, refused_ro.text
        assert [e["loc"] for e in refused_ro.json()["errors"]] == [["body", "job_lines", 0, "sold_hours"]]
        assert (await desk.open_ro(visit["id"], [line(hours="1.25")]))["id"]

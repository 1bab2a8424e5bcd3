"""Input rules, supersession hints, roles and sites, idempotency: clear 4xx answers, and nothing published for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.parts.app import create_app
from shared.contracts import parts as ev
from tests.kit import EventTap, auth, new_site, running
from tests.parts.helpers import Counter, settings


async def test_bad_input_is_refused_with_a_named_problem_and_publishes_nothing(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    app = create_app(settings(f"sqlite+aiosqlite:///{tmp_path / 'parts.db'}", kafka))
    async with running(app) as client, EventTap(kafka, [ev.TOPIC], [site]) as tap:
        clerk = Counter(client, site)
        await clerk.part("NUT-1")
        await clerk.part("OIL", unit="litre")
        await clerk.receive(("NUT-1", 5), ("OIL", 10))
        url = f"/sites/{site}/parts-requests"

        async def refused(status: int, method: str, path: str, body: dict[str, object], **kwargs: object) -> dict[str, object]:
            response = await client.request(method, path, json=body, headers={**clerk.headers, **kwargs.pop("headers", {})})
            assert response.status_code == status, response.text
            assert response.headers["content-type"] == "application/problem+json"
            return response.json()

        for quantity in ("0", "-2", "0.0001"):
            problem = await refused(422, "POST", url, {"lines": [{"part_number": "NUT-1", "quantity": quantity}]})
            assert problem["type"] == "/problems/validation" and "quantity" in problem["detail"]
        pieces = await refused(422, "POST", url, {"lines": [{"part_number": "NUT-1", "quantity": "1.5"}]})
        assert pieces["type"] == "/problems/invalid-quantity" and "whole number of pieces" in pieces["detail"]
        unknown = await refused(404, "POST", url, {"lines": [{"part_number": "NUT-1", "quantity": 1},
                                                              {"part_number": "NOPE-9", "quantity": 1}]})
        assert unknown["part_number"] == "NOPE-9" and "NOPE-9" in unknown["detail"]
        assert (await refused(422, "POST", url, {"lines": []}))["type"] == "/problems/validation"
        assert (await refused(422, "POST", url, {"lines": [{"part_number": "NUT-1", "quantity": 1}], "colour": "red"}))["errors"]
        price = await refused(422, "POST", f"/sites/{site}/parts",
                              {"part_number": "X-1", "description": "x", "unit_cost": "1", "unit_price": "-0.01"})
        assert price["errors"][0]["loc"][-1] == "unit_price"
        await refused(422, "POST", f"/sites/{site}/receipts", {"lines": [{"part_number": "NUT-1", "quantity": 1, "unit_cost": "-1"}]})
        await refused(422, "POST", f"/sites/{site}/counts", {"lines": [{"part_number": "NUT-1", "counted_quantity": "2.5"}]})
        await refused(409, "POST", f"/sites/{site}/parts", {"part_number": "NUT-1", "description": "again", "unit_cost": 1,
                                                             "unit_price": 2})
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert "future" in (await refused(422, "POST", url, {"lines": [{"part_number": "NUT-1", "quantity": 1}],
                                                             "occurred_at": future}))["detail"]
        long_ago = (datetime.now(UTC) - timedelta(days=5)).isoformat()
        assert "manager" in (await refused(422, "POST", url, {"lines": [{"part_number": "NUT-1", "quantity": 1}],
                                                              "occurred_at": long_ago}))["detail"]

        # Issue: more than reserved is 409, a line of another request 422, before the request was made 422.
        made = await clerk.request(("NUT-1", 2), ("OIL", "1.25"))
        rid, (nut, oil) = made["request_id"], [line["request_line_id"] for line in made["lines"]]
        assert made["lines"][1]["reserved"] == "1.25"
        over = await refused(409, "POST", f"/parts-requests/{rid}/issue", {"lines": [{"request_line_id": nut, "quantity": 3}]})
        assert over["type"] == "/problems/not-enough-reserved"
        await refused(422, "POST", f"/parts-requests/{rid}/issue", {"lines": [{"request_line_id": "other:1", "quantity": 1}]})
        await refused(422, "POST", f"/parts-requests/{rid}/issue", {"lines": [{"request_line_id": nut, "quantity": "0.5"}]})
        early = (datetime.fromisoformat(made["requested_at"]) - timedelta(minutes=1)).isoformat()
        await refused(422, "POST", f"/parts-requests/{rid}/issue", {"occurred_at": early})
        await refused(409, "POST", f"/parts-requests/{rid}/return", {"request_line_id": oil, "quantity": "0.25"})
        stale = await refused(412, "PATCH", f"/sites/{site}/parts/NUT-1", {"unit_price": "25"}, headers={"If-Match": '"part-x-0"'})
        assert stale["type"] == "/problems/stale-etag"

        await clerk.issue(rid)
        issued = await tap.wait_for(ev.PartsIssued)
        assert [e.type for e in tap.events] == [
            ev.PartsReceived.type, ev.PartsReceived.type, ev.PartsRequestReceived.type, ev.PartsReserved.type, ev.PartsIssued.type]
        assert issued[0].data["request_fully_issued"] is True
        nut_part = await clerk.stock_of("NUT-1")
        assert (nut_part["on_hand"], nut_part["reserved"], nut_part["unit_price"]) == ("3", "0", "20")


async def test_supersession_hint_and_catalogue_changes(tmp_path: Path) -> None:
    site = new_site()
    app = create_app(settings(f"sqlite+aiosqlite:///{tmp_path / 'parts.db'}"))
    async with running(app) as client:
        clerk = Counter(client, site)
        await clerk.part("FLT-3", supersedes="FLT-2")
        await clerk.ok("PUT", f"/sites/{site}/parts/FLT-1/supersession", json={"superseded_by": "FLT-2"}, expected=404)
        await clerk.part("FLT-2")
        await clerk.ok("PUT", f"/sites/{site}/parts/FLT-1/supersession", json={"superseded_by": "FLT-2"})
        selfish = await clerk.ok("PUT", f"/sites/{site}/parts/FLT-3/supersession", json={"superseded_by": "FLT-3"}, expected=422)
        assert selfish["type"] == "/problems/invalid-supersession"
        loop = await clerk.ok("PUT", f"/sites/{site}/parts/FLT-3/supersession", json={"superseded_by": "FLT-2"}, expected=422)
        assert "FLT-3" in loop["detail"]

        gone = await clerk.ok("POST", f"/sites/{site}/parts-requests", 404, json={"lines": [{"part_number": "FLT-1", "quantity": 1}]})
        assert gone["type"] == "/problems/part-superseded"
        assert (gone["superseded_by"], gone["supersession_chain"]) == ("FLT-3", ["FLT-2", "FLT-3"])
        still_listed = await clerk.ok("POST", f"/sites/{site}/parts-requests", 404,
                                      json={"lines": [{"part_number": "FLT-2", "quantity": 1}]})
        assert still_listed["superseded_by"] == "FLT-3"
        assert (await clerk.ok("GET", f"/sites/{site}/parts/FLT-1", expected=404))["superseded_by"] == "FLT-3"
        old = await clerk.stock_of("FLT-2")
        assert (old["superseded_by"], old["supersedes"]) == ("FLT-3", ["FLT-1"])
        assert (await clerk.stock_of("FLT-3"))["supersedes"] == ["FLT-2"]
        await clerk.request(("FLT-3", 1))

        # Catalogue edits: If-Match with the current ETag works, the version moves on.
        current = await client.get(f"/sites/{site}/parts/FLT-3", headers=clerk.headers)
        changed = await client.patch(f"/sites/{site}/parts/FLT-3", json={"unit_price": "31.50", "bin_location": "B-2"},
                                     headers={**clerk.headers, "If-Match": current.headers["etag"]})
        assert changed.status_code == 200 and changed.json()["version"] == 2 and changed.json()["unit_price"] == "31.50"
        assert changed.headers["etag"] != current.headers["etag"]
        listed = await clerk.ok("GET", f"/sites/{site}/parts", params={"q": "flt-"})
        assert [p["part_number"] for p in listed["items"]] == ["FLT-2", "FLT-3"]


async def test_roles_sites_and_idempotency(tmp_path: Path) -> None:
    site, other = new_site(), new_site()
    app = create_app(settings(f"sqlite+aiosqlite:///{tmp_path / 'parts.db'}"))
    async with running(app) as client:
        clerk = Counter(client, site)
        await clerk.part("BOLT")
        await clerk.receive(("BOLT", 3))
        body = {"repair_order_id": "ro-7", "lines": [{"part_number": "BOLT", "quantity": 2}]}
        url = f"/sites/{site}/parts-requests"

        technician = auth(["technician"], [site])
        assert (await client.post(url, json=body, headers=technician)).status_code == 403
        assert (await client.get(f"/sites/{site}/parts/BOLT", headers=technician)).status_code == 200
        stranger = auth(["parts"], [other])
        assert (await client.post(url, json=body, headers=stranger)).status_code == 403
        assert (await client.get(f"/sites/{site}/parts", headers=stranger)).status_code == 403
        assert (await client.post(url, json=body)).status_code == 401

        keyed = {**clerk.headers, "Idempotency-Key": "tablet-42"}
        first = await client.post(url, json=body, headers=keyed)
        again = await client.post(url, json=body, headers=keyed)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        assert (await client.post(url, json={**body, "job_id": "j"}, headers=keyed)).status_code == 422
        assert (await clerk.ok("GET", url))["total"] == 1
        assert (await clerk.stock_of("BOLT"))["reserved"] == "2"

        rid = first.json()["request_id"]
        assert (await client.get(f"/parts-requests/{rid}", headers=stranger)).status_code == 404
        assert (await client.post(f"/parts-requests/{rid}/issue", json={}, headers=stranger)).status_code == 404
        assert (await client.get(f"/parts-requests/{rid}", headers=technician)).json()["lines"][0]["reserved"] == "2"
        manager = auth(["manager"], [site])
        backdated = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
        response = await client.post(f"/sites/{site}/receipts", headers=manager,
                                     json={"lines": [{"part_number": "BOLT", "quantity": 1}], "occurred_at": backdated.isoformat()})
        assert response.status_code == 201 and datetime.fromisoformat(response.json()["received_at"]) == backdated

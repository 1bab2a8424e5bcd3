"""Action endpoints as a newcomer meets them: a body may be left out, and the allowed actions are the ones that succeed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.kpi.app import create_app as kpi_app
from services.parts.app import create_app as parts_app
from services.reception.app import create_app as reception_app
from services.workshop.app import create_app as workshop_app
from tests.kit import new_site, running
from tests.reception.helpers import Desk, app, line

# Creations whose body names what is created (an arrival names its vehicle or appointment); the OEM webhook is signed raw bytes.
NOT_ACTIONS = {"/sites/{site_id}/arrivals", "/warranty/webhooks/oem"}


def sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'reception.db'}"


@pytest.mark.parametrize("create_app", [reception_app, workshop_app, parts_app, kpi_app], ids=["reception", "workshop", "parts", "kpi"])
def test_every_action_whose_fields_are_all_optional_takes_no_body(create_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITWALL_DATA_DIR", str(tmp_path))
    spec = create_app().openapi()
    schemas = spec["components"]["schemas"]
    demanding = []
    for path, operations in spec["paths"].items():
        body = operations.get("post", {}).get("requestBody")
        if body is None or path in NOT_ACTIONS:
            continue
        name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        if not schemas[name].get("required") and body.get("required"):
            demanding.append(path)
    assert demanding == []


async def test_request_approval_cancel_and_invoice_need_no_body(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        await desk.configure()
        ro = await desk.walk_in_ro([line("BRK01")])
        asked = await client.post(f"/repair-orders/{ro['id']}/request-approval", headers=desk.headers)
        assert asked.status_code == 200, asked.text
        assert (asked.json()["state"], [x["status"] for x in asked.json()["lines"]]) == ("awaiting_approval", ["proposed"])
        early = await client.post(f"/repair-orders/{ro['id']}/invoice", headers=desk.headers)
        assert early.status_code == 409 and early.json()["state"] == "awaiting_approval"
        cancelled = await client.post(f"/repair-orders/{ro['id']}/cancel", headers=desk.headers)
        assert (cancelled.status_code, cancelled.json()["state"], cancelled.json()["cancel_reason"]) == (200, "cancelled", "")


async def test_allowed_actions_are_exactly_those_that_succeed(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with running(app(sqlite(tmp_path), kafka, run_relay=False, run_consumer=False)) as client:
        desk = Desk(client, site)
        await desk.configure()
        empty = await desk.walk_in_ro([])
        assert empty["allowed_actions"] == ["add_line", "change_details", "cancel", "flag_comeback"]
        nothing_to_ask = await client.post(f"/repair-orders/{empty['id']}/request-approval", headers=desk.headers, json={})
        assert nothing_to_ask.status_code == 409
        assert (nothing_to_ask.json()["state"], nothing_to_ask.json()["allowed"]) == ("open", empty["allowed_actions"])

        ro = await desk.ok("POST", f"/repair-orders/{empty['id']}/lines", 201, json=line("BRK01"))
        assert ro["allowed_actions"] == ["add_line", "change_line", "remove_line", "request_approval", "change_details", "cancel",
                                         "flag_comeback"]
        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/request-approval", json={})
        assert ro["allowed_actions"] == ["add_line", "change_line", "remove_line", "change_details", "approve_line", "decline_line",
                                         "cancel", "flag_comeback"]
        again = await client.post(f"/repair-orders/{ro['id']}/request-approval", headers=desk.headers, json={})
        assert again.status_code == 409 and again.json()["allowed"] == ro["allowed_actions"]

        brakes = ro["lines"][0]["id"]
        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/lines/{brakes}/decline", json={"by": "Wang", "method": "phone"})
        assert "request_approval" in ro["allowed_actions"] and "change_line" not in ro["allowed_actions"]
        only_declined = await client.post(f"/repair-orders/{ro['id']}/request-approval", headers=desk.headers, json={})
        assert only_declined.status_code == 409 and "job_line_ids" in only_declined.json()["detail"]
        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/request-approval", json={"job_line_ids": [brakes]})
        assert ro["lines"][0]["status"] == "proposed"

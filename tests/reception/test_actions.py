"""Action endpoints as a newcomer meets them: a body whose fields are all optional may be left out."""

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


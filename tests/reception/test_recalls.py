"""The recall check at check-in: campaigns found, none, or 'unknown' when the OEM port is too slow — never a failed check-in."""

from __future__ import annotations

import json
import time
from pathlib import Path

from shared.contracts import reception as rc
from tests.kit import EventTap, new_site, running
from tests.reception.helpers import Desk, app, line, new_vin


def sqlite(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'reception.db'}"


async def test_a_recall_port_that_times_out_gives_unknown_and_the_check_in_still_succeeds(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    vin = new_vin("LFV3A2")
    slow = app(sqlite(tmp_path), kafka, run_consumer=False, recall_campaigns={vin: [{"number": "R-1"}]},
               recall_delay_seconds=30, recall_timeout_seconds=0.3)
    async with running(slow) as client, EventTap(kafka, [rc.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure()
        customer = await desk.customer()
        vehicle = await desk.vehicle(customer["id"], vin=vin)
        started = time.monotonic()
        visit = await desk.arrive(vehicle["id"])
        assert time.monotonic() - started < 5
        assert (visit["recall_status"], visit["recall_campaigns"]) == ("unknown", [])
        queue = await desk.ok("GET", f"/sites/{site}/reception-queue")
        assert [e["visit"]["id"] for e in queue["items"]] == [visit["id"]]
        ro = await desk.open_ro(visit["id"], [line()])
        assert ro["recall_status"] == "unknown"
        await tap.wait_for(rc.RepairOrderOpened)
        checked = tap.of(rc.RecallChecked)
        assert [(e.data["visit_id"], e.data["status"], e.data["campaign_numbers"]) for e in checked] == [(visit["id"], "unknown", [])]


async def test_campaigns_from_a_json_file_by_vin_prefix_and_none_for_other_vins(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    recalled = new_vin("LVSHCA")
    campaigns = tmp_path / "campaigns.json"
    campaigns.write_text(json.dumps({recalled[:11]: [{"number": "C-2026-04", "title": "Fuel pump"}, {"number": "C-2025-11"}]}))
    service = app(sqlite(tmp_path), kafka, run_consumer=False, recall_campaigns_file=campaigns)
    async with running(service) as client, EventTap(kafka, [rc.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure()
        hit = await desk.arrive((await desk.vehicle(vin=recalled))["id"])
        other_vin = new_vin("WDB")
        miss = await desk.arrive((await desk.vehicle(vin=other_vin))["id"])
        assert hit["recall_status"] == "open_campaigns"
        assert hit["recall_campaigns"] == [{"number": "C-2025-11", "title": ""}, {"number": "C-2026-04", "title": "Fuel pump"}]
        assert (miss["recall_status"], miss["recall_campaigns"]) == ("none", [])
        fetched = await desk.ok("GET", f"/sites/{site}/arrivals/{hit['id']}")
        assert fetched["recall_status"] == "open_campaigns"
        await tap.wait_for(rc.RecallChecked, 2)
        assert [(e.data["status"], e.data["campaign_numbers"], e.data["vin"]) for e in tap.of(rc.RecallChecked)] == [
            ("open_campaigns", ["C-2025-11", "C-2026-04"], recalled), ("none", [], other_vin)]


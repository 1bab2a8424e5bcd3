"""Recalls from the OEM at check-in: an open campaign becomes a suggested warranty job line, the lookup is cached for
the day and bounded by a timeout; the campaign job is claimed and paid."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.kit import eventually, new_site
from tests.reception.helpers import Desk, iso, new_vin
from tests.warranty.support import claim_status, claims_of, clerk, finish, ok, recalls_file, stack


async def test_an_open_campaign_at_check_in_becomes_a_suggested_job_line_and_a_paid_claim(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    recalled, clean, slow = new_vin("LVSHCA"), new_vin("LVSHCB"), new_vin("LVSHCC")
    campaigns = {recalled: [{"campaign_number": "R-2026-01", "title": "Airbag inflator replacement", "op_code": "69R201",
                             "sold_hours": "1.2"}],
                 slow: [{"campaign_number": "R-2026-09", "title": "Seat belt", "op_code": "70R909", "sold_hours": "0.4"}]}
    oem = {"recalls_file": str(recalls_file(tmp_path, campaigns))}
    async with stack(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", kafka, oem=oem) as s:
        desk = Desk(s.dealer, site)
        await desk.configure()
        customer = await desk.customer()
        vehicle = await desk.vehicle(customer["id"], vin=recalled)
        t0 = (datetime.now(UTC) - timedelta(hours=6)).replace(minute=0, second=0, microsecond=0)  # t0 + 10 min: the same day
        visit = await desk.arrive(vehicle["id"], at=t0)
        suggestion = {"op_code": "69R201", "description": "Airbag inflator replacement", "complaint": "Open recall / field campaign R-2026-01",
                      "pay_type": "warranty", "sold_hours": "1.2", "campaign_number": "R-2026-01"}
        assert (visit["recall_status"], visit["recall_campaigns"]) == (
            "open_campaigns", [{"number": "R-2026-01", "title": "Airbag inflator replacement"}])
        assert visit["suggested_lines"] == [suggestion]

        ro = await desk.open_ro(visit["id"], [], at=t0 + timedelta(minutes=5), ro_type="warranty", mileage_in=42_000)
        assert ro["suggested_lines"] == [suggestion]
        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/lines", 201, json={**suggestion, "occurred_at": iso(t0 + timedelta(minutes=6))})
        assert [(x["op_code"], x["pay_type"], x["campaign_number"], x["sold_hours"]) for x in ro["lines"]] == [
            ("69R201", "warranty", "R-2026-01", "1.2")]
        assert ro["suggested_lines"] == []

        other = await desk.arrive((await desk.vehicle(vin=clean))["id"])
        assert (other["recall_status"], other["suggested_lines"]) == ("none", [])
        again = await desk.arrive(vehicle["id"], at=t0 + timedelta(minutes=10))  # back the same day: the OEM is not asked again
        assert (again["recall_status"], again["suggested_lines"]) == ("open_campaigns", [suggestion])
        lookups = [r for r in (await s.received())["requests"] if r["kind"] == "recall_lookup"]
        assert [(r["vin"], r["outcome"]) for r in lookups] == [(recalled, "ok"), (clean, "ok")]

        await s.fault("timeout", delay_seconds=5)
        started = time.monotonic()
        unknown = await desk.arrive((await desk.vehicle(vin=slow))["id"])
        assert time.monotonic() - started < 4  # bounded by recall_timeout_seconds, not the OEM's hang
        assert (unknown["recall_status"], unknown["suggested_lines"]) == ("unknown", [])
        await s.fault("none")

        # the campaign job is done and invoiced: its claim needs nothing from the clerk, and the OEM pays it
        finished = await finish(desk, kafka, ro, t0, recalled)
        [claim] = await claims_of(s.dealer, site, finished.ro["id"])
        assert (claim["status"], claim["campaign_number"], claim["problems"]) == ("validated", "R-2026-01", [])
        await ok(s.dealer, "POST", f"/warranty/claims/{claim['id']}/submit", 202, json={}, headers=clerk(site))
        paid = await eventually(lambda: claim_status(s.dealer, site, claim["id"], "paid"), timeout=30)
        assert paid["approved_amount"] == "360.00"  # 1.2 h at 300

"""What a claim still lacks, said exactly; bad corrections refused with nothing saved; per-RO claims and campaign claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.reception.app import create_app
from tests.kit import auth, new_site, running
from tests.reception.helpers import Desk, line
from tests.warranty.support import claims_of, clerk, from_now_on, ok, reception_settings, warranty_ro

NOWHERE = "http://127.0.0.1:9"  # an OEM that never answers: nothing here reaches it


async def app(tmp_path: Path, kafka: str, **overrides: Any) -> Any:
    settings = reception_settings(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", kafka, NOWHERE, f"wv-{new_site()}", **overrides)
    await from_now_on(settings)
    return create_app(settings)


def codes(claim: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["field"], p["code"]) for p in claim["problems"]]


async def test_every_missing_thing_is_named_and_bad_corrections_change_nothing(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    service = await app(tmp_path, kafka, oem_submission_deadline_days=3, oem_authorisation_required_above="500")
    async with running(service) as client:
        desk = Desk(client, site)  # a manager may backdate: the repair was five days ago
        await desk.configure()
        done = await warranty_ro(desk, kafka, start=datetime.now(UTC) - timedelta(days=5), deliver=False)
        [claim] = await claims_of(client, site, done.ro["id"])
        closed_on = claim["repair_closed_on"]
        assert codes(claim) == [
            ("mileage_out", "mileage_out_missing"), ("repair_closed_on", "submission_deadline_passed"), ("cause", "text_missing"),
            ("causal_part_number", "causal_part_missing"), ("condition_code", "code_missing"), ("defect_code", "code_missing"),
            ("authorisation_number", "authorisation_missing"),
        ]
        messages = {p["code"]: p["message"] for p in claim["problems"]}
        late = (datetime.now(UTC).date() - datetime.fromisoformat(closed_on).date()).days
        assert messages["submission_deadline_passed"] == (
            f"the repair closed on {closed_on}, {late} days ago; the OEM takes claims up to 3 days after the repair")
        assert messages["authorisation_missing"] == (
            "the claim is for 630.00, above 500: the OEM's prior authorisation number is required")
        assert messages["text_missing"] == "the cause text is empty (the 3C: complaint, cause, correction)"
        assert messages["mileage_out_missing"] == "mileage out is missing: deliver the vehicle or enter it"

        url = f"/warranty/claims/{claim['id']}"
        wrong = await ok(client, "PATCH", url, json={"causal_part_number": "XYZ-1", "mileage_out": 41_000, "cause": "  "},
                         headers=clerk(site))
        assert ("causal_part_number", "causal_part_not_on_claim") in codes(wrong)
        assert ("mileage_out", "mileage_out_below_in") in codes(wrong) and ("cause", "text_missing") in codes(wrong)
        assert {p["code"]: p["message"] for p in wrong["problems"]}["causal_part_not_on_claim"] == (
            "causal part XYZ-1 is not among the claim's parts (06H121026)")

        submitted = await client.post(f"{url}/submit", json={}, headers=clerk(site))
        assert submitted.status_code == 422 and submitted.headers["content-type"] == "application/problem+json"
        assert [(p["field"], p["code"]) for p in submitted.json()["problems"]] == codes(wrong)
        assert submitted.json()["detail"].startswith("the claim cannot be submitted: ")

        for body in ({"mileage_out": -5}, {"colour": "red"}, {"complaint": None}, {"failure_date": "yesterday"},
                     {"cause": "x" * 1001}):
            answer = await client.patch(url, json=body, headers=clerk(site))
            assert answer.status_code == 422, (body, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
        stale = await client.patch(url, json={"cause": "Seal"}, headers={**clerk(site), "If-Match": '"warranty-claim-x-1"'})
        assert stale.status_code == 412
        assert (await client.patch(url, json={"cause": "Seal"}, headers=auth(["technician"], [site]))).status_code == 403
        assert (await client.get(url, headers=auth(["warranty"], [new_site()]))).status_code == 404
        assert (await client.get(f"/sites/{site}/warranty/claims", headers=auth(["warranty"], [new_site()]))).status_code == 403
        assert (await ok(client, "GET", url, headers=clerk(site)))["version"] == wrong["version"]

        listed = await ok(client, "GET", f"/sites/{site}/warranty/claims", params={"status": "draft"}, headers=clerk(site))
        assert [(c["id"], c["problem_count"]) for c in listed["items"]] == [(claim["id"], len(wrong["problems"]))]
        assert (await ok(client, "GET", f"/sites/{site}/warranty/claims", params={"status": "paid"}, headers=clerk(site)))["total"] == 0

        abandoned = await ok(client, "POST", f"{url}/close", json={"reason": "submission deadline passed"}, headers=clerk(site))
        assert (abandoned["status"], abandoned["allowed_actions"], abandoned["problems"]) == ("closed", [], [])
        late_fix = await client.patch(url, json={"cause": "Seal"}, headers=clerk(site))
        assert late_fix.status_code == 409 and (late_fix.json()["state"], late_fix.json()["allowed"]) == ("closed", [])


async def test_one_claim_per_repair_order_with_a_campaign_job_claimed_on_its_own(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    service = await app(tmp_path, kafka, oem_sites={site: {"claim_per": "repair_order", "dealer_code": "D-0815"}})
    async with running(service) as client:
        desk = Desk(client, site)
        await desk.configure()
        done = await warranty_ro(desk, kafka, lines=[
            line("10-21-00", "1.5", description="Replace water pump", complaint="Coolant leak", pay_type="warranty"),
            line("10-30-00", "0.5", description="Replace thermostat", complaint="Runs cold", pay_type="warranty"),
            line("69R201", "1.2", description="Airbag inflator replacement", pay_type="warranty", campaign_number="R-2026-01"),
            line("WASH", "0.3", description="Wash", pay_type="customer"),
        ])
        repair, campaign = sorted(await claims_of(client, site, done.ro["id"]), key=lambda c: c["campaign_number"] or "")
        assert [(x["op_code"], x["sold_hours"], x["actual_hours"]) for x in repair["labour"]] == [
            ("10-21-00", "1.5", "2"), ("10-30-00", "0.5", "0.8")]
        assert (repair["dealer_code"], repair["complaint"], repair["correction"]) == (
            "D-0815", "Coolant leak; Runs cold", "Replace water pump; Replace thermostat")
        assert repair["amounts"]["labour"] == "600.00" and repair["parts"][0]["part_number"] == "06H121026"
        assert repair["status"] == "draft"

        assert (campaign["campaign_number"], campaign["labour"][0]["op_code"], campaign["parts"]) == ("R-2026-01", "69R201", [])
        assert campaign["cause"] == "Vehicle covered by campaign R-2026-01" and campaign["problems"] == []
        assert campaign["status"] == "validated"  # a campaign needs no causal part nor condition and defect codes
        assert sorted(done.job_ids[:3]) == sorted(repair["job_line_ids"] + campaign["job_line_ids"])

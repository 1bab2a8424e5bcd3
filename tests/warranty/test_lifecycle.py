"""A claim's whole life against the OEM simulator, both ways over real HTTP: invoice → draft → corrected → submitted →
accepted → paid → closed; and returned for correction → resubmitted, and rejected."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.contracts import warranty as wy
from tests.kit import EventTap, eventually, new_site
from tests.reception.helpers import Desk, line
from tests.warranty.support import Stack, claim_status, claims_of, clerk, ok, stack, warranty_ro

MISSING = {
    "cause": "Water pump seal worn", "causal_part_number": "06H121026", "condition_code": "C12", "defect_code": "D45",
}


async def complete(s: Stack, site: str, claim: dict[str, Any], **more: Any) -> dict[str, Any]:
    """The clerk fills in what the RO could not know."""
    return await ok(s.dealer, "PATCH", f"/warranty/claims/{claim['id']}", json={**MISSING, **more}, headers=clerk(site))


async def test_a_claim_from_invoice_to_payment_over_http(database_url: str, kafka: str) -> None:
    site = new_site()
    async with stack(database_url, kafka) as s, EventTap(kafka, [wy.TOPIC], [site]) as tap:
        desk = Desk(s.dealer, site)
        await desk.configure()
        done = await warranty_ro(desk, kafka, sublets=[
            {"description": "Coolant disposal", "pay_type": "warranty", "amount": "40", "cost": "30"},
            {"description": "Car wash", "pay_type": "customer", "amount": "20", "cost": "5"},
        ])
        [claim] = await claims_of(s.dealer, site, done.ro["id"])
        assert claim["status"] == "draft"
        assert (claim["dealer_code"], claim["vin"], claim["ro_number"]) == ("D-4711", done.vin, done.ro["ro_number"])
        assert (claim["mileage_in"], claim["mileage_out"]) == (42_000, 42_003)  # the delivery's mileage reached the claim
        assert claim["labour"] == [{"job_line_id": done.job_ids[0], "op_code": "10-21-00", "description": "Replace water pump",
                                    "sold_hours": "1.5", "actual_hours": "2"}]
        assert sorted((c["technician_id"], c["hours"]) for c in claim["time_cards"]) == [("T-7", "1.5"), ("T-9", "0.5")]
        assert claim["parts"] == [{"part_number": "06H121026", "quantity": "1", "unit_price": "180.00", "amount": "180.00", "causal": False}]
        assert claim["sublet"] == [{"description": "Coolant disposal", "amount": "40.00", "invoice_ref": None}]
        assert claim["amounts"] == {"labour": "450.00", "parts": "180.00", "sublet": "40.00", "total": "670.00"}
        assert (claim["complaint"], claim["cause"], claim["correction"]) == ("Coolant leak under the engine", "", "Replace water pump")
        assert claim["repaired_at"] == done.ro["ready_at"]
        assert [(p["field"], p["code"]) for p in claim["problems"]] == [
            ("cause", "text_missing"), ("causal_part_number", "causal_part_missing"),
            ("condition_code", "code_missing"), ("defect_code", "code_missing"),
        ]
        assert claim["allowed_actions"] == ["correct", "submit", "close"]

        refused = await s.dealer.post(f"/warranty/claims/{claim['id']}/submit", json={}, headers=clerk(site))
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        assert [p["code"] for p in refused.json()["problems"]] == [p["code"] for p in claim["problems"]]
        assert "no causal part: flag the part that failed (one of: 06H121026)" in refused.json()["detail"]
        assert (await claims_of(s.dealer, site, done.ro["id"]))[0]["version"] == claim["version"]

        fixed = await complete(s, site, claim)
        assert (fixed["status"], fixed["problems"], fixed["parts"][0]["causal"]) == ("validated", [], True)
        queued = await ok(s.dealer, "POST", f"/warranty/claims/{claim['id']}/submit", 202, json={}, headers=clerk(site))
        assert queued["status"] == "validated" and queued["submission_status"]["pending"] is True
        assert queued["allowed_actions"] == []

        paid = await eventually(lambda: claim_status(s.dealer, site, claim["id"], "paid"), timeout=30)
        assert paid["oem_reference"].startswith("OEM-") and paid["submission"] == 1
        assert (paid["approved_amount"], paid["paid_amount"]) == ("670.00", "670.00")
        assert paid["payment_reference"].startswith("PAY-")
        assert paid["submission_status"]["pending"] is False and paid["submission_status"]["outcome"] == "taken_in"
        assert (await s.received())["accepted_submissions"] == {claim["id"]: 1}

        closed = await ok(s.dealer, "POST", f"/warranty/claims/{claim['id']}/close", json={"reason": "reconciled"},
                          headers=clerk(site))
        assert closed["status"] == "closed" and closed["close_reason"] == "reconciled"

        await tap.wait_for(wy.ClaimClosed)
        mine = [e for e in tap.events if e.data["claim_id"] == claim["id"]]
        assert [(e.type.split(".")[3], e.data["status"]) for e in mine] == [
            ("drafted", "draft"), ("corrected", "draft"), ("corrected", "validated"), ("validated", "validated"),
            ("submitted", "submitted"), ("accepted", "accepted"), ("paid", "paid"), ("closed", "closed"),
        ]
        assert mine[1].data["changed_fields"] == ["mileage_out"]
        assert all(datetime.fromisoformat(e.data["repaired_at"]) == datetime.fromisoformat(done.ro["ready_at"]) for e in mine)
        assert {Decimal(e.data["claimed_amount"]) for e in mine} == {Decimal("670")}
        assert Decimal(mine[-1].data["paid_amount"]) == Decimal("670") and mine[-1].data["closed_from"] == "paid"
        assert mine[4].data["submission"] == 1 and Decimal(mine[0].data["actual_hours"]) == 2


async def test_returned_for_correction_then_resubmitted_and_a_rejection(tmp_path: Any, kafka: str) -> None:
    site = new_site()
    # the OEM wants an authorisation above 500 that our profile does not know about; it does not cover op 99-00-00
    oem = {"authorisation_required_above": "500", "reject_op_codes": ["99-00-00"]}
    async with stack(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", kafka, oem=oem, oem_authorisation_required_above=None) as s, \
            EventTap(kafka, [wy.TOPIC], [site]) as tap:
        desk = Desk(s.dealer, site)
        await desk.configure()
        big = await warranty_ro(desk, kafka)
        odd = await warranty_ro(desk, kafka, lines=[line("99-00-00", "1", complaint="Rattle", pay_type="warranty")])
        [returned], [rejected] = await claims_of(s.dealer, site, big.ro["id"]), await claims_of(s.dealer, site, odd.ro["id"])
        for claim in (returned, rejected):
            await complete(s, site, claim)
            await ok(s.dealer, "POST", f"/warranty/claims/{claim['id']}/submit", 202, json={}, headers=clerk(site))

        back = await eventually(lambda: claim_status(s.dealer, site, returned["id"], "returned"), timeout=30)
        assert back["reason_code"] == "authorisation_required" and "prior authorisation" in back["reason"]
        assert back["allowed_actions"] == ["correct", "close"]
        again = await s.dealer.post(f"/warranty/claims/{returned['id']}/submit", json={}, headers=clerk(site))
        assert again.status_code == 409 and again.json()["state"] == "returned"

        corrected = await ok(s.dealer, "PATCH", f"/warranty/claims/{returned['id']}", json={"authorisation_number": "AUTH-77"},
                             headers={**clerk(site), "If-Match": f'"warranty-claim-{back["id"]}-{back["version"]}"'})
        assert corrected["status"] == "validated"
        await ok(s.dealer, "POST", f"/warranty/claims/{returned['id']}/submit", 202, json={}, headers=clerk(site))
        paid = await eventually(lambda: claim_status(s.dealer, site, returned["id"], "paid"), timeout=30)
        assert (paid["submission"], paid["approved_amount"]) == (2, "630.00")

        no = await eventually(lambda: claim_status(s.dealer, site, rejected["id"], "rejected"), timeout=30)
        assert no["reason_code"] == "op_code_not_covered"
        closed = await ok(s.dealer, "POST", f"/warranty/claims/{rejected['id']}/close", json={"reason": "customer informed"},
                          headers=clerk(site))
        assert closed["status"] == "closed"
        assert (await s.received())["accepted_submissions"] == {returned["id"]: 2, rejected["id"]: 1}

        await tap.wait_for(wy.ClaimClosed)
        await tap.wait_for(wy.ClaimPaid)
        steps = [(e.type.split(".")[3], e.data.get("submission")) for e in tap.events if e.data["claim_id"] == returned["id"]]
        assert [x for x in steps if x[0] in ("submitted", "returned", "corrected", "validated", "accepted", "paid")][-7:] == [
            ("submitted", 1), ("returned", None), ("corrected", None), ("validated", None), ("submitted", 2), ("accepted", None),
            ("paid", None),
        ]
        assert [e.data["closed_from"] for e in tap.of(wy.ClaimClosed)] == ["rejected"]


async def test_a_claim_the_oem_refuses_at_intake_is_a_draft_again_with_the_oems_reasons(tmp_path: Any, kafka: str) -> None:
    site = new_site()
    async with stack(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", kafka) as s, EventTap(kafka, [wy.TOPIC], [site]) as tap:
        desk = Desk(s.dealer, site)
        await desk.configure()
        # a campaign number the OEM has no open campaign for on this VIN: only the OEM can tell
        done = await warranty_ro(desk, kafka, parts=[], lines=[
            line("69R201", "1.2", description="Airbag inflator", pay_type="warranty", campaign_number="R-1999-99")])
        [claim] = await claims_of(s.dealer, site, done.ro["id"])
        assert (claim["status"], claim["problems"]) == ("validated", [])
        await ok(s.dealer, "POST", f"/warranty/claims/{claim['id']}/submit", 202, json={}, headers=clerk(site))

        refused = await eventually(lambda: claim_status(s.dealer, site, claim["id"], "draft"), timeout=30)
        assert [(p["field"], p["code"]) for p in refused["problems"]] == [("campaign_number", "campaign_not_open")]
        assert refused["submission_status"]["outcome"] == "refused" and "422" in refused["submission_status"]["last_error"]
        again = await s.dealer.post(f"/warranty/claims/{claim['id']}/submit", json={}, headers=clerk(site))
        assert again.status_code == 422 and "nothing was corrected" in again.json()["detail"]
        assert (await s.received())["accepted_submissions"] == {}

        event = (await tap.wait_for(wy.ClaimSubmissionRefused))[0]
        assert (event.data["status"], event.data["problems"][0]["code"]) == ("draft", "campaign_not_open")

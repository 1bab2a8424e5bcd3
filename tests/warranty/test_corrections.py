"""The clerk's corrections: a labour-only claim waiving its causal part through to the OEM's payment; parts and sublet
lines replaced, the claimed amount and the problems following; bad input and late corrections refused, nothing changed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from shared.contracts import warranty as wy
from tests.kit import EventTap, eventually, new_site, running
from tests.reception.helpers import Desk, line
from tests.warranty.support import claim_status, claims_of, clerk, ok, stack, warranty_ro
from tests.warranty.test_validation import app, codes

REASON = "ECU software update per TSB 24-011; no part failed"
REFLASH = line("01-RF-00", "0.8", description="Reflash engine control unit", complaint="Engine warning light on",
               pay_type="warranty")


def if_match(claim: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"warranty-claim-{claim["id"]}-{claim["version"]}"'}


async def refused(client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str], status: int = 422) -> Any:
    """PATCH that must be refused with a problem document; the problem."""
    answer = await client.patch(url, json=body, headers=headers)
    assert answer.status_code == status, (body, answer.status_code, answer.text)
    assert answer.headers["content-type"] == "application/problem+json"
    return answer.json()


async def test_a_labour_only_claim_waives_its_causal_part_and_is_paid_by_the_oem(database_url: str, kafka: str) -> None:
    site = new_site()
    async with stack(database_url, kafka) as s, EventTap(kafka, [wy.TOPIC], [site]) as tap:
        desk = Desk(s.dealer, site)
        await desk.configure()
        done = await warranty_ro(desk, kafka, parts=[], lines=[REFLASH])
        [claim] = await claims_of(s.dealer, site, done.ro["id"])
        url, headers = f"/warranty/claims/{claim['id']}", clerk(site)
        assert (claim["parts"], claim["causal_part_waived"]) == ([], False)
        assert ("causal_part_number", "causal_part_missing") in codes(claim)
        blocked = await s.dealer.post(f"{url}/submit", json={}, headers=headers)
        assert blocked.status_code == 422
        assert "no causal part: flag the part that failed (no part was issued to this job: for a labour-only repair, " \
               "waive the causal part and say why)" in blocked.json()["detail"]

        no_reason = await refused(s.dealer, url, {"causal_part_waived": True}, headers)
        assert [(p["field"], p["code"]) for p in no_reason["problems"]] == [
            ("causal_part_waiver_reason", "causal_part_waiver_reason_missing")]
        assert (await ok(s.dealer, "GET", url, headers=headers))["version"] == claim["version"]

        waived = await ok(s.dealer, "PATCH", url, headers={**headers, **if_match(claim)}, json={
            "cause": "Engine control software fault", "condition_code": "C07", "defect_code": "D90",
            "causal_part_waived": True, "causal_part_waiver_reason": REASON,
        })
        assert (waived["status"], waived["problems"], waived["causal_part_waiver_reason"]) == ("validated", [], REASON)
        assert waived["causal_part_waived"] is True and waived["causal_part_number"] is None
        await ok(s.dealer, "POST", f"{url}/submit", 202, json={}, headers=headers)
        late = await refused(s.dealer, url, {"causal_part_waived": False}, headers, status=409)
        assert "correct" not in late["allowed"]  # queued for the OEM, or already taken in (and maybe decided)

        paid = await eventually(lambda: claim_status(s.dealer, site, claim["id"], "paid"), timeout=30)
        assert (paid["claimed_amount"], paid["approved_amount"], paid["paid_amount"]) == ("240.00", "240.00", "240.00")
        assert (paid["causal_part_waived"], paid["causal_part_waiver_reason"]) == (True, REASON)
        assert (await s.received())["accepted_submissions"] == {claim["id"]: 1}
        after = await refused(s.dealer, url, {"parts": [{"part_number": "X", "quantity": "1", "unit_price": "1"}]}, headers, 409)
        assert (after["state"], after["allowed"]) == ("paid", ["close"])

        await tap.wait_for(wy.ClaimPaid)
        corrected = [e for e in tap.of(wy.ClaimCorrected) if e.data["claim_id"] == claim["id"]]
        assert corrected[-1].data["changed_fields"] == [
            "causal_part_waived", "causal_part_waiver_reason", "cause", "condition_code", "defect_code"]
        assert corrected[-1].data["status"] == "validated"


BAD = [
    {"parts": [{"part_number": "06H121026", "quantity": "0", "unit_price": "180"}]},
    {"parts": [{"part_number": "06H121026", "quantity": "-1", "unit_price": "180"}]},
    {"parts": [{"part_number": "06H121026", "quantity": "1", "unit_price": "-0.01"}]},
    {"parts": [{"part_number": "06H121026", "quantity": "1", "unit_price": "1.234"}]},
    {"parts": [{"part_number": "06H121026", "quantity": "1", "unit_price": "NaN"}]},
    {"parts": [{"part_number": "", "quantity": "1", "unit_price": "1"}]},
    {"parts": [{"part_number": "06H121026", "quantity": "1", "unit_price": "1", "causal": "yes"}]},
    {"parts": [{"part_number": "06H121026", "quantity": "1", "unit_price": "1", "amount": "1"}]},
    {"parts": None},
    {"sublet": [{"description": "Towing", "amount": "-5"}]},
    {"sublet": [{"description": " ", "amount": "5"}]},
    {"sublet": [{"description": "Towing", "amount": "5.001", "invoice_ref": "INV-1"}]},
    {"status": "paid"}, {"approved_amount": "630"}, {"paid_amount": "630"}, {"claimed_amount": "1"},
    {"causal_part_waived": None}, {"causal_part_waiver_reason": "no part failed"},
    {"parts": [{"part_number": "A", "quantity": "1", "unit_price": "1", "causal": True},
               {"part_number": "B", "quantity": "1", "unit_price": "1", "causal": True}]},
    {"causal_part_number": "06H121026", "parts": [{"part_number": "G13", "quantity": "1", "unit_price": "1", "causal": True}]},
]


async def test_parts_and_sublet_lines_are_corrected_and_bad_input_changes_nothing(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    service = await app(tmp_path, kafka, oem_authorisation_required_above="650")
    async with running(service) as client, EventTap(kafka, [wy.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure()
        done = await warranty_ro(desk, kafka)
        [claim] = await claims_of(client, site, done.ro["id"])
        url, headers = f"/warranty/claims/{claim['id']}", clerk(site)
        assert claim["amounts"]["total"] == "630.00" and ("causal_part_number", "causal_part_missing") in codes(claim)

        with_parts = await refused(client, url, {"causal_part_waived": True, "causal_part_waiver_reason": REASON}, headers)
        assert [(p["field"], p["code"]) for p in with_parts["problems"]] == [("causal_part_waived", "causal_part_waiver_with_parts")]
        assert with_parts["detail"] == ("the claim has parts (06H121026): a claim with parts cannot waive its causal part; "
                                        "flag the part that failed")
        for body in BAD:
            await refused(client, url, body, headers)
        assert await ok(client, "GET", url, headers=headers) == claim

        fixed = await ok(client, "PATCH", url, headers={**headers, **if_match(claim)}, json={
            "parts": [{"part_number": "06H121026", "quantity": "1", "unit_price": "180", "causal": True},
                      {"part_number": "G13", "quantity": "2", "unit_price": "12.5"}],
            "sublet": [{"description": "Coolant disposal", "amount": "40", "invoice_ref": "INV-88"}],
        })
        assert fixed["amounts"] == {"labour": "450.00", "parts": "205.00", "sublet": "40.00", "total": "695.00"}
        assert fixed["claimed_amount"] == "695.00" and fixed["causal_part_number"] == "06H121026"
        assert [(p["part_number"], p["amount"], p["causal"]) for p in fixed["parts"]] == [
            ("06H121026", "180.00", True), ("G13", "25.00", False)]
        assert fixed["sublet"] == [{"description": "Coolant disposal", "amount": "40.00", "invoice_ref": "INV-88"}]
        assert ("causal_part_number", "causal_part_missing") not in codes(fixed)
        assert ("authorisation_number", "authorisation_missing") in codes(fixed)  # 695 is above the OEM's 650
        assert (await client.patch(url, json={"cause": "Seal"}, headers={**headers, **if_match(claim)})).status_code == 412

        # no parts left: the waiver may go; naming a causal part again ends it
        bare = await ok(client, "PATCH", url, headers=headers, json={"parts": [], "sublet": []})
        assert bare["amounts"]["total"] == "450.00" and ("causal_part_number", "causal_part_missing") in codes(bare)
        waived = await ok(client, "PATCH", url, headers=headers, json={"causal_part_waived": True, "causal_part_waiver_reason": REASON})
        assert waived["causal_part_waived"] is True and not [c for c in codes(waived) if c[0].startswith("causal_part")]
        named = await ok(client, "PATCH", url, headers=headers, json={"causal_part_number": "06H121026"})
        assert (named["causal_part_waived"], named["causal_part_waiver_reason"]) == (False, None)
        assert ("causal_part_number", "causal_part_not_on_claim") in codes(named)

        await eventually(lambda: len([e for e in tap.of(wy.ClaimCorrected) if e.data["claim_id"] == claim["id"]]) >= 5)
        corrections = [e.data for e in tap.of(wy.ClaimCorrected) if e.data["claim_id"] == claim["id"]]
        assert [(e["changed_fields"], Decimal(e["claimed_amount"])) for e in corrections[1:]] == [
            (["causal_part_number", "parts", "sublet"], Decimal("695")),
            (["causal_part_number", "parts", "sublet"], Decimal("450")),
            (["causal_part_waived", "causal_part_waiver_reason"], Decimal("450")),
            (["causal_part_number", "causal_part_waived", "causal_part_waiver_reason"], Decimal("450")),
        ]
        assert "authorisation_missing" in [p["code"] for p in corrections[1]["problems"]]

"""Open recall campaigns by VIN, from the sample file, closing once a campaign claim is accepted."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kit import eventually
from tests.oem_simulator.support import OEM, PLAIN_VIN, VIN, claim, receiver_server, simulator, submit


async def test_campaigns_of_a_vin_by_prefix_and_by_full_vin() -> None:
    async with simulator() as oem:
        answer = await oem.get("/recalls", params={"vin": VIN.lower()}, headers=OEM)
        assert answer.status_code == 200
        assert answer.json() == {
            "vin": VIN,
            "campaigns": [
                {"campaign_number": "F-2026-07", "title": "Engine control unit software update", "op_code": "24F707", "sold_hours": "0.5"},
                {"campaign_number": "R-2025-11", "title": "Rear brake hose inspection", "op_code": "47R511", "sold_hours": "0.8"},
                {"campaign_number": "R-2026-01", "title": "Airbag inflator replacement", "op_code": "69R201", "sold_hours": "1.2"},
            ],
        }
        sibling = (await oem.get("/recalls", params={"vin": "WVWZZZ1KZ8W000999"}, headers=OEM)).json()
        assert [c["campaign_number"] for c in sibling["campaigns"]] == ["F-2026-07", "R-2026-01"]
        assert (await oem.get("/recalls", params={"vin": PLAIN_VIN}, headers=OEM)).json() == {"vin": PLAIN_VIN, "campaigns": []}


async def test_a_malformed_vin_or_no_key_is_refused() -> None:
    async with simulator() as oem:
        bad = await oem.get("/recalls", params={"vin": "WVWZZZ1KZ8W00O123"}, headers=OEM)
        assert bad.status_code == 422
        assert bad.json()["reasons"] == [{
            "field": "vin", "code": "vin_invalid",
            "message": "VIN must be 17 letters and digits without I, O or Q; got 'WVWZZZ1KZ8W00O123' (17 characters)",
        }]
        assert (await oem.get("/recalls", headers=OEM)).json()["reasons"][0]["field"] == "vin"
        assert (await oem.get("/recalls", params={"vin": VIN})).status_code == 401


async def test_a_campaign_claim_needs_an_open_campaign_and_closes_it() -> None:
    campaign_claim = claim(
        "K-1", campaign_number="R-2026-01", labour_op_code="69R201", causal_part_number=None,
        condition_code="", defect_code="", sold_hours="1.2", parts=[],
        amounts={"labour": "120.00", "parts": "0", "sublet": "0", "total": "120.00"},
    )
    async with receiver_server() as dealer, simulator(dealer.url) as oem:
        unknown = await submit(oem, {**campaign_claim, "claim_id": "K-0", "campaign_number": "R-1999-99"})
        assert [r["code"] for r in unknown.json()["reasons"]] == ["campaign_not_open"]

        assert (await submit(oem, campaign_claim)).status_code == 202
        await eventually(lambda: "claim.accepted" in dealer.types())
        still_open = (await oem.get("/recalls", params={"vin": VIN}, headers=OEM)).json()["campaigns"]
        assert [c["campaign_number"] for c in still_open] == ["F-2026-07", "R-2025-11"]
        twice = await submit(oem, {**campaign_claim, "claim_id": "K-2"})
        assert [r["code"] for r in twice.json()["reasons"]] == ["campaign_not_open"]


async def test_the_recalls_file_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "recalls.json"
    path.write_text(json.dumps({PLAIN_VIN: [{"campaign_number": "X-1", "title": "Test", "op_code": "00X100", "sold_hours": 0.3}]}))
    async with simulator(recalls_file=path) as oem:
        found = (await oem.get("/recalls", params={"vin": PLAIN_VIN}, headers=OEM)).json()["campaigns"]
        assert found == [{"campaign_number": "X-1", "title": "Test", "op_code": "00X100", "sold_hours": "0.3"}]
        assert (await oem.get("/recalls", params={"vin": VIN}, headers=OEM)).json()["campaigns"] == []

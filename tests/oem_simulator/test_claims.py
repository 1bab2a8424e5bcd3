"""Claims in, status webhooks out: the simulator against a dealer endpoint on real HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.kit import eventually
from tests.oem_simulator.support import ADMIN, OEM, claim, received, receiver_server, simulator, submit


async def test_a_valid_claim_is_accepted_then_paid_by_signed_webhooks() -> None:
    async with receiver_server() as dealer, simulator(dealer.url) as oem:
        answer = await submit(oem, claim("C-1"))
        assert answer.status_code == 202
        receipt = answer.json()
        assert receipt["claim_id"] == "C-1" and receipt["status"] == "received" and receipt["submission"] == 1
        assert receipt["oem_reference"].startswith("OEM-")
        assert answer.headers["location"] == "/claims/C-1"

        await eventually(lambda: len(dealer.verified) >= 2)
        assert dealer.refused == []
        assert dealer.types() == ["claim.accepted", "claim.paid"]
        (accepted_id, accepted), (paid_id, paid) = dealer.verified
        assert accepted_id == f"msg_{receipt['oem_reference']}_1_accepted"
        assert accepted["data"]["status"] == "accepted"
        assert accepted["data"]["claimed_amount"] == "355.00"
        assert accepted["data"]["approved_amount"] == "355.00"
        assert accepted["data"]["oem_reference"] == receipt["oem_reference"]
        assert paid_id != accepted_id
        assert paid["data"]["paid_amount"] == "355.00"
        assert paid["data"]["payment_reference"].startswith("PAY-")
        assert "history" not in paid["data"]

        status = (await oem.get("/claims/C-1", headers=OEM)).json()
        assert status["status"] == "paid"
        assert [step["status"] for step in status["history"]] == ["received", "accepted", "paid"]
        assert status["payment_reference"] == paid["data"]["payment_reference"]


async def test_the_same_claim_twice_is_taken_in_once_and_answered_the_same() -> None:
    async with receiver_server() as dealer, simulator(dealer.url) as oem:
        first = await submit(oem, claim("C-2"))
        again = await submit(oem, claim("C-2"))
        assert first.status_code == again.status_code == 202
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers

        await eventually(lambda: "claim.paid" in dealer.types())
        report = await received(oem)
        assert report["accepted_submissions"] == {"C-2": 1}
        assert [r["outcome"] for r in report["requests"]] == ["accepted", "replayed"]
        third = await submit(oem, claim("C-2"))  # after the decision too, the first answer
        assert third.json() == first.json()
        assert dealer.types() == ["claim.accepted", "claim.paid"]


async def test_other_content_under_a_submitted_claim_id_is_a_conflict() -> None:
    async with simulator() as oem:
        assert (await submit(oem, claim("C-3"))).status_code == 202
        changed = await submit(oem, claim("C-3", mileage_out=42_010))
        assert changed.status_code == 409
        assert changed.headers["content-type"] == "application/problem+json"
        assert changed.json()["allowed"] == ["returned_for_correction"]
        assert (await received(oem))["accepted_submissions"] == {"C-3": 1}


async def test_an_invalid_claim_is_422_with_every_reason_and_is_not_taken_in() -> None:
    closed = date.today() - timedelta(days=45)
    bad = claim(
        "C-4", vin="WVWZZZ1KZ8W00012", causal_part_number=None, cause="   ",
        repair_opened_on=str(closed - timedelta(days=1)), repair_closed_on=str(closed),
        failure_date=str(closed - timedelta(days=2)), mileage_out=41_000,
        amounts={"labour": "160.00", "parts": "205.00", "sublet": "0.00", "total": "365.00"},
    )
    async with simulator() as oem:
        answer = await submit(oem, bad)
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["type"] == "/problems/claim-invalid"
        assert [(r["field"], r["code"]) for r in problem["reasons"]] == [
            ("vin", "vin_invalid"),
            ("mileage_out", "mileage_out_below_in"),
            ("repair_closed_on", "submission_deadline_passed"),
            ("causal_part_number", "causal_part_missing"),
            ("cause", "text_missing"),
            ("amounts.labour", "amount_mismatch"),
        ]
        assert "submitted 45 days after the repair closed; the limit is 30 days" in problem["detail"]
        assert "amounts.labour is 160.00 but sold hours × labour rate is 150.00" in problem["detail"]
        assert (await oem.get("/claims/C-4", headers=OEM)).status_code == 404
        report = await received(oem)
        assert report["accepted_submissions"] == {}
        assert report["requests"][0]["outcome"] == "invalid"


async def test_malformed_claims_name_the_fields() -> None:
    async with simulator() as oem:
        body = claim("C-5", sold_hours="lots", colour="red")
        del body["dealer_code"]
        answer = await submit(oem, body)
        assert answer.status_code == 422
        fields = {r["field"]: r["code"] for r in answer.json()["reasons"]}
        assert fields == {"dealer_code": "missing", "sold_hours": "decimal_parsing", "colour": "extra_forbidden"}
        assert (await received(oem))["requests"][0]["outcome"] == "invalid"


async def test_the_idempotency_key_must_be_the_claim_id() -> None:
    async with simulator() as oem:
        missing = await oem.post("/claims", json=claim("C-6"), headers=OEM)
        assert missing.status_code == 400
        assert missing.json()["type"] == "/problems/idempotency-key-required"
        other = await oem.post("/claims", json=claim("C-6"), headers={**OEM, "Idempotency-Key": "C-7"})
        assert other.status_code == 422
        assert other.json()["reasons"][0]["code"] == "idempotency_key_mismatch"
        assert (await received(oem))["accepted_submissions"] == {}


async def test_the_api_key_and_the_admin_key_are_required() -> None:
    async with simulator() as oem:
        for headers in ({}, {"Authorization": "Bearer wrong"}, ADMIN):
            refused = await oem.post("/claims", json=claim("C-8"), headers={**headers, "Idempotency-Key": "C-8"})
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"
        assert (await oem.get("/claims/C-8")).status_code == 401
        assert (await oem.get("/admin/received", headers=OEM)).status_code == 401
        report = await received(oem)
        assert {r["outcome"] for r in report["requests"]} == {"unauthorized"}
        assert report["accepted_submissions"] == {}


async def test_an_op_code_on_the_reject_list_is_rejected_and_never_paid() -> None:
    async with receiver_server() as dealer, simulator(dealer.url, reject_op_codes=["10-21-00"]) as oem:
        assert (await submit(oem, claim("C-9"))).status_code == 202
        await eventually(lambda: dealer.verified)
        [(_, rejected)] = dealer.verified
        assert rejected["type"] == "claim.rejected"
        assert rejected["data"]["reason_code"] == "op_code_not_covered"
        assert rejected["data"]["reason"] == "labour operation 10-21-00 is not covered by warranty"
        assert rejected["data"]["approved_amount"] is None
        deliveries = (await oem.get("/admin/deliveries", headers=ADMIN)).json()
        assert [d["type"] for d in deliveries] == ["claim.rejected"]
        assert (await oem.get("/claims/C-9", headers=OEM)).json()["status"] == "rejected"


async def test_a_claim_returned_for_correction_can_be_resubmitted() -> None:
    async with receiver_server() as dealer, simulator(dealer.url, authorisation_required_above="300") as oem:
        first = (await submit(oem, claim("C-10"))).json()
        await eventually(lambda: dealer.verified)
        assert dealer.types() == ["claim.returned_for_correction"]
        assert dealer.verified[0][1]["data"]["reason_code"] == "authorisation_required"

        corrected = await submit(oem, claim("C-10", authorisation_number="AUTH-99"))
        assert corrected.status_code == 202
        assert corrected.json()["submission"] == 2
        assert corrected.json()["oem_reference"] == first["oem_reference"]
        await eventually(lambda: len(dealer.verified) >= 3)
        assert dealer.types() == ["claim.returned_for_correction", "claim.accepted", "claim.paid"]
        assert dealer.verified[1][1]["data"]["submission"] == 2
        assert dealer.verified[1][1]["data"]["reason_code"] is None
        assert (await received(oem))["accepted_submissions"] == {"C-10": 2}


async def test_the_labour_rate_cap_lowers_the_approved_amount() -> None:
    async with receiver_server() as dealer, simulator(dealer.url, labour_rate_cap="80") as oem:
        await submit(oem, claim("C-11"))
        await eventually(lambda: "claim.paid" in dealer.types())
        accepted = dealer.of("C-11")[0]["data"]
        assert (accepted["claimed_amount"], accepted["approved_amount"]) == ("355.00", "325.00")  # 1.5 h × 80 + 205
        assert dealer.of("C-11")[1]["data"]["paid_amount"] == "325.00"


async def test_failed_deliveries_are_retried_in_order_with_the_same_webhook_id() -> None:
    async with receiver_server() as dealer, simulator(dealer.url) as oem:
        dealer.fail_next = 2
        await submit(oem, claim("C-12"))
        await eventually(lambda: len(dealer.verified) >= 2)
        assert dealer.types() == ["claim.accepted", "claim.paid"]  # paid waited for accepted
        ids = [headers["webhook-id"] for headers in dealer.requests]
        assert ids[:3] == [dealer.verified[0][0]] * 3

        async def marked() -> bool:
            deliveries = (await oem.get("/admin/deliveries", headers=ADMIN)).json()
            return [(d["type"], d["state"], d["attempts"]) for d in deliveries] == [
                ("claim.accepted", "delivered", 3), ("claim.paid", "delivered", 1),
            ]

        await eventually(marked)  # the dealer has answered; the simulator marks the delivery just after


async def test_a_dealer_refusing_the_signature_makes_delivery_fail_after_the_last_attempt() -> None:
    async with receiver_server(secret="whsec_b3RoZXItc2VjcmV0") as dealer, simulator(dealer.url, webhook_max_attempts=2) as oem:
        await submit(oem, claim("C-13"))

        async def given_up() -> bool:
            deliveries = (await oem.get("/admin/deliveries", headers=ADMIN)).json()
            return len(deliveries) == 2 and all(d["state"] == "failed" for d in deliveries)

        await eventually(given_up)
        deliveries = (await oem.get("/admin/deliveries", headers=ADMIN)).json()
        assert [(d["type"], d["attempts"], d["last_status_code"], d["last_error"]) for d in deliveries] == [
            ("claim.accepted", 2, 401, "HTTP 401"), ("claim.paid", 2, 401, "HTTP 401"),
        ]
        assert dealer.refused == ["no matching signature"] * 4
        assert dealer.verified == []


async def test_a_redelivery_repeats_the_message_with_the_same_id() -> None:
    async with receiver_server() as dealer, simulator(dealer.url) as oem:
        await submit(oem, claim("C-14"))
        await eventually(lambda: len(dealer.verified) >= 2)
        msg_id = dealer.verified[0][0]
        again = await oem.post(f"/admin/deliveries/{msg_id}/redeliver", headers=ADMIN)
        assert again.status_code == 202
        await eventually(lambda: len(dealer.verified) >= 3)
        assert dealer.verified[2] == dealer.verified[0]
        assert (await oem.post("/admin/deliveries/msg_nope/redeliver", headers=ADMIN)).status_code == 404


async def test_a_paid_claim_can_be_debited() -> None:
    async with receiver_server() as dealer, simulator(dealer.url, decision_delay_seconds=0.3) as oem:
        await submit(oem, claim("C-15"))
        early = await oem.post("/admin/claims/C-15/debit", json={"amount": "50.00", "reason": "audit"}, headers=ADMIN)
        assert early.status_code == 409  # still received: not paid yet
        await eventually(lambda: "claim.paid" in dealer.types())
        debited = await oem.post("/admin/claims/C-15/debit", json={"amount": "50.00", "reason": "labour time audit"}, headers=ADMIN)
        assert debited.status_code == 200
        await eventually(lambda: "claim.debited" in dealer.types())
        data = dealer.of("C-15")[-1]["data"]
        assert (data["status"], data["debited_amount"], data["reason"]) == ("debited", "50.00", "labour time audit")


async def test_without_a_webhook_url_the_status_is_there_to_poll() -> None:
    async with simulator(payment_delay_seconds=0.05) as oem:
        await submit(oem, claim("C-16"))

        async def paid() -> bool:
            return bool((await oem.get("/claims/C-16", headers=OEM)).json()["status"] == "paid")

        await eventually(paid)
        assert (await oem.get("/admin/deliveries", headers=ADMIN)).json() == []
        assert (await oem.get("/claims/nope", headers=OEM)).status_code == 404


LABOUR_ONLY = {
    "causal_part_number": None, "parts": [], "causal_part_waived": True,
    "causal_part_waiver_reason": "ECU software update per TSB 24-011; no part failed",
    "sublet": [{"description": "Diagnosis by the importer", "amount": "40.00", "invoice_ref": "INV-88"}],
    "amounts": {"labour": "150.00", "parts": "0.00", "sublet": "40.00", "total": "190.00", "currency": "EUR"},
}


def reasons(answer: Any) -> list[tuple[str, str]]:
    """The fields and codes of a 422's reasons."""
    assert answer.status_code == 422, answer.text
    return [(r["field"], r["code"]) for r in answer.json()["reasons"]]


async def test_a_labour_only_claim_waiving_the_causal_part_is_taken_in_one_with_parts_is_not() -> None:
    async with simulator() as oem:
        assert (await submit(oem, claim("C-17", **LABOUR_ONLY))).status_code == 202
        # parts without a causal part: still refused, waived or not
        assert reasons(await submit(oem, claim("C-18", causal_part_number=None))) == [("causal_part_number", "causal_part_missing")]
        assert reasons(await submit(oem, claim("C-19", causal_part_number=None, causal_part_waived=True,
                                                causal_part_waiver_reason="no part"))) == [
            ("causal_part_waived", "causal_part_waiver_with_parts")]
        assert reasons(await submit(oem, claim("C-20", **{**LABOUR_ONLY, "causal_part_waiver_reason": " "}))) == [
            ("causal_part_waiver_reason", "text_missing")]
        assert (await received(oem))["accepted_submissions"] == {"C-17": 1}
    async with simulator(causal_part_waiver_allowed=False) as strict:
        assert reasons(await submit(strict, claim("C-21", **LABOUR_ONLY))) == [("causal_part_waived", "causal_part_waiver_not_allowed")]

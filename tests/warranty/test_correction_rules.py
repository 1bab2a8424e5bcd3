"""The pure rules of a clerk's correction: a labour-only claim's causal part waiver, parts lines and their causal flag."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.reception.settings import ReceptionSettings
from services.reception.warranty.domain.correction import PartLine, corrected
from services.reception.warranty.domain.rules import ClaimContent, OemRules, Sublet, problems
from services.reception.warranty.oem import claim_document
from shared.errors import Invalid
from tests.warranty.test_domain import RULES, claim

TODAY = date(2026, 3, 5)
FORBIDDING = OemRules(submission_deadline_days=30, authorisation_required_above=Decimal("2000"), causal_part_waiver_allowed=False)
REFLASH = {"causal_part_waived": True, "causal_part_waiver_reason": "ECU software update per TSB 24-011; no part failed"}


def labour_only(**overrides: Any) -> ClaimContent:
    return claim(**{"parts": [], "causal_part_number": None, **overrides})


def refusal(content: ClaimContent, changes: dict[str, Any], rules: OemRules = RULES) -> tuple[str, str]:
    with pytest.raises(Invalid) as caught:
        corrected(content, changes, rules)
    [problem] = caught.value.extensions["problems"]
    assert problem["message"] == caught.value.detail
    return problem["field"], problem["code"]


def test_a_labour_only_claim_is_blocked_until_the_clerk_waives_the_causal_part_with_a_reason() -> None:
    [missing] = problems(labour_only(), RULES, TODAY)
    assert (missing.field, missing.code) == ("causal_part_number", "causal_part_missing")
    assert "labour-only repair, waive the causal part" in missing.message
    waived = corrected(labour_only(causal_part_number="P-1"), REFLASH, RULES)
    assert problems(waived, RULES, TODAY) == [] and waived.causal_part_number is None
    assert (waived.causal_part_waived, waived.causal_part_waiver_reason) == (True, REFLASH["causal_part_waiver_reason"])
    # the clerk ends the waiver, or names a causal part: either clears the reason too
    assert corrected(waived, {"causal_part_waived": False}, RULES).causal_part_waiver_reason is None
    named = corrected(waived, {"parts": [PartLine("P-9", Decimal("1"), Decimal("55.5"), causal=True)]}, RULES)
    assert (named.causal_part_number, named.causal_part_waived, named.causal_part_waiver_reason) == ("P-9", False, None)
    assert named.amounts().parts == Decimal("55.50") and problems(named, RULES, TODAY) == []


def test_a_waiver_is_refused_with_parts_without_a_reason_or_naming_a_part_too() -> None:
    assert refusal(claim(), REFLASH) == ("causal_part_waived", "causal_part_waiver_with_parts")
    assert refusal(labour_only(), {"causal_part_waived": True}) == ("causal_part_waiver_reason", "causal_part_waiver_reason_missing")
    assert refusal(labour_only(), {**REFLASH, "causal_part_waiver_reason": "  "})[1] == "causal_part_waiver_reason_missing"
    assert refusal(labour_only(), {"causal_part_waiver_reason": "why"})[1] == "causal_part_waiver_reason_alone"
    assert refusal(labour_only(), {**REFLASH, "causal_part_number": "P-1"})[1] == "causal_part_waiver_conflict"
    assert refusal(labour_only(campaign_number="R-1"), REFLASH)[1] == "causal_part_waiver_on_campaign"
    waived = corrected(labour_only(), REFLASH, RULES)
    # parts added to a waived claim without flagging the part that failed
    assert refusal(waived, {"parts": [PartLine("P-9", Decimal("1"), Decimal("5"))]})[1] == "causal_part_waiver_with_parts"


def test_an_oem_profile_may_forbid_the_waiver() -> None:
    assert refusal(labour_only(), REFLASH, FORBIDDING) == ("causal_part_waived", "causal_part_waiver_not_allowed")
    assert "waive" not in problems(labour_only(), FORBIDDING, TODAY)[0].message
    # waived before the profile changed: the claim shows the problem, and corrections of other fields still go through
    waived = corrected(labour_only(), REFLASH, RULES)
    assert [p.code for p in problems(waived, FORBIDDING, TODAY)] == ["causal_part_waiver_not_allowed"]
    assert corrected(waived, {"cause": "Software fault"}, FORBIDDING).cause == "Software fault"


def test_parts_lines_replace_the_claims_and_their_flag_names_the_causal_part() -> None:
    lines = [PartLine("P-1", Decimal("2"), Decimal("180")), PartLine("G13", Decimal("0.375"), Decimal("40"), causal=True)]
    fixed = corrected(claim(), {"parts": lines, "sublet": [Sublet("Towing", Decimal("80"), "INV-7")]}, RULES)
    assert fixed.causal_part_number == "G13" and fixed.amounts().parts == Decimal("375.00")
    assert fixed.amounts().total == Decimal("905.00")
    unflagged = corrected(claim(), {"parts": [PartLine("P-1", Decimal("1"), Decimal("180"))]}, RULES)
    assert unflagged.causal_part_number is None
    assert [p.code for p in problems(unflagged, RULES, TODAY)] == ["causal_part_missing"]
    two = [PartLine("P-1", Decimal("1"), Decimal("1"), causal=True), PartLine("P-2", Decimal("1"), Decimal("1"), causal=True)]
    assert refusal(claim(), {"parts": two}) == ("parts", "causal_part_ambiguous")
    assert refusal(claim(), {"parts": lines, "causal_part_number": "P-1"})[1] == "causal_part_contradicts_parts"


def test_the_oem_document_carries_a_waiver_and_sublet_invoices_only_when_there_are() -> None:
    plain = claim_document("C-1", "CNY", claim(sublet=[Sublet("Towing", Decimal("80"))]))
    assert "causal_part_waived" not in plain and plain["sublet"] == [{"description": "Towing", "amount": "80"}]
    waived = claim_document("C-1", "CNY", corrected(labour_only(sublet=[Sublet("Towing", Decimal("80"), "INV-7")]), REFLASH, RULES))
    assert (waived["causal_part_waived"], waived["causal_part_waiver_reason"], waived["parts"]) == (
        True, REFLASH["causal_part_waiver_reason"], [])
    assert waived["sublet"] == [{"description": "Towing", "amount": "80", "invoice_ref": "INV-7"}]


def test_the_waiver_is_forbidden_for_a_whole_deployment_and_allowed_again_for_one_site(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITWALL_RECEPTION_OEM_CAUSAL_PART_WAIVER", "false")
    monkeypatch.setenv("PITWALL_RECEPTION_OEM_SITES", '{"S-EV": {"causal_part_waiver": true}}')
    settings = ReceptionSettings()
    assert settings.oem_profile("S-1").causal_part_waiver is False
    assert settings.oem_profile("S-EV").causal_part_waiver is True

"""The pure warranty rules: time cards from clock events in any order, OEM status reports, validation, grouping."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.reception.warranty.domain.drafting import WarrantyLine, groups
from services.reception.warranty.domain.lifecycle import OemView, steps
from services.reception.warranty.domain.rules import ClaimContent, Labour, OemRules, Part, problems
from services.reception.warranty.domain.timecards import Adjustment, Mark, MarkKind, hours_by_technician
from shared.contracts.warranty import ClaimStatus as S

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


MARKS = [
    Mark("T-7", MarkKind.ON, at(0)), Mark("T-7", MarkKind.PAUSE, at(60)), Mark("T-7", MarkKind.RESUME, at(90)),
    Mark("T-9", MarkKind.ON, at(90)), Mark("T-9", MarkKind.OFF, at(100)), Mark("T-9", MarkKind.ON, at(105)),
    Mark("T-7", MarkKind.COMPLETE, at(120)),  # stops T-9 too
    # QC failed: rework by T-9 alone
    Mark("T-9", MarkKind.ON, at(200)), Mark("T-9", MarkKind.COMPLETE, at(230)),
]


def test_time_cards_are_the_same_whatever_order_and_however_often_events_arrive() -> None:
    expected = {"T-7": Decimal("1.50"), "T-9": Decimal("0.92")}  # T-9: 10 + 15 + 30 minutes
    assert hours_by_technician(MARKS) == expected
    for seed in range(20):
        shuffled = MARKS + random.Random(seed).sample(MARKS, 4)
        random.Random(seed).shuffle(shuffled)
        assert hours_by_technician(shuffled) == expected


def test_a_running_clock_does_not_count_and_a_correction_replaces_its_interval() -> None:
    running = [Mark("T-7", MarkKind.ON, at(0)), Mark("T-7", MarkKind.PAUSE, at(30)), Mark("T-7", MarkKind.RESUME, at(40))]
    assert hours_by_technician(running) == {"T-7": Decimal("0.50")}
    fixed = Adjustment("adj-1", "T-7", original_start=at(40), corrected_start=at(40), corrected_end=at(85), adjusted_at=at(300))
    assert hours_by_technician(running, [fixed]) == {"T-7": Decimal("1.25")}


@pytest.mark.parametrize(("view", "reported", "submission", "expected"), [
    (OemView(S.SUBMITTED, 1, False), S.ACCEPTED, 1, [S.ACCEPTED]),
    (OemView(S.SUBMITTED, 1, False), S.PAID, 1, [S.ACCEPTED, S.PAID]),  # a missed webhook, seen by polling
    (OemView(S.ACCEPTED, 1, False), S.ACCEPTED, 1, []),  # a duplicate
    (OemView(S.PAID, 1, False), S.ACCEPTED, 1, []),  # late
    (OemView(S.PAID, 1, False), S.DEBITED, 1, [S.DEBITED]),
    (OemView(S.VALIDATED, 0, True), S.ACCEPTED, 1, [S.SUBMITTED, S.ACCEPTED]),  # the webhook beat the 202
    (OemView(S.VALIDATED, 1, True), S.RETURNED, 1, []),  # about the submission already corrected
    (OemView(S.VALIDATED, 1, True), S.SUBMITTED, 2, [S.SUBMITTED]),  # "received": the resubmission was taken in
    (OemView(S.DRAFT, 0, False), S.ACCEPTED, 1, []),  # never sent: ignored
    (OemView(S.REJECTED, 1, False), S.PAID, 1, []),
    (OemView(S.CLOSED, 1, False), S.DEBITED, 1, [S.DEBITED]),  # a chargeback after the clerk closed it
    (OemView(S.CLOSED, 1, False, debited=True), S.DEBITED, 1, []),
])
def test_oem_reports_step_through_what_they_imply(view: OemView, reported: S, submission: int, expected: list[S]) -> None:
    assert steps(view, reported, submission) == expected


def claim(**overrides: object) -> ClaimContent:
    values: dict[str, object] = dict(
        dealer_code="D-1", vin="LSVAA2BZ1N2000001", ro_number="RO-000001", mileage_in=42_000, mileage_out=42_003,
        repair_opened_on=date(2026, 3, 1), repair_closed_on=date(2026, 3, 2), failure_date=date(2026, 2, 28),
        labour=[Labour("l-1", "10-21-00", "Replace water pump", Decimal("1.5"), Decimal("2"))], labour_rate=Decimal("300"),
        causal_part_number="P-1", complaint="Leak", cause="Seal", correction="Replaced", condition_code="C1", defect_code="D1",
        parts=[Part("P-1", Decimal("1"), Decimal("180"))],
    )
    values.update(overrides)
    return ClaimContent(**values)  # type: ignore[arg-type]


RULES = OemRules(submission_deadline_days=30, authorisation_required_above=Decimal("2000"))


def test_a_complete_claim_has_no_problem_and_adds_up() -> None:
    assert problems(claim(), RULES, date(2026, 3, 5)) == []
    assert claim().amounts().total == Decimal("630.00")


def test_the_deadline_counts_days_after_the_repair_closed() -> None:
    assert problems(claim(), RULES, date(2026, 4, 1)) == []  # day 30
    [late] = problems(claim(), RULES, date(2026, 4, 2))
    assert late.code == "submission_deadline_passed" and "31 days ago" in late.message


def test_a_campaign_claim_needs_no_causal_part_codes_or_authorisation() -> None:
    bare = claim(campaign_number="R-1", causal_part_number=None, condition_code="", defect_code="", parts=[],
                 labour=[Labour("l-1", "69R201", "Airbag", Decimal("9"), Decimal("9"))])
    assert problems(bare, RULES, date(2026, 3, 5)) == []
    assert [p.code for p in problems(claim(campaign_number=None, causal_part_number=None, condition_code="", defect_code="",
                                           labour=bare.labour), RULES, date(2026, 3, 5))] == [
        "causal_part_missing", "code_missing", "code_missing", "authorisation_missing"]


def test_claims_group_per_job_or_per_ro_with_campaigns_apart() -> None:
    a, b = (WarrantyLine(x, x, x, "", Decimal("1"), Decimal("300")) for x in ("a", "b"))
    c = WarrantyLine("c", "c", "c", "", Decimal("1"), Decimal("300"), campaign_number="R-1")
    assert [[x.job_line_id for x in g] for g in groups([a, c, b], "job")] == [["a"], ["c"], ["b"]]
    assert [[x.job_line_id for x in g] for g in groups([a, c, b], "repair_order")] == [["a", "b"], ["c"]]
    assert [[x.job_line_id for x in g] for g in groups([c], "repair_order")] == [["c"]]


def test_the_reception_migrations_hold_the_warranty_tables(tmp_path: object) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from services.reception.adapters.tables import metadata
    from shared.migrations import alembic_config

    url = f"sqlite:///{tmp_path}/m.db"
    config = alembic_config("reception")
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    with create_engine(url).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []

"""The pure rules: VINs, the RO state machine, money, slots and comebacks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.reception.domain import comeback, money
from services.reception.domain.repair_order import (
    LineFacts,
    LineStatus,
    QcFacts,
    RoAction,
    RoState,
    require,
    require_line,
    settle,
)
from services.reception.domain.slots import Lane, Schedule, free_slots, require_room
from services.reception.domain.vin import check_digit, vin_problem
from shared.contracts.reception import PayType
from shared.errors import Conflict, IllegalTransition, Invalid

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize("vin", ["1HGCM82633A004352", "1M8GDM9AXKP042788", "LSVAU0335N2183421"])
def test_valid_vins_pass(vin: str) -> None:
    assert vin_problem(vin) is None
    assert vin_problem(vin.lower()) is None


@pytest.mark.parametrize(("vin", "problem"), [
    ("1HGCM82633A00435", "VIN must be 17 characters, got 16"),
    ("1HGCM82633A0043521", "VIN must be 17 characters, got 18"),
    ("1HGCM8263IA004352", "must not contain I, O or Q (found 'I' at position 10)"),
    ("1HGCM82633A00Q352", "must not contain I, O or Q (found 'Q' at position 14)"),
    ("1HGCM82633A00-352", "only digits and letters (found '-' at position 14)"),
    ("1HGCM82643A004352", "check digit (position 9) is '4' but the other characters give '3'"),
])
def test_bad_vins_name_their_problem(vin: str, problem: str) -> None:
    assert problem in (vin_problem(vin) or "")


def test_the_check_digit_can_be_x() -> None:
    assert check_digit("1M8GDM9A0KP042788") == "X"


def test_the_state_follows_the_lines_and_the_workshop() -> None:
    draft, proposed = LineFacts(LineStatus.DRAFT), LineFacts(LineStatus.PROPOSED)
    approved = LineFacts(LineStatus.APPROVED)
    assert settle(RoState.OPEN, [draft], QcFacts()) is RoState.OPEN
    assert settle(RoState.OPEN, [proposed, draft], QcFacts()) is RoState.AWAITING_APPROVAL
    assert settle(RoState.AWAITING_APPROVAL, [approved, LineFacts(LineStatus.DECLINED)], QcFacts()) is RoState.APPROVED
    assert settle(RoState.AWAITING_APPROVAL, [LineFacts(LineStatus.DECLINED)], QcFacts()) is RoState.OPEN
    started = LineFacts(LineStatus.APPROVED, started_at=at(10))
    assert settle(RoState.APPROVED, [started], QcFacts()) is RoState.IN_PROGRESS
    assert settle(RoState.IN_PROGRESS, [started, proposed], QcFacts()) is RoState.IN_PROGRESS
    done = LineFacts(LineStatus.APPROVED, started_at=at(10), completed_at=at(60))
    assert settle(RoState.IN_PROGRESS, [done], QcFacts()) is RoState.IN_PROGRESS
    assert settle(RoState.IN_PROGRESS, [done], QcFacts(at(70), passed=True)) is RoState.READY
    assert settle(RoState.IN_PROGRESS, [done, proposed], QcFacts(at(70), passed=True)) is RoState.IN_PROGRESS
    assert settle(RoState.INVOICED, [done], QcFacts(at(80), passed=False)) is RoState.INVOICED


def test_ready_needs_the_latest_qc_passed_after_the_last_completion() -> None:
    done = LineFacts(LineStatus.APPROVED, started_at=at(10), completed_at=at(60))
    assert settle(RoState.IN_PROGRESS, [done], QcFacts(at(50), passed=True)) is RoState.IN_PROGRESS
    assert settle(RoState.READY, [done], QcFacts(at(90), passed=False)) is RoState.IN_PROGRESS
    sent_back = LineFacts(LineStatus.APPROVED, started_at=at(10), completed_at=at(60), rework_at=at(70))
    assert not sent_back.complete
    assert settle(RoState.IN_PROGRESS, [sent_back], QcFacts(at(70), passed=False)) is RoState.IN_PROGRESS
    reworked = LineFacts(LineStatus.APPROVED, started_at=at(10), completed_at=at(100), rework_at=at(70))
    assert settle(RoState.IN_PROGRESS, [reworked], QcFacts(at(110), passed=True)) is RoState.READY


def test_illegal_steps_name_the_state_and_what_is_allowed() -> None:
    with pytest.raises(IllegalTransition) as caught:
        require(RoState.APPROVED, RoAction.INVOICE, [LineFacts(LineStatus.APPROVED), LineFacts(LineStatus.DRAFT)])
    assert caught.value.state == "approved" and "request_approval" in caught.value.allowed and "invoice" not in caught.value.allowed
    with pytest.raises(IllegalTransition):
        require(RoState.DELIVERED, RoAction.ADD_LINE, [])
    with pytest.raises(IllegalTransition) as line_caught:
        require_line(LineFacts(LineStatus.APPROVED, started_at=at(1)), RoAction.REMOVE_LINE, "l-1")
    assert line_caught.value.allowed == ["change_line"]
    require_line(LineFacts(LineStatus.APPROVED), RoAction.REMOVE_LINE, "l-1")


def test_invoice_totals_by_pay_type_with_tax_and_cost() -> None:
    labour = [
        money.LabourItem("a", "BRK01", "pads", LineStatus.APPROVED, PayType.CUSTOMER, Decimal("1.5"), Decimal("300")),
        money.LabourItem("b", "RCL1", "recall", LineStatus.APPROVED, PayType.WARRANTY, Decimal("0.8"), Decimal("300")),
        money.LabourItem("c", "WIP", "wipers", LineStatus.DECLINED, PayType.CUSTOMER, Decimal("0.3"), Decimal("300")),
    ]
    movements = [
        money.PartsMovement("P1", Decimal("2"), Decimal("10"), Decimal("25"), "a"),
        money.PartsMovement("P1", Decimal("-1"), Decimal("10"), Decimal("25"), "a"),
        money.PartsMovement("P2", Decimal("1"), Decimal("50"), Decimal("80"), "b"),
        money.PartsMovement("P3", Decimal("1"), Decimal("5"), Decimal("9"), None),
        money.PartsMovement("P4", Decimal("1"), Decimal("5"), Decimal("9"), "a"),
        money.PartsMovement("P4", Decimal("-1"), Decimal("5"), Decimal("9"), "a"),
    ]
    parts = money.parts_lines(movements, {"a": PayType.CUSTOMER, "b": PayType.WARRANTY}, PayType.INSURANCE)
    assert [(p.part_number, p.quantity, p.pay_type) for p in parts] == [
        ("P1", 1, PayType.CUSTOMER), ("P2", 1, PayType.WARRANTY), ("P3", 1, PayType.INSURANCE)]
    bill = money.invoice(labour, parts, [money.SubletItem("glass", PayType.INSURANCE, Decimal("100"), Decimal("70"))],
                         tax_rate=Decimal("0.13"), technician_cost_rate=Decimal("80"))
    assert (bill.labour_amount, bill.parts_amount, bill.sublet_amount) == (Decimal("690"), Decimal("114"), Decimal("100"))
    assert bill.total_amount == Decimal("904") and bill.tax_amount == Decimal("117.52")
    assert bill.amounts_by_pay_type == {PayType.CUSTOMER: Decimal("475"), PayType.WARRANTY: Decimal("320"),
                                        PayType.INTERNAL: Decimal("0"), PayType.INSURANCE: Decimal("109")}
    assert (bill.labour_cost, bill.parts_cost, bill.sublet_cost) == (Decimal("184"), Decimal("65"), Decimal("70"))
    assert bill.cost == Decimal("319") and bill.sold_hours == Decimal("2.3")
    assert bill.gross_margin == Decimal("0.65")


def test_estimate_leaves_declined_lines_out() -> None:
    labour = [
        money.LabourItem("a", "BRK01", "pads", LineStatus.APPROVED, PayType.CUSTOMER, Decimal("1.5"), Decimal("300"), Decimal("350")),
        money.LabourItem("c", "WIP", "wipers", LineStatus.DECLINED, PayType.CUSTOMER, Decimal("0.3"), Decimal("300"), Decimal("80")),
        money.LabourItem("d", "OIL", "oil", LineStatus.PROPOSED, PayType.CUSTOMER, Decimal("0.5"), Decimal("300"), Decimal("200")),
    ]
    figures = money.estimate(labour, tax_rate=Decimal("0.1"))
    assert (figures.labour_amount, figures.parts_amount, figures.total_amount) == (Decimal("600"), Decimal("550"), Decimal("1150"))
    assert (figures.approved_amount, figures.tax_amount) == (Decimal("800"), Decimal("115"))


SHANGHAI = Schedule("Asia/Shanghai", {0: ("08:30", "18:00"), 1: ("08:30", "18:00")}, 30)


def test_slots_run_from_opening_in_the_site_time_zone() -> None:
    starts = SHANGHAI.slots_on(date(2026, 3, 2))  # a Monday
    assert starts[0] == datetime(2026, 3, 2, 0, 30, tzinfo=UTC) and len(starts) == 19
    assert SHANGHAI.slot(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI.zone))[1] == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    with pytest.raises(Invalid, match="not a slot start"):
        SHANGHAI.slot(datetime(2026, 3, 2, 9, 10, tzinfo=SHANGHAI.zone))
    with pytest.raises(Invalid, match="closed on Wednesday"):
        SHANGHAI.slot(datetime(2026, 3, 4, 9, 0, tzinfo=SHANGHAI.zone))
    with pytest.raises(Invalid, match="not a slot start"):
        SHANGHAI.slot(datetime(2026, 3, 2, 17, 45, tzinfo=SHANGHAI.zone))


def test_a_full_slot_names_the_next_free_ones_across_days() -> None:
    last = datetime(2026, 3, 2, 17, 30, tzinfo=SHANGHAI.zone)
    booked = {last.astimezone(UTC): 2, datetime(2026, 3, 3, 8, 30, tzinfo=SHANGHAI.zone).astimezone(UTC): 2}
    with pytest.raises(Conflict) as caught:
        require_room(SHANGHAI, last.astimezone(UTC), Lane.STANDARD, 2, booked, count=2, days=7)
    assert caught.value.extensions["next_free_slots"] == ["2026-03-03T01:00:00+00:00", "2026-03-03T01:30:00+00:00"]
    assert "next free: 2026-03-03 09:00, 2026-03-03 09:30" in caught.value.detail
    assert free_slots(SHANGHAI, last, 3, booked, count=1, days=1) == [last.astimezone(UTC)]


def test_a_comeback_repeats_an_op_code_or_concern_within_the_window() -> None:
    new = comeback.visit("new", at(60 * 24 * 20), ["brk01 "], ["Squeal when  braking"])
    old_code = comeback.visit("a", at(0), ["BRK01"], [])
    old_concern = comeback.visit("b", at(60), ["X"], ["squeal when braking"])
    unrelated = comeback.visit("c", at(120), ["OIL"], ["oil change"])
    found = comeback.comeback_of(new, [old_code, old_concern, unrelated], 30)
    assert found is not None and found.repair_order_id == "b"
    assert comeback.why(new, found) == "repeats concern 'squeal when braking'"
    assert comeback.comeback_of(new, [old_code], 19) is None
    assert comeback.comeback_of(new, [unrelated], 30) is None

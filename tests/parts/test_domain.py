"""The counter's pure rules: quantities, the backorder queue, reservations giving way, first-pick flag, reorder crossings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.parts import domain
from services.parts.domain import Held, InvalidQuantity, LineState, NotEnoughReserved, QueuedBackorder, Unit


@pytest.mark.parametrize(("quantity", "unit"), [("0", Unit.PIECE), ("-1", Unit.LITRE), ("1.5", Unit.PIECE),
                                                ("0.0005", Unit.LITRE), ("1e10", Unit.LITRE), ("NaN", Unit.LITRE)])
def test_bad_quantities_are_named(quantity: str, unit: Unit) -> None:
    with pytest.raises(InvalidQuantity):
        domain.check_quantity(Decimal(quantity), unit)


def test_good_quantities_come_back_plain() -> None:
    assert str(domain.check_quantity(Decimal("2.000"), Unit.PIECE)) == "2"
    assert str(domain.check_quantity(Decimal("10"), Unit.PIECE)) == "10"
    assert str(domain.check_quantity(Decimal("0.250"), Unit.LITRE)) == "0.25"
    assert str(domain.check_quantity(Decimal("0"), Unit.PIECE, allow_zero=True)) == "0"


def test_the_queue_is_served_in_order_and_the_first_short_one_takes_the_rest() -> None:
    queue = [QueuedBackorder("a", Decimal(2)), QueuedBackorder("b", Decimal(3)), QueuedBackorder("c", Decimal(1))]
    fills = domain.plan_fills(queue, Decimal(4))
    assert [(f.backorder_id, f.filled, f.remainder) for f in fills] == [("a", 2, 0), ("b", 2, 1)]
    assert domain.plan_fills(queue, Decimal(0)) == []


def test_newest_reservations_give_way_first() -> None:
    held = [Held("new", Decimal(1)), Held("mid", Decimal(2)), Held("old", Decimal(5))]
    assert domain.shrink_reservations(held, Decimal("2.5")) == [Held("new", Decimal(1)), Held("mid", Decimal("1.5"))]


def test_first_pick_flag_is_fixed_once() -> None:
    line = LineState("l", "P", Decimal(3), reserved=Decimal(3))
    assert line.first_pick(Decimal(3), from_backorder=False) is True
    partial = LineState("l", "P", Decimal(3), reserved=Decimal(3))
    assert partial.first_pick(Decimal(2), from_backorder=False) is False
    assert partial.first_pick(Decimal(1), from_backorder=False) is False
    filled = LineState("l", "P", Decimal(3))
    assert filled.first_pick(Decimal(3), from_backorder=True) is False
    with pytest.raises(NotEnoughReserved):
        LineState("l", "P", Decimal(3), reserved=Decimal(1)).check_issue(Decimal(2))


def test_reorder_point_crossings() -> None:
    assert domain.reorder_transition(False, Decimal(4), Decimal(5)) == "below"
    assert domain.reorder_transition(True, Decimal(4), Decimal(5)) is None
    assert domain.reorder_transition(True, Decimal(5), Decimal(5)) == "above"
    assert domain.reorder_transition(False, Decimal(0), Decimal(0)) is None
    assert domain.suggested_order(Decimal(1), Decimal(5), Decimal(2), Decimal(3)) == 7

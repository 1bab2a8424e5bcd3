"""The parts counter's rules: units and quantities, reservation, backorder queue, issue and return limits, reorder point.

Pure: no FastAPI, SQL or Kafka. Quantities are Decimals; stock figures come from the ledgers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Literal

from shared.errors import Conflict, Invalid, NotFound, not_found

ZERO = Decimal(0)
QUANTITY_PLACES = 3
QUANTITY_STEP = Decimal(1).scaleb(-QUANTITY_PLACES)
MAX_QUANTITY = Decimal(1_000_000_000)


class Unit(StrEnum):
    """How a part is counted; pieces are whole numbers."""

    PIECE = "piece"
    LITRE = "litre"
    KILOGRAM = "kg"
    METRE = "metre"


class Origin(StrEnum):
    WORKSHOP = "workshop"
    COUNTER = "counter"


class MovementKind(StrEnum):
    """A row of the stock ledger."""

    RECEIPT = "receipt"
    ISSUE = "issue"
    RETURN = "return"
    COUNT = "count"


class ReservationKind(StrEnum):
    """A row of the reservation ledger."""

    RESERVE = "reserve"
    ISSUE = "issue"
    RELEASE = "release"


class BackorderStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"


class RequestStatus(StrEnum):
    OPEN = "open"
    ISSUED = "issued"


class InvalidQuantity(Invalid):
    """A quantity no stock change may carry."""

    type_ = "/problems/invalid-quantity"


class NotEnoughReserved(Conflict):
    """More asked of a line than is reserved for it."""

    type_ = "/problems/not-enough-reserved"


class NotEnoughIssued(Conflict):
    """More returned on a line than was issued on it."""

    type_ = "/problems/not-enough-issued"


class InvalidSupersession(Invalid):
    """A replacement of a part number the catalogue cannot take."""

    type_ = "/problems/invalid-supersession"


def unknown_part(part_number: str, chain: list[str]) -> NotFound:
    """A part number the catalogue does not serve; names its replacement when one exists."""
    if chain:
        return NotFound(
            f"part {part_number!r} was superseded by {chain[-1]!r}; use {chain[-1]!r}",
            type_="/problems/part-superseded",
            title="Part superseded",
            part_number=part_number,
            superseded_by=chain[-1],
            supersession_chain=chain,
        )
    return not_found("part", part_number, part_number=part_number)


def plain(value: Decimal) -> Decimal:
    """The value without trailing zeros and never in exponent form (10, not 1E+1)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def check_quantity(
    quantity: Decimal, unit: Unit | None, *, what: str = "quantity", allow_zero: bool = False
) -> Decimal:
    """A quantity that is positive (or zero when allowed), at most 3 decimals, whole for pieces (unit None: not known)."""
    if not quantity.is_finite():
        raise InvalidQuantity(f"{what} must be a number", quantity=str(quantity))
    if quantity < 0 or (quantity == 0 and not allow_zero):
        raise InvalidQuantity(
            f"{what} must be {'zero or more' if allow_zero else 'more than zero'}, got {plain(quantity)}"
        )
    if unit is Unit.PIECE and quantity != quantity.to_integral_value():
        raise InvalidQuantity(f"{what} must be a whole number of pieces, got {plain(quantity)}")
    if quantity > MAX_QUANTITY:
        raise InvalidQuantity(f"{what} must be at most {MAX_QUANTITY}, got {plain(quantity)}")
    if quantity.quantize(QUANTITY_STEP, rounding=ROUND_DOWN) != quantity:
        raise InvalidQuantity(f"{what} may have at most {QUANTITY_PLACES} decimals, got {quantity}")
    return plain(quantity)


def split_request(requested: Decimal, available: Decimal) -> tuple[Decimal, Decimal]:
    """(reserved now, backordered) for a line: reserve what is available, backorder the rest."""
    reserved = min(requested, max(available, ZERO))
    return plain(reserved), plain(requested - reserved)


@dataclass(frozen=True)
class QueuedBackorder:
    """An open backorder in the part's first-come-first-served queue."""

    backorder_id: str
    quantity: Decimal


@dataclass(frozen=True)
class Fill:
    """Stock given to a backorder; a remainder stays queued as a new backorder in the same place."""

    backorder_id: str
    filled: Decimal
    remainder: Decimal


def plan_fills(queue: Sequence[QueuedBackorder], available: Decimal) -> list[Fill]:
    """Give the available stock to the queue in order; the first one not covered in full takes what is left."""
    fills: list[Fill] = []
    left = available
    for backorder in queue:
        if left <= 0:
            break
        filled = min(backorder.quantity, left)
        fills.append(Fill(backorder.backorder_id, plain(filled), plain(backorder.quantity - filled)))
        left -= filled
    return fills


@dataclass(frozen=True)
class Held:
    """A line's open reservation of a part."""

    request_line_id: str
    quantity: Decimal


def shrink_reservations(newest_first: Iterable[Held], excess: Decimal) -> list[Held]:
    """Which reservations lose stock when fewer are on hand than reserved: the newest first."""
    taken: list[Held] = []
    left = excess
    for held in newest_first:
        if left <= 0:
            break
        quantity = min(held.quantity, left)
        if quantity > 0:
            taken.append(Held(held.request_line_id, plain(quantity)))
            left -= quantity
    return taken


@dataclass
class LineState:
    """One request line as the ledgers tell it."""

    request_line_id: str
    part_number: str
    requested: Decimal
    reserved: Decimal = ZERO
    issued: Decimal = ZERO
    returned: Decimal = ZERO
    backordered: Decimal = ZERO
    first_pick_from_stock: bool | None = None

    @property
    def outstanding(self) -> Decimal:
        """What the job still waits for."""
        return plain(self.requested - self.issued)

    def check_issue(self, quantity: Decimal) -> None:
        """Refuse to issue more than is reserved for the line."""
        if quantity > self.reserved:
            raise NotEnoughReserved(
                f"line {self.request_line_id} has {plain(self.reserved)} reserved; cannot issue {plain(quantity)}",
                request_line_id=self.request_line_id,
                reserved=str(plain(self.reserved)),
            )

    def first_pick(self, quantity: Decimal, *, from_backorder: bool) -> bool:
        """The line's fill-rate flag, fixed at its first pick: all of it, at once, from stock."""
        if self.first_pick_from_stock is None:
            self.first_pick_from_stock = (not from_backorder) and quantity == self.requested
        return self.first_pick_from_stock

    def check_return(self, quantity: Decimal) -> None:
        """Refuse to take back more than was issued and not yet returned."""
        returnable = plain(self.issued - self.returned)
        if quantity > returnable:
            raise NotEnoughIssued(
                f"line {self.request_line_id} has {plain(returnable)} issued and not returned; cannot return {plain(quantity)}",
                request_line_id=self.request_line_id,
                returnable=str(plain(returnable)),
            )


def request_status(lines: Iterable[LineState]) -> RequestStatus:
    """Issued once every line has been issued in full."""
    return RequestStatus.ISSUED if all(line.outstanding <= 0 for line in lines) else RequestStatus.OPEN


def reorder_transition(was_below: bool, available: Decimal, reorder_point: Decimal) -> Literal["below", "above"] | None:
    """Whether the part just crossed its reorder point (below means strictly less available than the point)."""
    below = available < reorder_point
    if below and not was_below:
        return "below"
    if was_below and not below:
        return "above"
    return None


def suggested_order(
    available: Decimal, reorder_point: Decimal, reorder_quantity: Decimal, backordered: Decimal
) -> Decimal:
    """What to order: enough to cover the backorders and, when below the point, at least the reorder quantity."""
    top_up = max(reorder_quantity, reorder_point - available) if available < reorder_point else ZERO
    return plain(top_up + backordered)


def check_supersession(old: str, new: str, chain_of_new: Sequence[str]) -> None:
    """Refuse a supersession onto itself or one closing a loop."""
    if old == new:
        raise InvalidSupersession(f"part {old} cannot supersede itself")
    if old in chain_of_new:
        raise InvalidSupersession(f"{new} is already superseded (via {' -> '.join(chain_of_new)}) back to {old}")

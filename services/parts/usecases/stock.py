"""Stock arriving and being counted: receipts fill backorders first, counts post their difference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.parts import domain
from services.parts.adapters import store
from services.parts.adapters.tables import Backorder, CountLine, Part, PartsRequest, Receipt, RequestLine, StockCount
from services.parts.domain import BackorderStatus, MovementKind, ReservationKind, Unit, unknown_part
from services.parts.usecases.common import (
    Actor,
    FillDone,
    backorder,
    check_reorder,
    expected_at,
    fill_backorders,
    lock_with_waiting_requests,
    movement,
    reservation,
)
from shared.clock import new_id, utcnow
from shared.contracts import parts as events
from shared.errors import IllegalTransition, Invalid
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class ReceivedLine:
    """A line of a delivery; the cost defaults to the catalogue's."""

    part_number: str
    quantity: Decimal
    unit_cost: Decimal | None = None


async def _catalogue_parts(uow: UnitOfWork, site_id: str, numbers: list[str]) -> dict[str, Part]:
    """The parts named, or 404 for the first one the catalogue does not hold."""
    found: dict[str, Part] = {}
    for number in numbers:
        part = await store.get_part(uow.session, site_id, number)
        if part is None:
            raise unknown_part(number, await store.superseded_by(uow.session, site_id, number))
        found[number] = part
    return found


async def receive(
    uow: UnitOfWork, site_id: str, actor: Actor, supplier_reference: str, lines: list[ReceivedLine]
) -> tuple[Receipt, list[FillDone]]:
    """Book a delivery into stock, then fill the parts' open backorders first come first served."""
    catalogue = await _catalogue_parts(uow, site_id, [line.part_number for line in lines])
    checked = [
        (
            line,
            domain.check_quantity(
                line.quantity, Unit(catalogue[line.part_number].unit), what=f"quantity of {line.part_number}"
            ),
        )
        for line in lines
    ]
    parts = await lock_with_waiting_requests(uow, site_id, catalogue)
    receipt = Receipt(
        receipt_id=new_id(),
        site_id=site_id,
        supplier_reference=supplier_reference,
        received_at=actor.at,
        recorded_by=actor.subject,
        recorded_at=utcnow(),
    )
    uow.session.add(receipt)
    for line, quantity in checked:
        part = parts[line.part_number]
        cost = line.unit_cost if line.unit_cost is not None else part.unit_cost
        uow.session.add(
            movement(part, MovementKind.RECEIPT, quantity, actor, unit_cost=cost, receipt_id=receipt.receipt_id)
        )
        await uow.publish(
            events.PartsReceived(
                site_id=site_id,
                occurred_at=actor.at,
                part_number=part.part_number,
                receipt_id=receipt.receipt_id,
                quantity=quantity,
                unit_cost=cost,
            )
        )
    fills: list[FillDone] = []
    for number in sorted(parts):
        fills += await fill_backorders(uow, parts[number], actor, receipt_id=receipt.receipt_id)
    await check_reorder(uow, [parts[n] for n in sorted(parts)], actor.at)
    return receipt, fills


@dataclass(frozen=True)
class CountedLine:
    """What was found on the shelf."""

    part_number: str
    counted: Decimal


async def count(uow: UnitOfWork, site_id: str, actor: Actor, reason: str, lines: list[CountedLine]) -> StockCount:
    """Post each difference between shelf and ledger as an adjustment with the reason."""
    session = uow.session
    numbers = [line.part_number for line in lines]
    if len(set(numbers)) != len(numbers):
        raise Invalid("a part may be counted only once per count")
    catalogue = await _catalogue_parts(uow, site_id, numbers)
    counted = {
        line.part_number: domain.check_quantity(
            line.counted,
            Unit(catalogue[line.part_number].unit),
            what=f"counted quantity of {line.part_number}",
            allow_zero=True,
        )
        for line in lines
    }
    parts = await store.lock_parts(session, site_id, numbers)
    holders = {
        request_id for n in numbers for request_id, _ in await store.reservations_newest_first(session, site_id, n)
    }
    await store.lock_requests(session, holders | await store.requests_waiting_for(session, site_id, numbers))
    stock_count = StockCount(
        count_id=new_id(),
        site_id=site_id,
        reason=reason,
        counted_at=actor.at,
        recorded_by=actor.subject,
        recorded_at=utcnow(),
    )
    session.add(stock_count)
    for number in sorted(parts):
        part = parts[number]
        before = await store.one_figures(session, site_id, number)
        difference = domain.plain(counted[number] - before.on_hand)
        session.add(
            CountLine(
                count_id=stock_count.count_id,
                part_number=number,
                on_hand_before=before.on_hand,
                counted=counted[number],
            )
        )
        if difference == 0:
            continue
        session.add(movement(part, MovementKind.COUNT, difference, actor, count_id=stock_count.count_id, reason=reason))
        await uow.publish(
            events.StockAdjusted(
                site_id=site_id,
                occurred_at=actor.at,
                part_number=number,
                quantity_delta=difference,
                reason=reason,
                counted_quantity=counted[number],
            )
        )
        if counted[number] < before.reserved:
            await _backorder_lost_reservations(uow, part, domain.plain(before.reserved - counted[number]), actor)
        elif difference > 0:
            await fill_backorders(uow, part, actor)
    await check_reorder(uow, [parts[n] for n in sorted(parts)], actor.at)
    return stock_count


async def _backorder_lost_reservations(uow: UnitOfWork, part: Part, excess: Decimal, actor: Actor) -> None:
    """Fewer on the shelf than reserved: the newest reservations give it up and wait as backorders."""
    session = uow.session
    held = await store.reservations_newest_first(session, part.site_id, part.part_number)
    request_of = {h.request_line_id: request_id for request_id, h in held}
    for taken in domain.shrink_reservations([h for _, h in held], excess):
        line = await session.get(RequestLine, taken.request_line_id)
        request = await session.get(PartsRequest, request_of[taken.request_line_id])
        assert line is not None and request is not None
        session.add(reservation(line, part.site_id, ReservationKind.RELEASE, -taken.quantity, actor.at))
        await backorder(uow, request, line, taken.quantity, actor.at, expected=expected_at(part, actor.at))


async def reschedule(uow: UnitOfWork, row: Backorder, actor: Actor, expected: datetime | None) -> None:
    """Record the supplier's expected date for an open backorder."""
    await store.lock_parts(uow.session, row.site_id, [row.part_number])
    await uow.session.refresh(row)
    if row.status != BackorderStatus.OPEN:
        raise IllegalTransition(
            f"backorder {row.backorder_id} is {row.status}; only an open one can be rescheduled",
            state=row.status,
            allowed=[],
        )
    row.expected_at = expected
    await uow.publish(
        events.BackorderRescheduled(
            site_id=row.site_id,
            occurred_at=actor.at,
            request_id=row.request_id,
            backorder_id=row.backorder_id,
            part_number=row.part_number,
            expected_at=expected,
        )
    )

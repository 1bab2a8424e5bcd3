"""Queries and row locks over the parts tables; never commits (the unit of work does)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.parts.adapters.tables import (
    Backorder,
    Part,
    PartsRequest,
    RequestLine,
    Reservation,
    StockMovement,
    Supersession,
)
from services.parts.domain import ZERO, BackorderStatus, Held, LineState, MovementKind, plain


@dataclass(frozen=True)
class Figures:
    """A part's stock as the ledgers sum it."""

    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    backordered: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        """On hand and not held for a request."""
        return plain(self.on_hand - self.reserved)


async def get_part(session: AsyncSession, site_id: str, part_number: str) -> Part | None:
    """A catalogue entry, without locking."""
    return await session.get(Part, (site_id, part_number))


async def lock_parts(session: AsyncSession, site_id: str, part_numbers: Iterable[str]) -> dict[str, Part]:
    """Lock the parts' rows (sorted, so two transactions never wait on each other in a circle)."""
    wanted = sorted(set(part_numbers))
    if not wanted:
        return {}
    statement = (
        select(Part)
        .where(Part.site_id == site_id, Part.part_number.in_(wanted))  # type: ignore[attr-defined]
        .order_by(Part.part_number)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {part.part_number: part for part in (await session.execute(statement)).scalars()}


async def lock_requests(session: AsyncSession, request_ids: Iterable[str]) -> dict[str, PartsRequest]:
    """Lock requests' rows in id order; always after the parts they touch."""
    wanted = sorted(set(request_ids))
    if not wanted:
        return {}
    statement = (
        select(PartsRequest)
        .where(PartsRequest.request_id.in_(wanted))  # type: ignore[attr-defined]
        .order_by(PartsRequest.request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.request_id: row for row in (await session.execute(statement)).scalars()}


async def superseded_by(session: AsyncSession, site_id: str, part_number: str) -> list[str]:
    """The numbers that replace this one, in order (empty when it is not superseded)."""
    chain: list[str] = []
    current = part_number
    while len(chain) < 20:
        row = await session.get(Supersession, (site_id, current))
        if row is None or row.new_part_number in chain or row.new_part_number == part_number:
            break
        chain.append(row.new_part_number)
        current = row.new_part_number
    return chain


async def supersedes(session: AsyncSession, site_id: str, part_number: str) -> list[str]:
    """The old numbers this part directly replaces."""
    statement = (
        select(Supersession.old_part_number)
        .where(Supersession.site_id == site_id, Supersession.new_part_number == part_number)
        .order_by(Supersession.old_part_number)
    )
    return list((await session.execute(statement)).scalars())


async def figures(session: AsyncSession, site_id: str, part_numbers: Iterable[str]) -> dict[str, Figures]:
    """On hand, reserved and open backorders of each part, summed from the ledgers."""
    wanted = sorted(set(part_numbers))
    if not wanted:
        return {}
    sums: dict[str, dict[str, Decimal]] = {p: {} for p in wanted}
    for name, table in (("on_hand", StockMovement), ("reserved", Reservation)):
        statement = (
            select(table.part_number, func.sum(table.quantity))
            .where(  # type: ignore[attr-defined]
                table.site_id == site_id,
                table.part_number.in_(wanted),  # type: ignore[attr-defined]
            )
            .group_by(table.part_number)
        )
        for part_number, total in await session.execute(statement):
            sums[part_number][name] = total or ZERO
    statement = (
        select(Backorder.part_number, func.sum(Backorder.quantity))
        .where(
            Backorder.site_id == site_id,
            Backorder.part_number.in_(wanted),  # type: ignore[attr-defined]
            Backorder.status == BackorderStatus.OPEN,
        )
        .group_by(Backorder.part_number)
    )
    for part_number, total in await session.execute(statement):
        sums[part_number]["backordered"] = total or ZERO
    return {p: Figures(**values) for p, values in sums.items()}


async def one_figures(session: AsyncSession, site_id: str, part_number: str) -> Figures:
    """The figures of one part."""
    return (await figures(session, site_id, [part_number]))[part_number]


async def request_lines(session: AsyncSession, request_id: str) -> list[RequestLine]:
    """A request's lines in order."""
    statement = select(RequestLine).where(RequestLine.request_id == request_id).order_by(RequestLine.line_no)
    return list((await session.execute(statement)).scalars())


async def line_states(session: AsyncSession, request_id: str) -> dict[str, tuple[RequestLine, LineState]]:
    """Each line of a request with what the ledgers say about it."""
    lines = await request_lines(session, request_id)
    states = {
        line.request_line_id: (
            line,
            LineState(
                line.request_line_id, line.part_number, line.quantity, first_pick_from_stock=line.first_pick_from_stock
            ),
        )
        for line in lines
    }
    reserved = (
        select(Reservation.request_line_id, func.sum(Reservation.quantity))
        .where(Reservation.request_id == request_id)
        .group_by(Reservation.request_line_id)
    )
    for line_id, total in await session.execute(reserved):
        states[line_id][1].reserved = total or ZERO
    moved = (
        select(StockMovement.request_line_id, StockMovement.kind, func.sum(StockMovement.quantity))
        .where(StockMovement.request_id == request_id)
        .group_by(StockMovement.request_line_id, StockMovement.kind)
    )
    for line_id, kind, total in await session.execute(moved):
        if kind == MovementKind.ISSUE:
            states[line_id][1].issued = ZERO - (total or ZERO)
        elif kind == MovementKind.RETURN:
            states[line_id][1].returned = total or ZERO
    waiting = (
        select(Backorder.request_line_id, func.sum(Backorder.quantity))
        .where(Backorder.request_id == request_id, Backorder.status == BackorderStatus.OPEN)
        .group_by(Backorder.request_line_id)
    )
    for line_id, total in await session.execute(waiting):
        states[line_id][1].backordered = total or ZERO
    return states


async def backorders_of_request(session: AsyncSession, request_id: str) -> list[Backorder]:
    """Every backorder of a request, oldest first."""
    statement = select(Backorder).where(Backorder.request_id == request_id).order_by(Backorder.id)
    return list((await session.execute(statement)).scalars())


async def backorder_queue(session: AsyncSession, site_id: str, part_number: str) -> list[Backorder]:
    """Open backorders of a part, first come first."""
    statement = (
        select(Backorder)
        .where(
            Backorder.site_id == site_id, Backorder.part_number == part_number, Backorder.status == BackorderStatus.OPEN
        )
        .order_by(Backorder.queued_at, Backorder.id)
    )
    return list((await session.execute(statement)).scalars())


async def requests_waiting_for(session: AsyncSession, site_id: str, part_numbers: Iterable[str]) -> set[str]:
    """Requests with an open backorder of any of these parts."""
    statement = select(Backorder.request_id).where(
        Backorder.site_id == site_id,
        Backorder.part_number.in_(sorted(set(part_numbers))),  # type: ignore[attr-defined]
        Backorder.status == BackorderStatus.OPEN,
    )
    return set((await session.execute(statement)).scalars())


async def reservations_newest_first(session: AsyncSession, site_id: str, part_number: str) -> list[tuple[str, Held]]:
    """Open reservations of a part as (request id, held), the most recently requested first."""
    total = func.sum(Reservation.quantity)
    statement = (
        select(Reservation.request_id, Reservation.request_line_id, total)
        .join(PartsRequest, and_(PartsRequest.request_id == Reservation.request_id))
        .where(Reservation.site_id == site_id, Reservation.part_number == part_number)
        .group_by(Reservation.request_id, Reservation.request_line_id, PartsRequest.requested_at)
        .having(total > 0)
        .order_by(PartsRequest.requested_at.desc(), Reservation.request_line_id.desc())  # type: ignore[attr-defined]
    )
    return [(request_id, Held(line_id, held)) for request_id, line_id, held in await session.execute(statement)]


async def last_issue(session: AsyncSession, request_line_id: str) -> StockMovement | None:
    """The most recent issue of a line (its cost and price are what a return credits)."""
    statement = (
        select(StockMovement)
        .where(StockMovement.request_line_id == request_line_id, StockMovement.kind == MovementKind.ISSUE)
        .order_by(StockMovement.id.desc())
        .limit(1)
    )  # type: ignore[union-attr]
    return (await session.execute(statement)).scalars().first()

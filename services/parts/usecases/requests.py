"""Requests for parts: accept (reserve or backorder), issue to the job, take returns back."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from services.parts import domain
from services.parts.adapters import store
from services.parts.adapters.tables import Part, PartsRequest, RequestLine
from services.parts.domain import MovementKind, Origin, ReservationKind, Unit, unknown_part
from services.parts.usecases.common import (
    Actor,
    backorder,
    check_reorder,
    expected_at,
    fill_backorders,
    lock_with_waiting_requests,
    movement,
    publish_issued,
    reservation,
)
from shared.clock import utcnow
from shared.contracts import parts as events
from shared.errors import Conflict, Invalid
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class WantedLine:
    """A line as asked for: part number and quantity."""

    part_number: str
    quantity: Decimal


@dataclass(frozen=True)
class _Resolved:
    asked_for: str
    part_number: str
    quantity: Decimal
    known: bool


async def _resolve(uow: UnitOfWork, site_id: str, wanted: WantedLine, *, strict: bool) -> _Resolved:
    """At the counter an unknown or superseded number is refused; from the workshop it is replaced or backordered."""
    session = uow.session
    part = await store.get_part(session, site_id, wanted.part_number)
    chain = await store.superseded_by(session, site_id, wanted.part_number)
    if strict and (part is None or chain):
        raise unknown_part(wanted.part_number, chain)
    number = chain[-1] if chain else wanted.part_number
    if number != wanted.part_number:
        part = await store.get_part(session, site_id, number)
    unit = Unit(part.unit) if part is not None else None
    quantity = domain.check_quantity(wanted.quantity, unit, what=f"quantity of {number}")
    return _Resolved(wanted.part_number, number, quantity, part is not None)


async def accept_request(
    uow: UnitOfWork,
    *,
    site_id: str,
    request_id: str,
    origin: Origin,
    repair_order_id: str | None,
    job_id: str | None,
    requested_by: str,
    actor: Actor,
    lines: list[WantedLine],
) -> PartsRequest:
    """Record a request, reserve what is available and backorder the rest; a known request id changes nothing."""
    session = uow.session
    existing = await session.get(PartsRequest, request_id)
    if existing is not None:
        return existing
    resolved = [await _resolve(uow, site_id, line, strict=origin is Origin.COUNTER) for line in lines]
    parts = await store.lock_parts(session, site_id, {r.part_number for r in resolved if r.known})
    available = {number: f.available for number, f in (await store.figures(session, site_id, parts)).items()}
    request = PartsRequest(
        request_id=request_id,
        site_id=site_id,
        origin=origin,
        repair_order_id=repair_order_id,
        job_id=job_id,
        requested_by=requested_by,
        requested_at=actor.at,
        recorded_at=utcnow(),
    )
    session.add(request)
    rows: list[tuple[RequestLine, Decimal, Decimal]] = []
    for n, item in enumerate(resolved, start=1):
        line = RequestLine(
            request_line_id=f"{request_id}:{n}",
            request_id=request_id,
            line_no=n,
            part_number=item.part_number,
            requested_part_number=item.asked_for,
            quantity=item.quantity,
        )
        session.add(line)
        held, short = domain.split_request(item.quantity, available.get(item.part_number, domain.ZERO))
        if item.known:
            available[item.part_number] -= held
        rows.append((line, held, short))
    await uow.publish(
        events.PartsRequestReceived(
            site_id=site_id,
            occurred_at=actor.at,
            request_id=request_id,
            repair_order_id=repair_order_id,
            job_id=job_id,
            origin=origin,
            requested_at=actor.at,
            requested_by=requested_by,
            lines=[
                events.RequestLine(
                    request_line_id=line.request_line_id, part_number=line.part_number, quantity=line.quantity
                )
                for line, _, _ in rows
            ],
        )
    )
    reserved = [(line, held) for line, held, _ in rows if held > 0]
    for line, held in reserved:
        session.add(reservation(line, site_id, ReservationKind.RESERVE, held, actor.at))
    if reserved:
        await uow.publish(
            events.PartsReserved(
                site_id=site_id,
                occurred_at=actor.at,
                request_id=request_id,
                lines=[
                    events.RequestLine(
                        request_line_id=line.request_line_id, part_number=line.part_number, quantity=held
                    )
                    for line, held in reserved
                ],
            )
        )
    for line, _, short in rows:
        if short > 0:
            await backorder(
                uow, request, line, short, actor.at, expected=expected_at(parts.get(line.part_number), actor.at)
            )
    await check_reorder(uow, parts.values(), actor.at)
    return request


async def issue(uow: UnitOfWork, request: PartsRequest, actor: Actor, wanted: dict[str, Decimal] | None) -> bool:
    """Pick and issue reserved stock to the job (all that is reserved when `wanted` is None); True when issued in full."""
    session = uow.session
    if actor.at < request.requested_at:
        raise Invalid("occurred_at is before the request was made", requested_at=request.requested_at.isoformat())
    lines = {line.request_line_id: line for line in await store.request_lines(session, request.request_id)}
    unknown = sorted(set(wanted or ()) - set(lines))
    if unknown:
        raise Invalid(f"request {request.request_id} has no line {', '.join(unknown)}")
    chosen = set(wanted) if wanted is not None else set(lines)
    parts = await store.lock_parts(session, request.site_id, {lines[i].part_number for i in chosen})
    await store.lock_requests(session, [request.request_id])
    states = await store.line_states(session, request.request_id)
    if wanted is not None:
        wanted = dict(wanted)
    else:
        wanted = {line_id: state.reserved for line_id, (_, state) in states.items() if state.reserved > 0}
        if not wanted:
            raise Conflict(
                f"request {request.request_id} has nothing reserved to issue",
                type_="/problems/nothing-reserved",
                title="Nothing to issue",
            )
    per_part: dict[str, Decimal] = defaultdict(Decimal)
    for line_id, quantity in list(wanted.items()):
        line, state = states[line_id]
        part = parts.get(line.part_number)  # None: not in the catalogue yet, so nothing can be reserved
        wanted[line_id] = quantity = domain.check_quantity(
            quantity, Unit(part.unit) if part else None, what=f"quantity of line {line_id}"
        )
        state.check_issue(quantity)
        per_part[line.part_number] += quantity
    figures = await store.figures(session, request.site_id, per_part)
    for number, quantity in per_part.items():
        if quantity > figures[number].on_hand:
            raise Conflict(
                f"only {domain.plain(figures[number].on_hand)} of {number} on hand",
                type_="/problems/not-enough-on-hand",
                title="Not enough on hand",
                part_number=number,
            )
    issued: list[events.IssuedLine] = []
    for line_id, quantity in wanted.items():
        line, state = states[line_id]
        part = parts[line.part_number]
        line.first_pick_from_stock = state.first_pick(quantity, from_backorder=False)
        session.add(
            movement(
                part,
                MovementKind.ISSUE,
                -quantity,
                actor,
                unit_cost=part.unit_cost,
                unit_price=part.unit_price,
                request_id=request.request_id,
                request_line_id=line_id,
            )
        )
        session.add(reservation(line, request.site_id, ReservationKind.ISSUE, -quantity, actor.at))
        issued.append(
            events.IssuedLine(
                request_line_id=line_id,
                part_number=part.part_number,
                quantity=quantity,
                unit_cost=part.unit_cost,
                unit_price=part.unit_price,
                from_stock_at_first_pick=line.first_pick_from_stock,
            )
        )
    return await publish_issued(uow, request, issued, actor.at)


async def take_return(
    uow: UnitOfWork, request: PartsRequest, actor: Actor, request_line_id: str, quantity: Decimal, reason: str
) -> None:
    """Put parts a job did not use back on the shelf (at the cost and price they were issued at)."""
    session = uow.session
    line = await session.get(RequestLine, request_line_id)
    if line is None or line.request_id != request.request_id:
        raise Invalid(f"request {request.request_id} has no line {request_line_id}")
    parts = await lock_with_waiting_requests(uow, request.site_id, [line.part_number], also=[request.request_id])
    part: Part = parts[line.part_number]
    quantity = domain.check_quantity(quantity, Unit(part.unit))
    _, state = (await store.line_states(session, request.request_id))[request_line_id]
    state.check_return(quantity)
    last = await store.last_issue(session, request_line_id)
    assert last is not None and last.unit_cost is not None and last.unit_price is not None
    session.add(
        movement(
            part,
            MovementKind.RETURN,
            quantity,
            actor,
            unit_cost=last.unit_cost,
            unit_price=last.unit_price,
            request_id=request.request_id,
            request_line_id=request_line_id,
            reason=reason,
        )
    )
    await uow.publish(
        events.PartsReturned(
            site_id=request.site_id,
            occurred_at=actor.at,
            request_id=request.request_id,
            repair_order_id=request.repair_order_id,
            job_id=request.job_id,
            part_number=part.part_number,
            quantity=quantity,
            unit_cost=last.unit_cost,
            unit_price=last.unit_price,
            reason=reason,
            request_line_id=request_line_id,
        )
    )
    await fill_backorders(uow, part, actor)
    await check_reorder(uow, [part], actor.at)

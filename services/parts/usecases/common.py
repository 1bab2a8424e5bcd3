"""Steps every stock change shares: ledger rows, backorder fills, reorder-point crossings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from services.parts import domain
from services.parts.adapters import store
from services.parts.adapters.tables import Backorder, Part, PartsRequest, RequestLine, Reservation, StockMovement
from services.parts.domain import BackorderStatus, MovementKind, ReservationKind
from shared.clock import Actor, new_id, utcnow
from shared.contracts.parts import (
    BackorderFilled,
    IssuedLine,
    PartBackAboveReorderPoint,
    PartBelowReorderPoint,
    PartsBackordered,
    PartsIssued,
)
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class FillDone:
    """Stock a receipt (or return, or count) gave to a backorder."""

    backorder_id: str
    request_id: str
    request_line_id: str
    part_number: str
    quantity: Decimal
    remainder_backorder_id: str | None


@dataclass
class _Issued:
    request: PartsRequest
    at: datetime
    lines: list[IssuedLine] = field(default_factory=list)


def movement(part: Part, kind: MovementKind, quantity: Decimal, actor: Actor, **refs: object) -> StockMovement:
    """A stock ledger row for the part."""
    return StockMovement(
        site_id=part.site_id,
        part_number=part.part_number,
        kind=kind,
        quantity=quantity,
        recorded_by=actor.subject,
        occurred_at=actor.at,
        recorded_at=utcnow(),
        **refs,  # type: ignore[arg-type]
    )


def reservation(line: RequestLine, site_id: str, kind: ReservationKind, quantity: Decimal, at: datetime) -> Reservation:
    """A reservation ledger row for the line."""
    return Reservation(
        site_id=site_id,
        part_number=line.part_number,
        request_id=line.request_id,
        request_line_id=line.request_line_id,
        kind=kind,
        quantity=quantity,
        occurred_at=at,
        recorded_at=utcnow(),
    )


def expected_at(part: Part | None, at: datetime) -> datetime | None:
    """When a backorder is expected by default: the part's lead time after it was raised."""
    if part is None or part.lead_time_days is None:
        return None
    return at + timedelta(days=part.lead_time_days)


async def backorder(
    uow: UnitOfWork,
    request: PartsRequest,
    line: RequestLine,
    quantity: Decimal,
    at: datetime,
    *,
    expected: datetime | None,
    queued_at: datetime | None = None,
    continues: str | None = None,
) -> Backorder:
    """Queue what a line is short and publish PartsBackordered."""
    row = Backorder(
        backorder_id=new_id(),
        site_id=request.site_id,
        part_number=line.part_number,
        request_id=request.request_id,
        request_line_id=line.request_line_id,
        quantity=quantity,
        status=BackorderStatus.OPEN,
        queued_at=queued_at or request.requested_at,
        expected_at=expected,
        created_at=utcnow(),
    )
    uow.session.add(row)
    await uow.publish(
        PartsBackordered(
            site_id=request.site_id,
            occurred_at=at,
            request_id=request.request_id,
            backorder_id=row.backorder_id,
            request_line_id=line.request_line_id,
            repair_order_id=request.repair_order_id,
            job_id=request.job_id,
            part_number=line.part_number,
            quantity=quantity,
            expected_at=expected,
            continues_backorder_id=continues,
        )
    )
    return row


async def fill_backorders(
    uow: UnitOfWork, part: Part, actor: Actor, *, receipt_id: str | None = None
) -> list[FillDone]:
    """Give available stock to the part's open backorders, first come first served, and issue it to their jobs.

    The caller holds the part's lock and the locks of every request waiting for it.
    """
    session = uow.session
    available = (await store.one_figures(session, part.site_id, part.part_number)).available
    queue = await store.backorder_queue(session, part.site_id, part.part_number)
    plan = domain.plan_fills([domain.QueuedBackorder(b.backorder_id, b.quantity) for b in queue], available)
    by_id = {b.backorder_id: b for b in queue}
    done: list[FillDone] = []
    issued: dict[str, _Issued] = {}
    for fill in plan:
        row = by_id[fill.backorder_id]
        request = await session.get(PartsRequest, row.request_id)
        line = await session.get(RequestLine, row.request_line_id)
        assert request is not None and line is not None
        at = max(actor.at, request.requested_at)
        row.status, row.filled_quantity, row.filled_at = BackorderStatus.FILLED, fill.filled, at
        session.add(
            movement(
                part,
                MovementKind.ISSUE,
                -fill.filled,
                Actor(actor.subject, at),
                unit_cost=part.unit_cost,
                unit_price=part.unit_price,
                request_id=row.request_id,
                request_line_id=row.request_line_id,
                backorder_id=row.backorder_id,
                receipt_id=receipt_id,
            )
        )
        if line.first_pick_from_stock is None:
            line.first_pick_from_stock = False
        remainder = None
        if fill.remainder > 0:
            remainder = await backorder(
                uow,
                request,
                line,
                fill.remainder,
                at,
                expected=row.expected_at,
                queued_at=row.queued_at,
                continues=row.backorder_id,
            )
            row.continued_by = remainder.backorder_id
        await uow.publish(
            BackorderFilled(
                site_id=part.site_id,
                occurred_at=at,
                request_id=row.request_id,
                backorder_id=row.backorder_id,
                part_number=part.part_number,
                quantity=fill.filled,
                request_line_id=row.request_line_id,
                remainder_backorder_id=remainder.backorder_id if remainder else None,
            )
        )
        entry = issued.setdefault(request.request_id, _Issued(request, at))
        entry.lines.append(
            IssuedLine(
                request_line_id=line.request_line_id,
                part_number=part.part_number,
                quantity=fill.filled,
                unit_cost=part.unit_cost,
                unit_price=part.unit_price,
                from_stock_at_first_pick=bool(line.first_pick_from_stock),
                backorder_id=row.backorder_id,
            )
        )
        done.append(
            FillDone(
                row.backorder_id,
                row.request_id,
                row.request_line_id,
                part.part_number,
                fill.filled,
                remainder.backorder_id if remainder else None,
            )
        )
    for entry in issued.values():
        await publish_issued(uow, entry.request, entry.lines, entry.at)
    return done


async def publish_issued(uow: UnitOfWork, request: PartsRequest, lines: list[IssuedLine], at: datetime) -> bool:
    """Publish PartsIssued, saying whether the request is now issued in full (and mark it so)."""
    states = await store.line_states(uow.session, request.request_id)
    complete = domain.request_status(state for _, state in states.values()) is domain.RequestStatus.ISSUED
    if complete and request.fully_issued_at is None:
        request.fully_issued_at = at
    await uow.publish(
        PartsIssued(
            site_id=request.site_id,
            occurred_at=at,
            request_id=request.request_id,
            repair_order_id=request.repair_order_id,
            job_id=request.job_id,
            lines=lines,
            request_fully_issued=complete,
        )
    )
    return complete


async def check_reorder(uow: UnitOfWork, parts: Iterable[Part], at: datetime) -> None:
    """Publish the parts that just went below their reorder point, or back above it."""
    for part in parts:
        figures = await store.one_figures(uow.session, part.site_id, part.part_number)
        crossing = domain.reorder_transition(part.below_reorder_point, figures.available, part.reorder_point)
        if crossing == "below":
            part.below_reorder_point = True
            await uow.publish(
                PartBelowReorderPoint(
                    site_id=part.site_id,
                    occurred_at=at,
                    part_number=part.part_number,
                    available=figures.available,
                    reorder_point=part.reorder_point,
                    reorder_quantity=part.reorder_quantity,
                )
            )
        elif crossing == "above":
            part.below_reorder_point = False
            await uow.publish(
                PartBackAboveReorderPoint(
                    site_id=part.site_id,
                    occurred_at=at,
                    part_number=part.part_number,
                    available=figures.available,
                    reorder_point=part.reorder_point,
                )
            )


async def lock_with_waiting_requests(
    uow: UnitOfWork, site_id: str, part_numbers: Iterable[str], also: Iterable[str] = ()
) -> dict[str, Part]:
    """Lock the parts, then every request waiting for them (plus `also`), in the one global order."""
    numbers = set(part_numbers)
    parts = await store.lock_parts(uow.session, site_id, numbers)
    waiting = await store.requests_waiting_for(uow.session, site_id, numbers)
    await store.lock_requests(uow.session, waiting | set(also))
    return parts

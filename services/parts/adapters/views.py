"""What the counter reads: parts with their stock, ledgers, requests, backorders, receipts, counts, the reorder list."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.parts import domain
from services.parts.adapters import store
from services.parts.adapters.tables import Backorder, CountLine, Part, PartsRequest, Receipt, StockCount, StockMovement
from services.parts.api.schemas import (
    BackorderRead,
    CountLineRead,
    CountRead,
    FillRead,
    MovementRead,
    PartRead,
    PartsRequestRead,
    ReceiptLineRead,
    ReceiptRead,
    ReorderLine,
    RequestLineRead,
)
from services.parts.domain import BackorderStatus, MovementKind, Unit
from services.parts.usecases.common import FillDone
from shared.http import Page, PageParams


async def parts_read(session: AsyncSession, parts: list[Part]) -> list[PartRead]:
    """Catalogue entries with their stock figures and supersessions."""
    if not parts:
        return []
    figures = await store.figures(session, parts[0].site_id, [p.part_number for p in parts])
    out = []
    for part in parts:
        f = figures[part.part_number]
        chain = await store.superseded_by(session, part.site_id, part.part_number)
        out.append(
            PartRead(
                site_id=part.site_id,
                part_number=part.part_number,
                description=part.description,
                unit=Unit(part.unit),
                unit_cost=part.unit_cost,
                unit_price=part.unit_price,
                bin_location=part.bin_location,
                reorder_point=part.reorder_point,
                reorder_quantity=part.reorder_quantity,
                lead_time_days=part.lead_time_days,
                superseded_by=chain[-1] if chain else None,
                supersedes=await store.supersedes(session, part.site_id, part.part_number),
                on_hand=f.on_hand,
                reserved=f.reserved,
                available=f.available,
                backordered=f.backordered,
                below_reorder_point=part.below_reorder_point,
                version=part.version,
            )
        )
    return out


async def parts_page(session: AsyncSession, site_id: str, page: PageParams, search: str | None) -> Page[PartRead]:
    """A page of the catalogue, by part number; `search` matches number or description."""
    where = [Part.site_id == site_id]
    if search:
        pattern = f"%{search.lower()}%"
        where.append(or_(func.lower(Part.part_number).like(pattern), func.lower(Part.description).like(pattern)))
    total = (await session.execute(select(func.count()).select_from(Part).where(*where))).scalar_one()
    rows = (
        (
            await session.execute(
                select(Part).where(*where).order_by(Part.part_number).limit(page.limit).offset(page.offset)
            )
        )
        .scalars()
        .all()
    )
    return Page(items=await parts_read(session, list(rows)), total=total, limit=page.limit, offset=page.offset)


async def ledger_page(session: AsyncSession, site_id: str, part_number: str, page: PageParams) -> Page[MovementRead]:
    """The part's stock ledger, oldest first, with the balance after each row."""
    where = (StockMovement.site_id == site_id, StockMovement.part_number == part_number)
    balance = func.sum(StockMovement.quantity).over(order_by=StockMovement.id).label("balance_after")
    inner = select(StockMovement, balance).where(*where).subquery()
    total = (await session.execute(select(func.count()).select_from(StockMovement).where(*where))).scalar_one()
    rows = await session.execute(select(inner).order_by(inner.c.id).limit(page.limit).offset(page.offset))
    items = [
        MovementRead(
            movement_id=r.id,
            kind=r.kind,
            quantity=r.quantity,
            balance_after=r.balance_after,
            unit_cost=r.unit_cost,
            unit_price=r.unit_price,
            request_id=r.request_id,
            request_line_id=r.request_line_id,
            backorder_id=r.backorder_id,
            receipt_id=r.receipt_id,
            count_id=r.count_id,
            reason=r.reason,
            recorded_by=r.recorded_by,
            occurred_at=r.occurred_at,
            recorded_at=r.recorded_at,
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def backorder_read(row: Backorder, request: PartsRequest) -> BackorderRead:
    """A backorder with the RO and job it is for."""
    return BackorderRead(
        backorder_id=row.backorder_id,
        site_id=row.site_id,
        request_id=row.request_id,
        request_line_id=row.request_line_id,
        repair_order_id=request.repair_order_id,
        job_id=request.job_id,
        part_number=row.part_number,
        quantity=row.quantity,
        status=row.status,
        queued_at=row.queued_at,
        expected_at=row.expected_at,
        filled_quantity=row.filled_quantity,
        filled_at=row.filled_at,
        continued_by=row.continued_by,
    )


async def request_read(session: AsyncSession, request: PartsRequest) -> PartsRequestRead:
    """A request with each line's reserved, issued, returned and backordered quantities."""
    states = await store.line_states(session, request.request_id)
    backorders = await store.backorders_of_request(session, request.request_id)
    lines = [
        RequestLineRead(
            request_line_id=line.request_line_id,
            part_number=line.part_number,
            requested_part_number=line.requested_part_number,
            quantity=line.quantity,
            reserved=state.reserved,
            issued=state.issued,
            returned=state.returned,
            backordered=state.backordered,
            outstanding=state.outstanding,
            from_stock_at_first_pick=line.first_pick_from_stock,
            backorders=[backorder_read(b, request) for b in backorders if b.request_line_id == line.request_line_id],
        )
        for line, state in states.values()
    ]
    status = domain.request_status(state for _, state in states.values())
    return PartsRequestRead(
        request_id=request.request_id,
        site_id=request.site_id,
        origin=request.origin,
        repair_order_id=request.repair_order_id,
        job_id=request.job_id,
        requested_by=request.requested_by,
        requested_at=request.requested_at,
        status=status,
        fully_issued_at=request.fully_issued_at,
        lines=lines,
    )


async def requests_page(
    session: AsyncSession, site_id: str, page: PageParams, status: str | None, repair_order_id: str | None
) -> Page[PartsRequestRead]:
    """A page of a site's requests, newest first."""
    where = [PartsRequest.site_id == site_id]
    if status == "open":
        where.append(PartsRequest.fully_issued_at.is_(None))  # type: ignore[union-attr]
    elif status == "issued":
        where.append(PartsRequest.fully_issued_at.is_not(None))  # type: ignore[union-attr]
    if repair_order_id:
        where.append(PartsRequest.repair_order_id == repair_order_id)
    total = (await session.execute(select(func.count()).select_from(PartsRequest).where(*where))).scalar_one()
    rows = (
        (
            await session.execute(
                select(PartsRequest)
                .where(*where)
                .order_by(PartsRequest.requested_at.desc(), PartsRequest.request_id)
                .limit(page.limit)
                .offset(page.offset)
            )
        )
        .scalars()
        .all()
    )  # type: ignore[attr-defined]
    return Page(items=[await request_read(session, r) for r in rows], total=total, limit=page.limit, offset=page.offset)


async def backorders_page(
    session: AsyncSession, site_id: str, page: PageParams, status: str | None, part_number: str | None
) -> Page[BackorderRead]:
    """A page of a site's backorders in queue order."""
    where = [Backorder.site_id == site_id]
    if status:
        where.append(Backorder.status == status)
    if part_number:
        where.append(Backorder.part_number == part_number)
    total = (await session.execute(select(func.count()).select_from(Backorder).where(*where))).scalar_one()
    rows = await session.execute(
        select(Backorder, PartsRequest)
        .join(PartsRequest, PartsRequest.request_id == Backorder.request_id)  # type: ignore[arg-type]
        .where(*where)
        .order_by(Backorder.part_number, Backorder.queued_at, Backorder.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return Page(items=[backorder_read(b, r) for b, r in rows], total=total, limit=page.limit, offset=page.offset)


async def receipt_read(session: AsyncSession, receipt: Receipt, fills: list[FillDone] | None = None) -> ReceiptRead:
    """A delivery with its lines and the backorders it filled."""
    moved = (
        (
            await session.execute(
                select(StockMovement).where(StockMovement.receipt_id == receipt.receipt_id).order_by(StockMovement.id)
            )
        )
        .scalars()
        .all()
    )  # type: ignore[arg-type]
    lines = [
        ReceiptLineRead(part_number=m.part_number, quantity=m.quantity, unit_cost=m.unit_cost or 0)
        for m in moved
        if m.kind == MovementKind.RECEIPT
    ]
    if fills is None:
        backorders = {
            b.backorder_id: b
            for b in (
                await session.execute(
                    select(Backorder).where(
                        Backorder.backorder_id.in_([m.backorder_id for m in moved if m.backorder_id])
                    )
                )
            ).scalars()
        }  # type: ignore[attr-defined]
        fills = [
            FillDone(
                m.backorder_id,
                m.request_id or "",
                m.request_line_id or "",
                m.part_number,
                -m.quantity,
                backorders[m.backorder_id].continued_by,
            )
            for m in moved
            if m.kind == MovementKind.ISSUE and m.backorder_id
        ]
    return ReceiptRead(
        receipt_id=receipt.receipt_id,
        site_id=receipt.site_id,
        supplier_reference=receipt.supplier_reference,
        received_at=receipt.received_at,
        recorded_by=receipt.recorded_by,
        lines=lines,
        filled=[
            FillRead(
                backorder_id=f.backorder_id,
                request_id=f.request_id,
                request_line_id=f.request_line_id,
                part_number=f.part_number,
                quantity=f.quantity,
                remainder_backorder_id=f.remainder_backorder_id,
            )
            for f in fills
        ],
    )


async def count_read(session: AsyncSession, count: StockCount) -> CountRead:
    """A count with each part's difference."""
    rows = (
        (
            await session.execute(
                select(CountLine).where(CountLine.count_id == count.count_id).order_by(CountLine.part_number)
            )
        )
        .scalars()
        .all()
    )
    return CountRead(
        count_id=count.count_id,
        site_id=count.site_id,
        reason=count.reason,
        counted_at=count.counted_at,
        recorded_by=count.recorded_by,
        lines=[
            CountLineRead(
                part_number=r.part_number,
                on_hand_before=r.on_hand_before,
                counted_quantity=r.counted,
                difference=domain.plain(r.counted - r.on_hand_before),
            )
            for r in rows
        ],
    )


async def reorder_list(session: AsyncSession, site_id: str) -> list[ReorderLine]:
    """Parts to order: below their reorder point, or with jobs waiting on backorders."""
    waiting = select(Backorder.part_number).where(
        Backorder.site_id == site_id, Backorder.status == BackorderStatus.OPEN
    )
    candidates = (
        select(Part)
        .where(
            Part.site_id == site_id,
            or_(Part.below_reorder_point, Part.part_number.in_(waiting)),  # type: ignore[arg-type, attr-defined]
        )
        .order_by(Part.part_number)
    )
    parts = (await session.execute(candidates)).scalars().all()
    figures = await store.figures(session, site_id, [p.part_number for p in parts])
    out = []
    for part in parts:
        f = figures[part.part_number]
        below = f.available < part.reorder_point
        if not below and f.backordered <= 0:
            continue
        out.append(
            ReorderLine(
                part_number=part.part_number,
                description=part.description,
                unit=Unit(part.unit),
                bin_location=part.bin_location,
                on_hand=f.on_hand,
                reserved=f.reserved,
                available=f.available,
                backordered=f.backordered,
                reorder_point=part.reorder_point,
                reorder_quantity=part.reorder_quantity,
                below_reorder_point=below,
                suggested_quantity=domain.suggested_order(
                    f.available, part.reorder_point, part.reorder_quantity, f.backordered
                ),
            )
        )
    return out

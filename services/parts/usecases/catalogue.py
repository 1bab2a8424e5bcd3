"""The catalogue of a site: parts, their prices and reorder settings, and supersessions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.parts import domain
from services.parts.adapters import store
from services.parts.adapters.tables import Part, Supersession
from services.parts.domain import Unit, unknown_part
from services.parts.usecases.common import check_reorder
from shared.clock import Actor, utcnow
from shared.errors import Conflict
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class NewPart:
    """What a catalogue entry is made of."""

    part_number: str
    description: str
    unit: Unit
    unit_cost: Decimal
    unit_price: Decimal
    bin_location: str
    reorder_point: Decimal
    reorder_quantity: Decimal
    lead_time_days: int | None
    supersedes: str | None


def _check_reorder_settings(unit: Unit, changes: dict[str, Any]) -> None:
    for name in ("reorder_point", "reorder_quantity"):
        if changes.get(name) is not None:
            changes[name] = domain.check_quantity(changes[name], unit, what=name.replace("_", " "), allow_zero=True)


async def create_part(uow: UnitOfWork, site_id: str, new: NewPart, actor: Actor) -> Part:
    """Add a part to the catalogue (optionally replacing an old number); 409 if it is there already."""
    session = uow.session
    if await store.get_part(session, site_id, new.part_number) is not None:
        raise Conflict(
            f"part {new.part_number!r} is already in the catalogue of {site_id}",
            type_="/problems/part-exists",
            title="Part exists",
            part_number=new.part_number,
        )
    settings = {"reorder_point": new.reorder_point, "reorder_quantity": new.reorder_quantity}
    _check_reorder_settings(new.unit, settings)
    now = utcnow()
    part = Part(
        site_id=site_id,
        part_number=new.part_number,
        description=new.description,
        unit=new.unit,
        unit_cost=new.unit_cost,
        unit_price=new.unit_price,
        bin_location=new.bin_location,
        lead_time_days=new.lead_time_days,
        created_at=now,
        updated_at=now,
        **settings,
    )
    session.add(part)
    await _flush_or_conflict(uow, f"part {new.part_number!r} was just added by someone else")
    if new.supersedes is not None:
        await supersede(uow, site_id, new.supersedes, new.part_number, actor)
    await check_reorder(uow, [part], actor.at)
    return part


async def update_part(uow: UnitOfWork, part: Part, changes: dict[str, Any], actor: Actor) -> Part:
    """Change a part's description, prices, bin or reorder settings (the part is locked by the caller)."""
    _check_reorder_settings(Unit(part.unit), changes)
    for name, value in changes.items():
        setattr(part, name, value)
    part.version += 1
    part.updated_at = utcnow()
    await check_reorder(uow, [part], actor.at)
    return part


async def supersede(uow: UnitOfWork, site_id: str, old: str, new: str, actor: Actor) -> Supersession:
    """Record that `new` replaces `old` from now on; `new` must be a catalogue part."""
    session = uow.session
    if await store.get_part(session, site_id, new) is None:
        raise unknown_part(new, await store.superseded_by(session, site_id, new))
    domain.check_supersession(old, new, [new, *await store.superseded_by(session, site_id, new)])
    row = await session.get(Supersession, (site_id, old))
    if row is None:
        row = Supersession(
            site_id=site_id, old_part_number=old, new_part_number=new, recorded_by=actor.subject, recorded_at=utcnow()
        )
        session.add(row)
    else:
        row.new_part_number, row.recorded_by, row.recorded_at = new, actor.subject, utcnow()
    await _flush_or_conflict(uow, f"the supersession of {old!r} was just recorded by someone else; retry")
    return row


async def _flush_or_conflict(uow: UnitOfWork, detail: str) -> None:
    """Write now, so a concurrent insert of the same key is a 409 rather than a failed commit."""
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        raise Conflict(detail, type_="/problems/concurrent-insert") from exc

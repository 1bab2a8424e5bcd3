"""Reading the satisfaction facts of a site for a window."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import String, and_, bindparam, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from services.kpi.db import RepairOrderFact
from services.kpi.facts import dt, ts
from services.kpi.satisfaction.figures import Attempt, Complaint, Delivery, SatisfactionFacts
from services.kpi.satisfaction.tables import ComplaintFact, FollowUpAttemptFact, FollowUpDueFact
from shared.db import UtcDateTime


def _t(model: Any) -> Any:
    return model.__table__


SITE = bindparam("site", type_=String())
LO, HI = bindparam("lo", type_=UtcDateTime()), bindparam("hi", type_=UtcDateTime())


@cache
def _statements() -> dict[str, Any]:
    """The statements of a read, built once on bound parameters (:site, :lo, :hi)."""
    due, ro, att, com = _t(FollowUpDueFact), _t(RepairOrderFact), _t(FollowUpAttemptFact), _t(ComplaintFact)
    delivered = and_(due.c.site_id == SITE, due.c.delivered_at >= LO, due.c.delivered_at < HI)
    return {
        "deliveries": select(due.c.repair_order_id, due.c.delivered_at, due.c.due_at, ro.c.advisor)
        .select_from(due.outerjoin(ro, and_(ro.c.site_id == due.c.site_id, ro.c.repair_order_id == due.c.repair_order_id)))
        .where(delivered),
        "attempts": select(att).where(att.c.site_id == SITE, or_(
            and_(att.c.at >= LO, att.c.at < HI), att.c.repair_order_id.in_(select(due.c.repair_order_id).where(delivered)))),
        "complaints": select(com).where(com.c.site_id == SITE, com.c.opened_at < HI,
                                        or_(com.c.resolved_at.is_(None), com.c.resolved_at >= LO)),
    }


async def load(conn: AsyncConnection, site_id: str, start: float, end: float) -> SatisfactionFacts:
    """Deliveries in [start, end), the attempts on them or in it, and complaints open at some point of it."""
    return await conn.run_sync(load_sync, site_id, start, end)


def load_sync(conn: Connection, site_id: str, start: float, end: float) -> SatisfactionFacts:
    """`load` on a synchronous connection (a worker thread)."""
    params = {"site": site_id, "lo": dt(start), "hi": dt(end)}
    return from_rows({name: list(conn.execute(statement, params).mappings().all()) for name, statement in _statements().items()})


def from_rows(rows: dict[str, list[Any]]) -> SatisfactionFacts:
    """The satisfaction facts from the rows each statement read."""
    deliveries = [Delivery(r["repair_order_id"], r["advisor"], r["delivered_at"].timestamp(), ts(r["due_at"]))
                  for r in rows["deliveries"]]
    attempts = [Attempt(r["repair_order_id"], r["advisor"], r["at"].timestamp(), bool(r["reached"]), dict(r["scores"] or {}),
                        dict(r["weak_items"] or {})) for r in rows["attempts"] if r["at"] is not None]
    complaints = [Complaint(r["complaint_id"], r["advisor"], ts(r["opened_at"]), ts(r["resolved_at"])) for r in rows["complaints"]]
    return SatisfactionFacts(deliveries, attempts, complaints)

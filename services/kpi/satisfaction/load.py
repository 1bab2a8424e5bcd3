"""Reading the satisfaction facts of a site for a window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.kpi.db import RepairOrderFact
from services.kpi.facts import dt
from services.kpi.satisfaction.figures import Attempt, Complaint, Delivery, SatisfactionFacts
from services.kpi.satisfaction.tables import ComplaintFact, FollowUpAttemptFact, FollowUpDueFact


def _t(model: Any) -> Any:
    return model.__table__


def _ts(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


async def load(conn: AsyncConnection, site_id: str, start: float, end: float) -> SatisfactionFacts:
    """Deliveries in [start, end), the attempts on them or in it, and complaints open at some point of it."""
    lo, hi = dt(start), dt(end)
    due, ro, att, com = _t(FollowUpDueFact), _t(RepairOrderFact), _t(FollowUpAttemptFact), _t(ComplaintFact)
    rows = (await conn.execute(
        select(due.c.repair_order_id, due.c.delivered_at, due.c.due_at, ro.c.advisor)
        .select_from(due.outerjoin(ro, and_(ro.c.site_id == due.c.site_id, ro.c.repair_order_id == due.c.repair_order_id)))
        .where(due.c.site_id == site_id, due.c.delivered_at >= lo, due.c.delivered_at < hi))).mappings().all()
    deliveries = [Delivery(r["repair_order_id"], r["advisor"], r["delivered_at"].timestamp(), _ts(r["due_at"])) for r in rows]
    delivered_ids = select(due.c.repair_order_id).where(due.c.site_id == site_id, due.c.delivered_at >= lo, due.c.delivered_at < hi)
    rows = (await conn.execute(select(att).where(
        att.c.site_id == site_id, or_(and_(att.c.at >= lo, att.c.at < hi), att.c.repair_order_id.in_(delivered_ids))))).mappings().all()
    attempts = [Attempt(r["repair_order_id"], r["advisor"], r["at"].timestamp(), bool(r["reached"]), dict(r["scores"] or {}),
                        dict(r["weak_items"] or {})) for r in rows if r["at"] is not None]
    rows = (await conn.execute(select(com).where(
        com.c.site_id == site_id, com.c.opened_at < hi, or_(com.c.resolved_at.is_(None), com.c.resolved_at >= lo)))).mappings().all()
    complaints = [Complaint(r["complaint_id"], r["advisor"], _ts(r["opened_at"]), _ts(r["resolved_at"])) for r in rows]
    return SatisfactionFacts(deliveries, attempts, complaints)

"""How follow-up and complaint events become facts (merges by natural key, any order, any number of times)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.kpi.projection.rules import Patch
from services.kpi.projection.store import Changes
from services.kpi.satisfaction.tables import ComplaintFact, FollowUpAttemptFact, FollowUpDueFact
from shared.contracts import reception as r
from shared.contracts.base import Event

Op = tuple[type, dict[str, Any], Patch]


def delivered(e: r.VehicleDelivered) -> list[Op]:
    """The RO's follow-up due time."""
    return [(FollowUpDueFact, {"site_id": e.site_id, "repair_order_id": e.repair_order_id},
             Patch(fill={"due_at": e.follow_up_due_at}, earliest={"delivered_at": e.occurred_at}))]


def follow_up_recorded(e: r.FollowUpRecorded) -> list[Op]:
    """One attempt's result."""
    fill = {"repair_order_id": e.repair_order_id, "advisor": e.advisor, "at": e.occurred_at, "reached": e.reached,
            "delivered_at": e.delivered_at, "due_at": e.due_at, "scores": dict(e.scores), "weak_items": dict(e.weak_items)}
    return [(FollowUpAttemptFact, {"site_id": e.site_id, "attempt_id": e.attempt_id}, Patch(fill=fill))]


def complaint_opened(e: r.ComplaintOpened) -> list[Op]:
    """A complaint opened."""
    fill = {"repair_order_id": e.repair_order_id, "advisor": e.advisor, "category": e.category, "severity": e.severity}
    return [(ComplaintFact, {"site_id": e.site_id, "complaint_id": e.complaint_id},
             Patch(fill=fill, earliest={"opened_at": e.occurred_at}))]


def complaint_resolved(e: r.ComplaintResolved) -> list[Op]:
    """A complaint resolved (its opening time travels along, whatever arrives first)."""
    return [(ComplaintFact, {"site_id": e.site_id, "complaint_id": e.complaint_id},
             Patch(fill={"repair_order_id": e.repair_order_id, "advisor": e.advisor},
                   earliest={"opened_at": e.opened_at, "resolved_at": e.occurred_at}))]


OPS: dict[type[Event], Callable[[Any], list[Op]]] = {
    r.FollowUpRecorded: follow_up_recorded,
    r.ComplaintOpened: complaint_opened,
    r.ComplaintActionRecorded: lambda e: [],
    r.ComplaintResolved: complaint_resolved,
}


def _projection(make: Callable[[Any], list[Op]], base: Callable[[Changes, Any], None] | None = None) -> Callable[[Changes, Any], None]:
    def project(c: Changes, event: Any) -> None:
        if base is not None:
            base(c, event)
        for model, key, patch in make(event):
            c.merge(model, key, patch)
    return project


def projections(base: Mapping[type[Event], Callable[[Changes, Any], None]]) -> dict[type[Event], Callable[[Changes, Any], None]]:
    """The entries to add to the kpi's projection map (VehicleDelivered keeps its own projection and adds the due time)."""
    added: dict[type[Event], Callable[[Changes, Any], None]] = {cls: _projection(make) for cls, make in OPS.items()}
    added[r.VehicleDelivered] = _projection(delivered, base[r.VehicleDelivered])
    return added

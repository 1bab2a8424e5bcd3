"""Integration-event handlers: reception's job lines become jobs; parts news shows on jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.workshop.usecases import intake
from shared.contracts import parts, reception
from shared.contracts.base import Event
from shared.uow import UnitOfWork

HANDLERS: dict[type[Event], Callable[[UnitOfWork, Any], Awaitable[None]]] = {
    reception.SiteConfigured: intake.on_site_configured,
    reception.RepairOrderOpened: intake.on_repair_order_opened,
    reception.JobLineAdded: intake.on_line_added_or_changed,
    reception.JobLineChanged: intake.on_line_added_or_changed,
    reception.JobLineRemoved: intake.on_line_removed,
    reception.JobLineApproved: intake.on_line_approved,
    reception.JobLineDeclined: intake.on_line_declined,
    reception.RepairOrderCancelled: intake.on_repair_order_cancelled,
    parts.PartsRequestReceived: intake.on_parts_request_received,
    parts.PartsIssued: intake.on_parts_issued,
    parts.PartsBackordered: intake.on_parts_backordered,
}

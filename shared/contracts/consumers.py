"""Who publishes each topic and who reads which events: the services' consumer groups, for the AsyncAPI document.

Tests hold these to the services' own handler maps and publish lists (shared/ imports no service).
"""

from __future__ import annotations

from shared.contracts import parts, reception, warranty, workshop
from shared.contracts.base import Event

# Warranty's events come from the reception service until a warranty service of its own exists.
PUBLISHERS: dict[str, str] = {
    reception.TOPIC: "reception",
    workshop.TOPIC: "workshop",
    parts.TOPIC: "parts",
    warranty.TOPIC: "reception",
}

# Service → the event types its consumer group handles; None: every event type (kpi projects them all).
CONSUMES: dict[str, tuple[type[Event], ...] | None] = {
    "reception": (
        workshop.ClockingAdjusted,
        workshop.JobClockedOff,
        workshop.JobClockedOn,
        workshop.JobCompleted,
        workshop.JobPaused,
        workshop.JobResumed,
        parts.PartsIssued,
        parts.PartsReturned,
        workshop.QcFailed,
        workshop.QcPassed,
    ),
    "workshop": (
        reception.JobLineAdded,
        reception.JobLineApproved,
        reception.JobLineChanged,
        reception.JobLineDeclined,
        reception.JobLineRemoved,
        parts.PartsBackordered,
        parts.PartsIssued,
        parts.PartsRequestReceived,
        reception.RepairOrderCancelled,
        reception.RepairOrderOpened,
        reception.SiteConfigured,
    ),
    "parts": (workshop.PartsRequested,),
    "kpi": None,
}

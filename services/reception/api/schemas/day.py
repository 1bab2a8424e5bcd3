"""The advisor's day view."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from services.reception.api.schemas.appointments import AppointmentRead
from services.reception.api.schemas.repair_orders import RepairOrderSummary
from services.reception.api.schemas.visits import QueueEntry
from shared.http import Page


class DayView(BaseModel):
    """Each list is paged with the same limit and offset."""

    site_id: str
    date: date
    at: datetime
    appointments: Page[AppointmentRead]
    waiting_arrivals: Page[QueueEntry]
    awaiting_approval: Page[RepairOrderSummary]
    ready_for_pickup: Page[RepairOrderSummary]
    overdue: Page[RepairOrderSummary]

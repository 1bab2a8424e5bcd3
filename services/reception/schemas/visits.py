"""Arrivals (visits) and the reception queue."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from services.reception.schemas.common import Ident, Timed


class ArrivalCreate(Timed):
    """A vehicle at the door: walk-in (vehicle_id) or from an appointment (appointment_id)."""

    vehicle_id: Ident | None = None
    customer_id: Ident | None = None
    appointment_id: Ident | None = None


class CampaignRead(BaseModel):
    number: str
    title: str


class VisitRead(BaseModel):
    id: str
    site_id: str
    vehicle_id: str
    customer_id: str | None
    appointment_id: str | None
    arrived_at: datetime
    status: str
    repair_order_id: str | None
    recall_status: str
    recall_campaigns: list[CampaignRead]


class QueueEntry(BaseModel):
    """Who is waiting at reception, and for how long."""

    visit: VisitRead
    plate: str
    vin: str
    customer_name: str | None
    booked: bool
    waiting_seconds: int

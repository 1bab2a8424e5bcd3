"""Arrivals (visits) and the reception queue."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from services.reception.api.schemas.common import Ident, Timed
from shared.contracts.reception import PayType


class ArrivalCreate(Timed):
    """A vehicle at the door: walk-in (vehicle_id) or from an appointment (appointment_id)."""

    vehicle_id: Ident | None = None
    customer_id: Ident | None = None
    appointment_id: Ident | None = None
    walk_in: bool = Field(
        default=False,
        description=(
            "take the car in whatever the time (after hours, a key drop): a walk-in is otherwise checked in only while the site is "
            "open, and a booked car around its slot (the site's arrival_early_minutes / arrival_late_minutes)"
        ),
    )


class CampaignRead(BaseModel):
    number: str
    title: str


class SuggestedLine(BaseModel):
    """An open campaign as a job line the advisor can add (POST it to the RO's lines as it is)."""

    op_code: str
    description: str
    complaint: str
    pay_type: PayType = PayType.WARRANTY
    sold_hours: Decimal
    campaign_number: str


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
    suggested_lines: list[SuggestedLine] = Field(default_factory=list, description="the open campaigns as job lines")


class QueueEntry(BaseModel):
    """Who is waiting at reception, and for how long."""

    visit: VisitRead
    plate: str
    vin: str
    customer_name: str | None
    booked: bool
    waiting_seconds: int

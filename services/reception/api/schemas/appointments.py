"""Appointments and slots."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from services.reception.api.schemas.common import Ident, LongText, Note, Timed
from services.reception.domain.slots import Lane
from shared.types import Instant


class AppointmentCreate(Timed):
    customer_id: Ident
    vehicle_id: Ident
    slot_start: Instant
    lane: Lane = Lane.STANDARD
    concern: LongText = ""


class AppointmentReschedule(Timed):
    slot_start: Instant
    lane: Lane | None = None


class AppointmentCancel(Timed):
    reason: Note = ""


class AppointmentNoShow(Timed):
    pass


class AppointmentRead(BaseModel):
    id: str
    site_id: str
    customer_id: str
    vehicle_id: str
    lane: Lane
    slot_start: datetime
    slot_end: datetime
    concern: str
    status: str
    visit_id: str | None
    cancel_reason: str
    version: int


class SlotRead(BaseModel):
    lane: Lane
    start: datetime
    end: datetime
    capacity: int
    booked: int
    free: int

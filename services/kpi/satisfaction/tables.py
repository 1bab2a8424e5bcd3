"""Facts of follow-ups and complaints, on the kpi metadata (one database, one migration history)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field

from services.kpi.db import Table, _json, _key, _time


class FollowUpDueFact(Table, table=True):
    """A delivered RO's follow-up due time (end of its due day); None when the customer declined contact."""

    __tablename__ = "kpi_follow_up_due"
    __table_args__ = (Index("ix_kpi_follow_up_due_delivered", "site_id", "delivered_at"),)
    site_id: str = _key(100)
    repair_order_id: str = _key()
    delivered_at: datetime | None = _time()
    due_at: datetime | None = _time()


class FollowUpAttemptFact(Table, table=True):
    """The result of one follow-up attempt (immutable)."""

    __tablename__ = "kpi_follow_up_attempt"
    __table_args__ = (Index("ix_kpi_follow_up_attempt_at", "site_id", "at"),)
    site_id: str = _key(100)
    attempt_id: str = _key()
    repair_order_id: str = Field(max_length=200)
    advisor: str | None = Field(default=None, max_length=200)
    at: datetime | None = _time()
    reached: bool = False
    delivered_at: datetime | None = _time()
    due_at: datetime | None = _time()
    scores: dict[str, Any] | None = _json()
    weak_items: dict[str, Any] | None = _json()


class ComplaintFact(Table, table=True):
    __tablename__ = "kpi_complaint"
    __table_args__ = (Index("ix_kpi_complaint_opened", "site_id", "opened_at"),)
    site_id: str = _key(100)
    complaint_id: str = _key()
    repair_order_id: str | None = Field(default=None, max_length=200)
    advisor: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=60)
    severity: str | None = Field(default=None, max_length=20)
    opened_at: datetime | None = _time()
    resolved_at: datetime | None = _time()

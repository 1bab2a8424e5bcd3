"""The warranty claims, on the kpi metadata (one database, one migration history)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field

from services.kpi.db import Table, _key, _money, _time


class WarrantyClaimFact(Table, table=True):
    """A claim's latest status and amounts (by `sequence`), and when it was first submitted, decided and paid."""

    __tablename__ = "kpi_warranty_claim"
    __table_args__ = (
        Index("ix_kpi_warranty_claim_status", "site_id", "status"),
        Index("ix_kpi_warranty_claim_submitted", "site_id", "first_submitted_at"),
        Index("ix_kpi_warranty_claim_decided", "site_id", "decided_at"),
        Index("ix_kpi_warranty_claim_paid", "site_id", "paid_at"),
    )
    site_id: str = _key(100)
    claim_id: str = _key()
    # latest by ce_sequence
    sequence: int | None = None
    status: str | None = Field(default=None, max_length=20)
    status_at: datetime | None = _time()
    repair_order_id: str | None = Field(default=None, max_length=200)
    ro_number: str | None = Field(default=None, max_length=100)
    currency: str | None = Field(default=None, max_length=10)
    repaired_at: datetime | None = _time()
    claimed_amount: Decimal | None = _money()
    approved_amount: Decimal | None = _money()
    paid_amount: Decimal | None = _money()
    debited_amount: Decimal | None = _money()
    # the lowest submission number wins
    first_submission: int | None = None
    first_submitted_at: datetime | None = _time()
    first_submitted_amount: Decimal | None = _money()
    # the earliest acceptance or rejection wins
    decided_at: datetime | None = _time()
    decision: str | None = Field(default=None, max_length=20)
    # the earliest payment wins
    paid_at: datetime | None = _time()
    paid_at_amount: Decimal | None = _money()

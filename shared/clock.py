"""What every service stamps its records with: the time, a fresh id, who acted and when."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, time-zone aware."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh opaque id (32 hex digits)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Actor:
    """Who did it and when it happened (device time)."""

    subject: str
    at: datetime

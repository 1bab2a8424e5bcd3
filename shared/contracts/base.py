"""Base of every integration event: a small, immutable, versioned fact."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """A past-tense fact one service publishes; its class names the CloudEvents `type`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    topic: ClassVar[str]
    type: ClassVar[str]
    aggregate: ClassVar[str]

    site_id: str
    occurred_at: datetime

    @classmethod
    def aggregate_key(cls) -> str:
        """The field naming the aggregate: `<aggregate>_id`, or `<aggregate>_number` (a part)."""
        for key in (f"{cls.aggregate}_id", f"{cls.aggregate}_number"):
            if key in cls.model_fields:
                return key
        raise TypeError(f"{cls.__name__} has no {cls.aggregate}_id or {cls.aggregate}_number field")

    def aggregate_id(self) -> str:
        """The id of the aggregate whose per-aggregate sequence this event advances."""
        return str(getattr(self, self.aggregate_key()))


class EventRegistry:
    """One explicit map from CloudEvents type to event class."""

    def __init__(self) -> None:
        self._by_type: dict[str, type[Event]] = {}

    def register(self, *classes: type[Event]) -> None:
        """Add event classes; a type registered twice is a programming error."""
        for cls in classes:
            if cls.type in self._by_type and self._by_type[cls.type] is not cls:
                raise ValueError(f"event type {cls.type} registered twice")
            self._by_type[cls.type] = cls

    def get(self, event_type: str) -> type[Event] | None:
        """The class for a CloudEvents type, or None when unknown."""
        return self._by_type.get(event_type)

    def all(self) -> list[type[Event]]:
        """Every registered event class, sorted by type."""
        return sorted(self._by_type.values(), key=lambda c: c.type)

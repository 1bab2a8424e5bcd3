"""The event contract every producer and consumer shares (never a producer's internals)."""

from shared.contracts import parts, reception, warranty, workshop
from shared.contracts.base import Event, EventRegistry

TOPICS: dict[str, str] = {
    "reception": reception.TOPIC,
    "workshop": workshop.TOPIC,
    "parts": parts.TOPIC,
    "warranty": warranty.TOPIC,
}


def default_registry() -> EventRegistry:
    """A registry holding every published event type."""
    registry = EventRegistry()
    registry.register(*reception.EVENTS, *workshop.EVENTS, *parts.EVENTS, *warranty.EVENTS)
    return registry


__all__ = ["Event", "EventRegistry", "TOPICS", "default_registry"]

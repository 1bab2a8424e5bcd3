"""CloudEvents 1.0 in Kafka binary mode: `ce_*` headers, JSON data, key = site id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class MalformedEvent(ValueError):
    """A Kafka record that is not a well-formed CloudEvent."""


@dataclass(frozen=True)
class CloudEvent:
    """One event as it travels: attributes plus the JSON data object."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str
    site_id: str
    sequence: int
    data: dict[str, Any] = field(default_factory=dict)

    def to_headers(self) -> list[tuple[str, bytes]]:
        """The Kafka headers of binary content mode."""
        return [
            ("ce_specversion", SPEC_VERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_time", self.time.isoformat().encode()),
            ("ce_subject", self.subject.encode()),
            ("ce_siteid", self.site_id.encode()),
            ("ce_sequence", str(self.sequence).encode()),
            ("content-type", CONTENT_TYPE.encode()),
        ]

    def key(self) -> bytes:
        """Kafka key: the site, so one site's events share a partition."""
        return self.site_id.encode()

    def value(self) -> bytes:
        """Kafka value: the JSON data."""
        return orjson.dumps(self.data)

    @classmethod
    def from_record(
        cls, headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes | None
    ) -> CloudEvent:
        """Parse a Kafka record in binary mode; raise MalformedEvent naming what is wrong."""
        attrs = {k: v.decode("utf-8", "replace") for k, v in (headers or ()) if k.startswith("ce_")}
        if attrs.get("ce_specversion") != SPEC_VERSION:
            raise MalformedEvent(f"ce_specversion must be {SPEC_VERSION}, got {attrs.get('ce_specversion')!r}")
        missing = [h for h in ("ce_id", "ce_source", "ce_type", "ce_time", "ce_siteid") if not attrs.get(h)]
        if missing:
            raise MalformedEvent(f"missing headers: {', '.join(missing)}")
        try:
            time = datetime.fromisoformat(attrs["ce_time"])
        except ValueError as exc:
            raise MalformedEvent(f"ce_time is not RFC 3339: {attrs['ce_time']!r}") from exc
        if time.tzinfo is None:
            raise MalformedEvent("ce_time has no time zone")
        try:
            sequence = int(attrs.get("ce_sequence", "0"))
        except ValueError as exc:
            raise MalformedEvent(f"ce_sequence is not an integer: {attrs['ce_sequence']!r}") from exc
        try:
            data = orjson.loads(value or b"null")
        except orjson.JSONDecodeError as exc:
            raise MalformedEvent(f"data is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MalformedEvent("data must be a JSON object")
        return cls(
            id=attrs["ce_id"],
            source=attrs["ce_source"],
            type=attrs["ce_type"],
            time=time,
            subject=attrs.get("ce_subject", ""),
            site_id=attrs["ce_siteid"],
            sequence=sequence,
            data=data,
        )

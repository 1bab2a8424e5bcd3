"""JSON logs carrying the request id and event id of the work at hand."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
event_id_var: ContextVar[str | None] = ContextVar("event_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render a record with its context ids."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := request_id_var.get()) is not None:
            entry["request_id"] = request_id
        if (event_id := event_id_var.get()) is not None:
            entry["event_id"] = event_id
        if (suppressed := getattr(record, "suppressed", None)) is not None:
            entry["suppressed_before"] = suppressed  # like records left out in the previous window
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


class RepeatLimit(logging.Filter):
    """Lets through at most `burst` records of one kind (logger and message template) per window from the Kafka client.

    While a broker was down its clients logged the same few errors thousands of times a second (131,000 lines in a
    minute). The rest of a window's records of a kind are counted, and the first record of the next window says how
    many were left out.
    """

    def __init__(
        self,
        prefixes: tuple[str, ...] = ("aiokafka", "kafka"),
        burst: int = 5,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._prefixes = prefixes
        self._burst = burst
        self._window = window_seconds
        self._clock = clock
        self._kinds: dict[tuple[str, str], list[float]] = {}  # kind -> [window start, passed, left out]

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether the record is written."""
        if not record.name.startswith(self._prefixes):
            return True
        now = self._clock()
        kind = (record.name, str(record.msg))
        seen = self._kinds.get(kind)
        if seen is None or now - seen[0] >= self._window:
            if len(self._kinds) >= 10_000:
                self._kinds.clear()
            if seen is not None and seen[2]:
                record.suppressed = int(seen[2])  # written by JsonFormatter
            self._kinds[kind] = [now, 1, 0]
            return True
        if seen[1] < self._burst:
            seen[1] += 1
            return True
        seen[2] += 1
        return False


# What aiokafka logs as ERROR although it retries until it passes: a broker still electing the group coordinator, a topic
# not in its metadata yet. An operator should not be paged for these.
_TRANSIENT = ("Group Coordinator Request failed", "not found in cluster metadata")


class TransientAsWarning(logging.Filter):
    """Logs aiokafka's retried start-up states as WARNING rather than ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Lower a transient aiokafka ERROR to WARNING; keep every record."""
        if (
            record.levelno == logging.ERROR
            and record.name.startswith("aiokafka")
            and any(t in str(record.msg) for t in _TRANSIENT)
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def configure_logging(service: str, level: str) -> None:
    """Send the root logger's output to stderr as JSON, the Kafka client's repeated errors limited."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(TransientAsWarning())
    handler.addFilter(RepeatLimit())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)

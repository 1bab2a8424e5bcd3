"""JSON logs carrying the request id and event id of the work at hand."""

from __future__ import annotations

import logging
import sys
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
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


# What aiokafka logs as ERROR although it retries until it passes: a broker still electing the group coordinator, a topic
# not in its metadata yet. An operator should not be paged for these.
_TRANSIENT = ("Group Coordinator Request failed", "not found in cluster metadata")


class TransientAsWarning(logging.Filter):
    """Logs aiokafka's retried start-up states as WARNING rather than ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Lower a transient aiokafka ERROR to WARNING; keep every record."""
        if record.levelno == logging.ERROR and record.name.startswith("aiokafka") and any(t in str(record.msg) for t in _TRANSIENT):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def configure_logging(service: str, level: str) -> None:
    """Send the root logger's output to stderr as JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(TransientAsWarning())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)

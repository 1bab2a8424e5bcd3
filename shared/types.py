"""Input types every API shares."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> object:
    # pydantic would read a bare number (or numeric text) as Unix time: "2" must not become 1970-01-01T00:00:02Z.
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.match(value)):
        return value
    raise ValueError("must be an RFC 3339 date-time with a timezone offset, e.g. 2026-03-01T08:30:00+08:00")


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
"""A moment with its time zone, written as RFC 3339 text (never a bare number)."""

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: object) -> object:
    # pydantic would read a bare number as Unix time and keep its date.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.match(value)):
        return value
    raise ValueError("must be a calendar day written YYYY-MM-DD")


Day = Annotated[date, BeforeValidator(_iso_day)]
"""A calendar day written YYYY-MM-DD (never a bare number)."""

"""Input types every API shares."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, WithJsonSchema

FIRST_YEAR, LAST_YEAR = 1970, 2199
"""Every date and moment an API takes lies in these years: far from the calendar's ends, where arithmetic overflows."""

YEAR_PATTERN = r"(19[7-9]\d|2[01]\d\d)"
"""A year between FIRST_YEAR and LAST_YEAR, as a regular expression (for the OpenAPI document)."""

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
INSTANT_PATTERN = (rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
                   r"([Zz]|[+-](0\d|1[0-4]):[0-5]\d)$")
DAY_PATTERN = rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"

_When = TypeVar("_When", date, datetime)


def within_years(value: _When) -> _When:
    """Refuse a date or moment outside FIRST_YEAR..LAST_YEAR."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must lie in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value


def _rfc3339(value: object) -> object:
    # pydantic would read a bare number (or numeric text) as Unix time: "2" must not become 1970-01-01T00:00:02Z.
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.match(value)):
        return value
    raise ValueError("must be an RFC 3339 date-time with a timezone offset, e.g. 2026-03-01T08:30:00+08:00")


Instant = Annotated[
    AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(within_years),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}),
]
"""A moment with its time zone, written as RFC 3339 text (never a bare number), in the years 1970 to 2199."""

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: object) -> object:
    # pydantic would read a bare number as Unix time and keep its date.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.match(value)):
        return value
    raise ValueError("must be a calendar day written YYYY-MM-DD")


Day = Annotated[
    date, BeforeValidator(_iso_day), AfterValidator(within_years),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]
"""A calendar day written YYYY-MM-DD (never a bare number), in the years 1970 to 2199."""

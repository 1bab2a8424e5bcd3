"""Input types every API shares."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

FIRST_YEAR, LAST_YEAR = 1970, 2199
"""Every date and moment an API takes lies in these years: far from the calendar's ends, where arithmetic overflows."""

YEAR_PATTERN = r"(19[7-9]\d|2[01]\d\d)"
"""A year between FIRST_YEAR and LAST_YEAR, as a regular expression (for the OpenAPI document)."""

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
INSTANT_PATTERN = (
    rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"([Zz]|[+-](0\d|1[0-4]):[0-5]\d)$"
)
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
    AwareDatetime,
    BeforeValidator(_rfc3339),
    AfterValidator(within_years),
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
    date,
    BeforeValidator(_iso_day),
    AfterValidator(within_years),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]
"""A calendar day written YYYY-MM-DD (never a bare number), in the years 1970 to 2199."""


def places(max_digits: int, decimal_places: int) -> Any:
    """A decimal's digits, enforced and declared: `multipleOf` for a JSON number, a `pattern` for text (sign not included)."""
    whole = max_digits - decimal_places
    text = rf"^-?\d{{1,{whole}}}(\.\d{{1,{decimal_places}}})?$"
    return Field(
        max_digits=max_digits,
        decimal_places=decimal_places,
        json_schema_extra={"multipleOf": float(Decimal(1).scaleb(-decimal_places)), "pattern": text},
    )


class Input(BaseModel):
    """Every request body: unknown fields are refused, and each value is taken as the JSON type sent.

    pydantic would store `true` as 1 and `"100"` as 100 in a number, and `0` as false in a flag: a client's mistake
    (a rolled-back odometer, a consent nobody gave) passed silently. Decimal amounts still come as text, by design.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _as_sent(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        refusal = None if field is None else _json_type_refusal(value, field.annotation)
        if refusal is not None:
            raise ValueError(refusal)
        return value


def _json_type_refusal(value: Any, annotation: Any) -> str | None:
    """Why a JSON value does not fit the annotation's kind (flag, number, text), or None."""
    if isinstance(value, list):
        items = [get_args(arg)[0] for arg in _alternatives(annotation) if get_origin(arg) is list and get_args(arg)]
        return next((why for item in value if items and (why := _json_type_refusal(item, items[0])) is not None), None)
    kinds = [arg for arg in _alternatives(annotation) if isinstance(arg, type)]
    flag = bool in kinds
    number = any(issubclass(kind, (int, float, Decimal)) and kind is not bool for kind in kinds)
    text = any(issubclass(kind, str) for kind in kinds) or len(kinds) < len(_alternatives(annotation))
    if isinstance(value, bool) and number and not flag:
        return "must be a number, not true or false"
    if flag and not (number or text) and value is not None and not isinstance(value, bool):
        return "must be true or false"
    if isinstance(value, str) and not text and any(kind in (int, float) for kind in kinds):
        return "must be a number, not text"
    return None


def _alternatives(annotation: Any) -> list[Any]:
    """The types an annotation admits, Annotated and unions unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _alternatives(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [alt for arg in get_args(annotation) for alt in _alternatives(arg)]
    return [annotation]

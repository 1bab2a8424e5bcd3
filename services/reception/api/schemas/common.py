"""Field types every API model shares."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.types import Input, Instant, places

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Ident = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Hours = Annotated[Decimal, Field(ge=0, le=999, description="hours, at most 2 decimals"), places(7, 2)]
Amount = Annotated[Decimal, Field(ge=0, description="money, at most 2 decimals"), places(14, 2)]
TaxRate = Annotated[Decimal, Field(ge=0, le=1, description="0.13 for 13 %"), places(6, 4)]
Mileage = Annotated[int, Field(ge=0, le=5_000_000)]


class Timed(Input):
    """A write that may say when it happened on the device."""

    occurred_at: Instant | None = Field(
        default=None, description="When it happened on the device (with time zone); now when absent"
    )

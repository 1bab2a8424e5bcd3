"""Column types and field helpers every service's tables share."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field

from shared.db import UtcDateTime

_MILLI = Decimal(1000)


def plain(value: Decimal) -> Decimal:
    """The value without trailing zeros and never in exponent form (10, not 1E+1)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as text (SQLite has no exact numeric type); never summed in SQL."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        """Store the canonical text."""
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        """Read it back exactly."""
        return None if value is None else Decimal(value)


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal: NUMERIC(18, 4) on PostgreSQL, text on SQLite; read back without trailing zeros."""

    impl = Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Text on SQLite."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 4))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Store as given (text on SQLite)."""
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """The same figure on both databases: no trailing zeros, no exponent."""
        return None if value is None else plain(Decimal(str(value)))


class Thousandths(TypeDecorator[Decimal]):
    """An exact quantity with 3 decimals, stored as whole thousandths so SQL sums stay exact on SQLite too."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> int | None:
        """Decimal → thousandths; refuse anything finer."""
        if value is None:
            return None
        scaled = Decimal(value) * _MILLI
        if scaled != scaled.to_integral_value():
            raise ValueError(f"quantity {value} has more than 3 decimals")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        """Thousandths → Decimal without trailing zeros."""
        return None if value is None else Decimal(int(value)) / _MILLI


def utc_field(*, nullable: bool = True, index: bool = False) -> Any:
    """A time-zone-aware UTC timestamp field (None by default)."""
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


def json_field(*, nullable: bool = False, default_factory: Any = None) -> Any:
    """A JSON field."""
    if default_factory is None:
        return Field(sa_column=Column(JSON, nullable=nullable))
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=nullable))

"""What a calculation gives back: named values (with labels) and wait distributions."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Value:
    """One figure; `value` None when undefined (e.g. a ratio over nothing)."""

    name: str
    value: float | None
    labels: tuple[tuple[str, str], ...] = ()
    provisional: bool = False

    def label(self, key: str) -> str | None:
        """The value of one label."""
        return dict(self.labels).get(key)


def value(name: str, v: float | Decimal | int | None, provisional: bool = False, **labels: str) -> Value:
    """A Value with labels given as keywords."""
    return Value(name, None if v is None else float(v), tuple(sorted(labels.items())), provisional)


def ratio(numerator: float | Decimal | int, denominator: float | Decimal | int) -> float | None:
    """numerator ÷ denominator, None when the denominator is zero."""
    return float(numerator) / float(denominator) if denominator else None


@dataclass(frozen=True)
class Distribution:
    """The samples of one wait kind (seconds), one per occurrence."""

    kind: str
    samples: tuple[float, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        """How many waits ended in the window."""
        return len(self.samples)

    @property
    def sum(self) -> float:
        """Total seconds waited."""
        return float(sum(self.samples))

    def quantile(self, q: float) -> float | None:
        """Nearest-rank quantile: the ⌈q·n⌉-th smallest sample."""
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    @property
    def max(self) -> float | None:
        """The longest wait."""
        return max(self.samples) if self.samples else None

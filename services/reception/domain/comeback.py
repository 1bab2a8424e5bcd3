"""Comebacks: the same vehicle back within the window for an op code or concern it was in for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


def op_key(op_code: str) -> str:
    """An op code as compared."""
    return op_code.strip().upper()


def concern_key(concern: str) -> str:
    """A concern as compared: case and spacing ignored."""
    return " ".join(concern.casefold().split())


@dataclass(frozen=True)
class Visit:
    """One RO of the vehicle as the comeback rule sees it."""

    repair_order_id: str
    at: datetime  # delivered, else invoiced, else opened
    op_codes: frozenset[str]
    concerns: frozenset[str]


def visit(repair_order_id: str, at: datetime, op_codes: Iterable[str], concerns: Iterable[str]) -> Visit:
    """A Visit with normalised op codes and concerns (empty ones dropped)."""
    return Visit(
        repair_order_id,
        at,
        frozenset(k for k in map(op_key, op_codes) if k),
        frozenset(k for k in map(concern_key, concerns) if k),
    )


def comeback_of(new: Visit, earlier: Sequence[Visit], window_days: int) -> Visit | None:
    """The most recent earlier visit within the window sharing an op code or concern, if any."""
    window_start = new.at - timedelta(days=window_days)
    matches = [
        e
        for e in earlier
        if e.repair_order_id != new.repair_order_id
        and window_start <= e.at <= new.at
        and (e.op_codes & new.op_codes or e.concerns & new.concerns)
    ]
    return max(matches, key=lambda e: e.at, default=None)


def why(new: Visit, earlier: Visit) -> str:
    """What the new visit repeats of the earlier one, in words."""
    parts = []
    if codes := sorted(new.op_codes & earlier.op_codes):
        parts.append("op code " + ", ".join(codes))
    if concerns := sorted(new.concerns & earlier.concerns):
        parts.append("concern " + "; ".join(repr(c) for c in concerns))
    return "repeats " + " and ".join(parts)

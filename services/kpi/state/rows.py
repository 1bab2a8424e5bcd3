"""A site's fact rows in memory, changed by the projection's own rules (projection.rules), with an undo log.

The rows are those of the database, value for value (times in UTC, exact decimals, JSON as it reads back), so a figure
computed from memory equals one computed from the database. Every change is logged with the value it replaced: a batch
whose transaction fails is undone, and the rows a batch changed are what is written behind (one write per row).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import JSON

from services.kpi.db import (
    PROJECTION_TABLES,
    AttendanceIntervalFact,
    AttendanceMarkFact,
    BayHoldFact,
    DecimalText,
    JobIntervalFact,
    JobMarkFact,
    SiteFact,
    Table,
)
from services.kpi.projection.rules import pair
from services.kpi.projection.store import NOTHING, SERIES, Changes, blank, derived_job_rows, merged, primary_key
from shared.db import UtcDateTime

Ident = tuple[Any, ...]
Row = dict[str, Any]

# Rows looked up by more than their key when a batch re-derives intervals: model → the lookup's values of a row.
INDEXED: dict[type[Table], Callable[[Row], tuple[Any, ...]]] = {
    JobMarkFact: lambda row: (row["job_id"],),
    JobIntervalFact: lambda row: (row["job_id"],),
    BayHoldFact: lambda row: (row["job_id"],),
    AttendanceMarkFact: lambda row: (row["technician_id"],),
    AttendanceIntervalFact: lambda row: (row["technician_id"], row["series"]),
}


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")  # as the column itself refuses it
    return value.astimezone(UTC)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(Decimal(value)))


def _json(value: Any) -> Any:
    return None if value is None else json.loads(json.dumps(value))


@cache
def _normalizers(model: type[Table]) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """How each typed column's value reads back from the database."""
    chosen: list[tuple[str, Callable[[Any], Any]]] = []
    for column in model.__table__.columns:  # type: ignore[attr-defined]
        if isinstance(column.type, UtcDateTime):
            chosen.append((column.name, _utc))
        elif isinstance(column.type, DecimalText):
            chosen.append((column.name, _decimal))
        elif isinstance(column.type, JSON):
            chosen.append((column.name, _json))
    return tuple(chosen)


def as_stored(model: type[Table], row: Row) -> Row:
    """The row as the database would read it back."""
    for name, normalize in _normalizers(model):
        row[name] = normalize(row[name])
    return row


class SiteState:
    """One site's fact rows, by table and key, with lookups by job and technician."""

    def __init__(self, site_id: str) -> None:
        self.site_id = site_id
        self.tables: dict[type[Table], dict[Ident, Row]] = {model: {} for model in PROJECTION_TABLES}
        self._index: dict[type[Table], dict[Ident, set[Ident]]] = {model: defaultdict(set) for model in INDEXED}

    def get(self, model: type[Table], ident: Ident) -> Row | None:
        """The row with this key, or None."""
        return self.tables[model].get(ident)

    def rows(self, model: type[Table]) -> Iterable[Row]:
        """Every row of a table."""
        return self.tables[model].values()

    def indexed(self, model: type[Table], *values: Any) -> list[Row]:
        """The rows of an indexed table whose lookup columns hold these values."""
        table = self.tables[model]
        return [table[ident] for ident in self._index[model].get(values, ())]

    def put(self, model: type[Table], ident: Ident, row: Row | None) -> Row | None:
        """Set (None: remove) the row with this key; returns the row it replaced."""
        table = self.tables[model]
        previous = table.pop(ident, None) if row is None else table.get(ident)
        if row is not None:
            table[ident] = row
        lookup = INDEXED.get(model)
        if lookup is not None:
            if previous is not None:
                self._index[model][lookup(previous)].discard(ident)
            if row is not None:
                self._index[model][lookup(row)].add(ident)
        return previous

    def size(self) -> int:
        """How many rows the site holds."""
        return sum(len(table) for table in self.tables.values())


Logged = tuple[SiteState, type[Table], Ident, Row | None]  # a change and the row it replaced


class Rows:
    """The sites held in memory and the log of changes not yet committed."""

    def __init__(self) -> None:
        self.sites: dict[str, SiteState] = {}
        self._log: list[Logged] = []

    def site(self, site_id: str) -> SiteState:
        """A held site's rows (an empty site when it was never held: a site not yet seen)."""
        state = self.sites.get(site_id)
        if state is None:
            state = self.sites[site_id] = SiteState(site_id)
        return state

    def mark(self) -> int:
        """A point of the log to undo back to or write from."""
        return len(self._log)

    def undo(self, mark: int = 0) -> None:
        """Put back every row changed since the mark."""
        while len(self._log) > mark:
            state, model, ident, previous = self._log.pop()
            state.put(model, ident, previous)

    def forget_log(self) -> None:
        """The changes were committed: nothing to undo any more."""
        self._log.clear()

    def changed_since(self, mark: int) -> Iterator[tuple[type[Table], Ident, Row | None, bool]]:
        """Each row changed since the mark, once: (model, key, its row now or None, whether it existed before)."""
        first: dict[tuple[int, type[Table], Ident], tuple[SiteState, Row | None]] = {}
        for state, model, ident, previous in self._log[mark:]:
            first.setdefault((id(state), model, ident), (state, previous))
        for (_, model, ident), (state, previous) in first.items():
            now = state.get(model, ident)
            if now != previous:
                yield model, ident, now, previous is not None

    def _put(self, state: SiteState, model: type[Table], ident: Ident, row: Row | None) -> None:
        self._log.append((state, model, ident, state.put(model, ident, row)))

    def apply(self, changes: Changes) -> None:
        """Apply a batch's changes to the rows, as projection.store.write does to the tables."""
        for site_id in changes.sites:
            changes.merge(SiteFact, {"site_id": site_id}, NOTHING)
        for model, entries in changes.merges.items():
            for ident, (key, patches) in entries.items():
                state = self.site(key["site_id"])
                before = state.get(model, ident)
                row = as_stored(model, merged(model, key, before, patches))
                if row != before:
                    self._put(state, model, ident, row)
        for model, facts in changes.facts.items():
            for ident, values in facts.items():
                state = self.site(values["site_id"])
                if state.get(model, ident) is None:
                    self._put(state, model, ident, as_stored(model, {**blank(model), **values}))
        for site_id, job_id in sorted(changes.jobs):
            self._rederive_job(self.site(site_id), job_id)
        for site_id, technician_id, series in sorted(changes.attendance):
            self._rederive_attendance(self.site(site_id), technician_id, series)

    def _replace(self, state: SiteState, model: type[Table], old: list[Row], new: list[Row]) -> None:
        keys = primary_key(model)
        wanted = {tuple(row[k] for k in keys): as_stored(model, row) for row in new}
        for row in old:
            ident = tuple(row[k] for k in keys)
            if ident not in wanted:
                self._put(state, model, ident, None)
        for ident, row in wanted.items():
            if state.get(model, ident) != row:
                self._put(state, model, ident, row)

    def _rederive_job(self, state: SiteState, job_id: str) -> None:
        marks = sorted(state.indexed(JobMarkFact, job_id), key=lambda r: (r["at"], r["kind"], r["technician_id"]))
        intervals, holds = derived_job_rows(state.site_id, job_id, marks)
        self._replace(state, JobIntervalFact, state.indexed(JobIntervalFact, job_id), intervals)
        self._replace(state, BayHoldFact, state.indexed(BayHoldFact, job_id), holds)

    def _rederive_attendance(self, state: SiteState, technician_id: str, series: str) -> None:
        start_kind, stop_kind = SERIES[series]
        marks = state.indexed(AttendanceMarkFact, technician_id)
        derived = pair([r["at"] for r in marks if r["kind"] == start_kind], [r["at"] for r in marks if r["kind"] == stop_kind])
        intervals = [{"site_id": state.site_id, "technician_id": technician_id, "series": series, "start": s, "end": e}
                     for s, e in derived]
        self._replace(state, AttendanceIntervalFact, state.indexed(AttendanceIntervalFact, technician_id, series), intervals)

"""The owned sites' rows in memory: each batch applied to them and written behind in the consumer's transaction.

An instance holds the sites it owns (services.kpi.ownership): a site is read from the database once, when its first
event arrives or when the figures first need it, and from then on only written. A batch's rows change in memory, its
changed rows go to the database in the transaction that stores the offsets and processed ids, and a transaction that
fails puts the rows back. Sites owned elsewhere (a topic with another partition count) still go through the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence


from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.db import ReferenceData, TargetMonth
from services.kpi.projection.store import Changes, write
from services.kpi.state import durable
from services.kpi.state.figures import Targets
from services.kpi.state.rows import Rows, SiteState
from shared.contracts.base import Event

ChangesOf = Callable[[Sequence[Event], Sequence[int] | None], Changes]


class LiveState:
    """The rows of the sites this instance owns, kept in step with the database."""

    def __init__(self, changes_of: ChangesOf, owns: Callable[[str], bool] = lambda site_id: True) -> None:
        """`changes_of(events, sequences)`: what a batch of events says (services.kpi.handlers)."""
        self.rows = Rows()
        self.targets: dict[str, Targets] = {}
        self._changes_of = changes_of
        self._owns = owns
        self._touched: set[str] = set()

    def held(self, site_id: str) -> SiteState | None:
        """The site's rows, if this instance holds them."""
        return self.rows.sites.get(site_id)

    async def apply(self, session: AsyncSession, events: Sequence[Event], sequences: Sequence[int] | None) -> None:
        """Apply a batch inside the session's transaction: held sites in memory and written behind, others to the DB."""
        sequence_of = list(sequences) if sequences is not None else [0] * len(events)
        mine = [i for i, event in enumerate(events) if self._owns(event.site_id)]
        others = [i for i, event in enumerate(events) if not self._owns(event.site_id)]
        conn = await session.connection()
        await self._load(conn, {events[i].site_id for i in mine} - set(self.rows.sites))
        mark = self.rows.mark()
        try:
            if mine:
                self.rows.apply(self._changes_of([events[i] for i in mine], [sequence_of[i] for i in mine]))
                await durable.write_behind(conn, self.rows, mark)
            if others:
                await write(session, self._changes_of([events[i] for i in others], [sequence_of[i] for i in others]))
        except BaseException:
            self.rows.undo(mark)
            raise
        self._touched.update(event.site_id for event in events)

    def committed(self) -> set[str]:
        """The consumer's transaction committed: returns the sites it changed."""
        self.rows.forget_log()
        touched, self._touched = self._touched, set()
        return touched

    def rolled_back(self) -> None:
        """The consumer's transaction failed: every row it changed is put back."""
        self.rows.undo()
        self._touched.clear()

    def reassigned(self) -> None:
        """The group moved partitions: forget the sites no longer owned (read again if they come back)."""
        for site_id in [s for s in self.rows.sites if not self._owns(s)]:
            del self.rows.sites[site_id]
            self.targets.pop(site_id, None)

    async def hold(self, engine: AsyncEngine, site_ids: Iterable[str], lock: asyncio.Lock | None) -> None:
        """Read the owned ones of these sites not held yet (under the consumer's batch lock: no batch runs meanwhile)."""
        chosen = [s for s in site_ids if self._owns(s)]
        if all(s in self.rows.sites for s in chosen):
            return  # the usual case: no wait for a batch under way
        async with lock if lock is not None else contextlib.nullcontext():
            wanted = {s for s in chosen if s not in self.rows.sites}  # again: a batch may have read some meanwhile
            if wanted:
                async with engine.connect() as conn:
                    await self._load(conn, wanted)

    async def reread_targets(self, engine: AsyncEngine, site_ids: Iterable[str] | None = None) -> None:
        """Read the targets and reference data of held sites again (they are written over REST, not by events)."""
        chosen = set(self.rows.sites) if site_ids is None else {s for s in site_ids if s in self.rows.sites}
        if chosen:
            async with engine.connect() as conn:
                self.targets.update(await _targets(conn, chosen))

    async def _load(self, conn: AsyncConnection, site_ids: set[str]) -> None:
        if site_ids:
            await durable.load(conn, self.rows, site_ids)
            self.targets.update(await _targets(conn, site_ids))


async def _targets(conn: AsyncConnection, site_ids: set[str]) -> dict[str, Targets]:
    found = {site_id: Targets() for site_id in site_ids}
    target = TargetMonth.__table__  # type: ignore[attr-defined]
    reference = ReferenceData.__table__  # type: ignore[attr-defined]
    chosen = sorted(site_ids)
    for row in (await conn.execute(select(target).where(target.c.site_id.in_(chosen)))).mappings():
        found[row["site_id"]].targets.append(dict(row))
    for row in (await conn.execute(select(reference).where(reference.c.site_id.in_(chosen)))).mappings():
        found[row["site_id"]].reference.append(dict(row))
    return found



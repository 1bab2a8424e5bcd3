"""Unit of work: one transaction holding the business change, its outbox rows and its idempotency record.

It knows nothing of HTTP: an API reads the idempotency key off its request (shared.http.idempotency_of), an incoming
event's idempotency step is its processed-event record (shared.consumer). Refusals are domain errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.clock import utcnow
from shared.contracts.base import Event
from shared.db import InfraTables
from shared.errors import Conflict, Invalid
from shared.outbox import append_to_outbox


@dataclass(frozen=True)
class Idempotency:
    """A command sent under a key: who sent it (the scope), the key, and a fingerprint of what was sent."""

    scope: str
    key: str
    fingerprint: str


class IdempotentReplay(Exception):
    """The command was already done: answer with what was answered then."""

    def __init__(self, status_code: int, body: Any) -> None:
        super().__init__("idempotent replay")
        self.status_code = status_code
        self.body = body


class UnitOfWork:
    """Owns the commit; CRUD helpers only add to `session`."""

    def __init__(
        self,
        session: AsyncSession,
        tables: InfraTables,
        service: str,
        *,
        on_commit: Callable[[], None] | None = None,
        idempotency: Idempotency | None = None,
        turn: asyncio.Lock | None = None,
    ) -> None:
        """`on_commit`: called after a commit that published events; `turn`: a write turn already taken, given back
        when the unit of work ends."""
        self.session = session
        self._tables = tables
        self._service = service
        self._on_commit = on_commit
        self._idempotency = idempotency
        self._turn = turn
        self._locked_sites: set[str] = set()  # sites whose outbox order this transaction holds (PostgreSQL)
        self.published: list[str] = []

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.session.close()
        finally:
            if self._turn is not None:
                self._turn.release()
                self._turn = None

    async def publish(self, *events: Event) -> None:
        """Put events in the outbox, inside this transaction."""
        for event in events:
            self.published.append(
                await append_to_outbox(
                    self.session, self._tables, self._service, event, locked_sites=self._locked_sites
                )
            )

    async def check_replay(self) -> None:
        """Raise IdempotentReplay when this key was already answered; Invalid if it came with another command."""
        if self._idempotency is None:
            return
        table = self._tables.idempotency_record
        statement = select(table.c.fingerprint, table.c.status_code, table.c.body).where(
            table.c.scope == self._idempotency.scope, table.c.key == self._idempotency.key
        )
        row = (await self.session.execute(statement)).first()
        if row is None:
            return
        if row.fingerprint != self._idempotency.fingerprint:
            raise Invalid(
                f"Idempotency-Key {self._idempotency.key!r} was used before with a different request",
                type_="/problems/idempotency-key-reused",
                title="Idempotency-Key reused",
            )
        raise IdempotentReplay(row.status_code, orjson.loads(row.body))

    async def commit(self, result: BaseModel | None = None, status_code: int = 200) -> None:
        """Commit the change with its events (and, under an idempotency key, the answer)."""
        if self._idempotency is not None:
            body = result.model_dump_json() if result is not None else "null"
            await self.session.execute(
                self._tables.idempotency_record.insert().values(
                    scope=self._idempotency.scope,
                    key=self._idempotency.key,
                    fingerprint=self._idempotency.fingerprint,
                    status_code=status_code,
                    body=body,
                    created_at=utcnow(),
                )
            )
        try:
            await self.session.commit()
        except IntegrityError as exc:
            await self.rollback()
            if self._idempotency is not None and "idempotency_record" in str(exc):
                raise Conflict(
                    "the same Idempotency-Key was just used by a concurrent request; retry",
                    type_="/problems/idempotency-in-flight",
                    title="Request in flight",
                ) from exc
            raise Conflict("the change conflicts with data saved meanwhile (a duplicate?); reload and retry") from exc
        finally:
            self._locked_sites.clear()
        if self._on_commit is not None and self.published:
            self._on_commit()

    async def rollback(self) -> None:
        """Discard the change and its events."""
        await self.session.rollback()
        self._locked_sites.clear()
        self.published.clear()


def now_or(value: datetime | None) -> datetime:
    """The given event time, or now."""
    return value or utcnow()

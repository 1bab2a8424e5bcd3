"""Unit of work: one transaction holding the business change, its outbox rows and its idempotency record."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.clock import utcnow
from shared.contracts.base import Event
from shared.db import InfraTables
from shared.outbox import append_to_outbox
from shared.problems import ProblemError

if TYPE_CHECKING:
    from shared.auth import Principal


class IdempotentReplay(Exception):
    """The request was already done: answer with what was answered then."""

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
        idempotency: tuple[str, str, str] | None = None,
        turn: asyncio.Lock | None = None,
    ) -> None:
        """`turn`: a write turn already taken for this unit of work, given back when it ends."""
        self.session = session
        self._tables = tables
        self._service = service
        self._on_commit = on_commit
        self._idempotency = idempotency
        self._turn = turn
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
            self.published.append(await append_to_outbox(self.session, self._tables, self._service, event))

    async def check_replay(self) -> None:
        """Raise IdempotentReplay when this Idempotency-Key was already answered; 422 if its body differs."""
        if self._idempotency is None:
            return
        scope, key, fingerprint = self._idempotency
        table = self._tables.idempotency_record
        row = (
            await self.session.execute(
                select(table.c.fingerprint, table.c.status_code, table.c.body).where(table.c.scope == scope, table.c.key == key)
            )
        ).first()
        if row is None:
            return
        if row.fingerprint != fingerprint:
            raise ProblemError(
                422, "Idempotency-Key reused", f"Idempotency-Key {key!r} was used before with a different request",
                type_="/problems/idempotency-key-reused",
            )
        raise IdempotentReplay(row.status_code, orjson.loads(row.body))

    async def commit(self, result: BaseModel | None = None, status_code: int = 200) -> None:
        """Commit the change with its events (and, under an Idempotency-Key, the answer)."""
        if self._idempotency is not None:
            scope, key, fingerprint = self._idempotency
            body = result.model_dump_json() if result is not None else "null"
            await self.session.execute(
                self._tables.idempotency_record.insert().values(
                    scope=scope, key=key, fingerprint=fingerprint, status_code=status_code, body=body, created_at=utcnow()
                )
            )
        try:
            await self.session.commit()
            self.session.info.pop("outbox_site_locks", None)
        except IntegrityError as exc:
            await self.session.rollback()
            if self._idempotency is not None and "idempotency_record" in str(exc):
                raise ProblemError(
                    409, "Request in flight", "the same Idempotency-Key was just used by a concurrent request; retry",
                    type_="/problems/idempotency-in-flight",
                ) from exc
            raise ProblemError(
                409, "Conflict", "the change conflicts with data saved meanwhile (a duplicate?); reload and retry",
                type_="/problems/conflict",
            ) from exc
        if self._on_commit is not None and self.published:
            self._on_commit()

    async def rollback(self) -> None:
        """Discard the change and its events."""
        await self.session.rollback()
        self.session.info.pop("outbox_site_locks", None)
        self.published.clear()


async def idempotency_of(request: Request, principal: Principal) -> tuple[str, str, str] | None:
    """(scope, key, fingerprint) of a POST carrying an Idempotency-Key header."""
    key = request.headers.get("idempotency-key")
    if request.method != "POST" or not key:
        return None
    if len(key) > 200:
        raise ProblemError(422, "Invalid Idempotency-Key", "Idempotency-Key is longer than 200 characters")
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.url.path.encode() + b"\n")
    digest.update(await request.body())
    return principal.subject, key, digest.hexdigest()


def now_or(value: datetime | None) -> datetime:
    """The given event time, or now."""
    return value or utcnow()

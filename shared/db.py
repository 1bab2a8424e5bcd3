"""Async engines for SQLite (default) and PostgreSQL, and the tables every service shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A time-zone-aware timestamp stored as UTC; SQLite would otherwise drop the offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Refuse naive values; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Hand back an aware UTC value."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and serialised write transactions."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 60}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, open transactions (needed for savepoints).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            # IMMEDIATE takes the write lock up front: no read-then-upgrade deadlocks.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def database_down(exc: BaseException) -> bool:
    """A lost or refused connection, as opposed to a write the data itself made fail (constraint, type)."""
    if isinstance(exc, DBAPIError):
        if isinstance(exc, OperationalError) and str(exc.orig).startswith("no such "):
            return False  # SQLite's missing table or column: a fault of the schema, not of the connection
        return isinstance(exc, (OperationalError, InterfaceError)) or exc.connection_invalidated
    return isinstance(exc, ConnectionError) and _raised_by_driver(exc)  # asyncpg's refused connect is not wrapped


def _raised_by_driver(exc: BaseException) -> bool:
    """Whether the error came up through the database driver (not, say, a socket of another client)."""
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_globals.get("__name__", "").startswith(("asyncpg", "sqlalchemy", "aiosqlite")):
            return True
        frame = frame.tb_next
    return False


def dialect_of(session: AsyncSession) -> str:
    """The name of the database a session talks to ("sqlite", "postgresql")."""
    if session.bind is None:
        raise RuntimeError("the session is bound to no engine")
    return session.bind.dialect.name


def is_sqlite(engine: AsyncEngine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


class InfraTables:
    """Outbox, processed events, consumer offsets and idempotency records on a service's metadata."""

    def __init__(self, metadata: MetaData) -> None:
        self.outbox = Table(
            "outbox",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("event_id", String(64), nullable=False, unique=True),
            Column("topic", String(200), nullable=False),
            Column("key", String(200), nullable=False),
            Column("type", String(200), nullable=False),
            Column("source", String(300), nullable=False),
            Column("subject", String(300), nullable=False),
            Column("aggregate_type", String(100), nullable=False),
            Column("aggregate_id", String(200), nullable=False),
            Column("sequence", Integer, nullable=False),
            Column("time", UtcDateTime(), nullable=False),
            Column("data", Text, nullable=False),
            Column("created_at", UtcDateTime(), nullable=False),
            Column("sent_at", UtcDateTime(), nullable=True),
            UniqueConstraint("aggregate_type", "aggregate_id", "sequence", name="uq_outbox_aggregate_sequence"),
            Index("ix_outbox_unsent", "sent_at", "id"),
        )
        self.outbox_sequence = Table(
            "outbox_sequence",
            metadata,
            Column("aggregate_type", String(100), primary_key=True),
            Column("aggregate_id", String(200), primary_key=True),
            Column("last_sequence", Integer, nullable=False),
        )
        self.processed_event = Table(
            "processed_event",
            metadata,
            Column("consumer", String(200), primary_key=True),
            Column("event_id", String(64), primary_key=True),
            Column("processed_at", UtcDateTime(), nullable=False),
        )
        self.consumer_offset = Table(
            "consumer_offset",
            metadata,
            Column("consumer", String(200), primary_key=True),
            Column("topic", String(200), primary_key=True),
            Column("partition", Integer, primary_key=True),
            Column("next_offset", BigInteger, nullable=False),
        )
        self.idempotency_record = Table(
            "idempotency_record",
            metadata,
            Column("scope", String(200), primary_key=True),
            Column("key", String(200), primary_key=True),
            Column("fingerprint", String(64), nullable=False),
            Column("status_code", Integer, nullable=False),
            Column("body", Text, nullable=False),
            Column("created_at", UtcDateTime(), nullable=False),
        )

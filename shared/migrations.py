"""Alembic migrations per service: run on start, and autogenerate new revisions from the models."""

from __future__ import annotations

import argparse
import importlib
import tempfile
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent


def script_location(service: str) -> Path:
    """Where a service keeps its migration scripts."""
    return ROOT / "services" / service / "migrations"


def alembic_config(service: str) -> Config:
    """An Alembic config for the service, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(script_location(service)))
    config.attributes["service"] = service
    return config


async def upgrade_to_head(engine: AsyncEngine, service: str) -> None:
    """Bring the service's database to the newest revision."""

    def _upgrade(connection: Connection) -> None:
        config = alembic_config(service)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


def run_env(metadata: MetaData) -> None:
    """The body of every service's `env.py`: online migrations on the given connection."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        url = context.config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("no connection given and no sqlalchemy.url set")
        engine = create_sync_engine(url)
        with engine.connect() as connection:
            _configure_and_run(connection, metadata)
            connection.commit()
        return
    _configure_and_run(connection, metadata)


def _configure_and_run(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def tables_module(service: str) -> str:
    """The module holding a service's tables (`adapters/tables.py`, or `db.py` in a service not moved yet)."""
    tables = "adapters.tables" if (ROOT / "services" / service / "adapters" / "tables.py").exists() else "db"
    return f"services.{service}.{tables}"


def autogenerate(service: str, message: str) -> None:
    """Write a new revision with the difference between the models and the current head."""
    importlib.import_module(tables_module(service))
    with tempfile.TemporaryDirectory() as tmp:
        config = alembic_config(service)
        config.set_main_option("sqlalchemy.url", f"sqlite:///{tmp}/scratch.db")
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)


def main() -> None:
    """CLI: `python -m shared.migrations revision SERVICE -m MESSAGE`."""
    parser = argparse.ArgumentParser(prog="python -m shared.migrations")
    sub = parser.add_subparsers(dest="command", required=True)
    revision = sub.add_parser("revision", help="autogenerate a revision for a service")
    revision.add_argument("service")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args()
    autogenerate(args.service, args.message)


if __name__ == "__main__":
    main()

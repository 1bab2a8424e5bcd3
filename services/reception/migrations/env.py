"""Alembic environment of the reception service."""

from services.reception.adapters.tables import metadata
from shared.migrations import run_env

run_env(metadata)

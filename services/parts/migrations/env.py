"""Alembic environment of the parts service."""

from services.parts.adapters.tables import metadata
from shared.migrations import run_env

run_env(metadata)

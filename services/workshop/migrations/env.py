"""Alembic environment of the workshop service."""

from services.workshop.adapters.tables import metadata
from shared.migrations import run_env

run_env(metadata)

"""Alembic environment of the workshop service."""

from services.workshop.db import metadata
from shared.migrations import run_env

run_env(metadata)

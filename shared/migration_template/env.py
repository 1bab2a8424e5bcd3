"""Alembic environment of the SERVICE service."""

from services.SERVICE.db import metadata
from shared.migrations import run_env

run_env(metadata)

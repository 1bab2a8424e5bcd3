"""Alembic environment of the kpi service."""

from services.kpi.db import metadata
from shared.migrations import run_env

run_env(metadata)

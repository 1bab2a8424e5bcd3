"""The kpi service's own tables (no other service reads them)."""

from sqlalchemy import MetaData
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.db import InfraTables

metadata = MetaData()
infra = InfraTables(metadata)


class Table(SQLModel, registry=registry(metadata=metadata)):
    """Base of the kpi service's SQLModel tables, on its own metadata."""

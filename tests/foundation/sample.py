"""A minimal service built on the shared library, used to test the library itself."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import Principal, Role, requires
from shared.contracts.base import Event
from shared.db import InfraTables
from shared.problems import not_found
from shared.runtime import Runtime, build_app, open_uow
from shared.settings import ServiceSettings
from shared.uow import UnitOfWork

metadata = MetaData()
infra = InfraTables(metadata)
notes = Table(
    "note", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(100), nullable=False),
    Column("text", String(500), nullable=False),
)
applied = Table(
    "applied", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(100), nullable=False),
    Column("text", String(500), nullable=False),
)

TOPIC = "pitwall.sample.v1"


class NoteWritten(Event):
    topic: ClassVar[str] = TOPIC
    type: ClassVar[str] = "pitwall.sample.note.written.v1"
    aggregate: ClassVar[str] = "note"
    note_id: str
    text: str


class SampleSettings(ServiceSettings):
    service_name: ClassVar[str] = "sample"


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


class NoteRead(BaseModel):
    id: int
    site_id: str
    text: str


async def create_tables(engine: AsyncEngine) -> None:
    """Stand-in for migrations: the sample has no Alembic scripts."""
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


async def write_note(uow: UnitOfWork, site_id: str, text: str, occurred_at: Any) -> int:
    """Insert a note and publish NoteWritten in the same transaction."""
    result = await uow.session.execute(notes.insert().values(site_id=site_id, text=text))
    note_id = int(result.inserted_primary_key[0])
    await uow.publish(NoteWritten(site_id=site_id, occurred_at=occurred_at, note_id=str(note_id), text=text))
    return note_id


async def on_note_written(uow: UnitOfWork, event: NoteWritten) -> None:
    """Project a note (the consumer side); text 'boom' is a poison event."""
    if event.text == "boom":
        raise ValueError("cannot apply a boom note")
    if event.text == "twice":  # a write the data itself makes fail: a primary-key clash
        await uow.session.execute(applied.insert().values(id=-1, site_id=event.site_id, text="twice"))
        await uow.session.execute(applied.insert().values(id=-1, site_id=event.site_id, text="twice"))
    await uow.session.execute(applied.insert().values(site_id=event.site_id, text=event.text))


router = APIRouter()


@router.post("/sites/{site_id}/notes", status_code=201)
async def post_note(site_id: str, body: NoteCreate, request: Request,
                    principal: Principal = Depends(requires(Role.ADVISOR, Role.MANAGER))) -> NoteRead:
    """Write a note."""
    principal.require_site(site_id)
    from shared.outbox import utcnow

    async with await open_uow(request, principal) as uow:
        note_id = await write_note(uow, site_id, body.text, utcnow())
        result = NoteRead(id=note_id, site_id=site_id, text=body.text)
        await uow.commit(result, 201)
    return result


@router.get("/notes/{note_id}")
async def get_note(note_id: int, request: Request, principal: Principal = Depends(requires())) -> NoteRead:
    """Read a note; another site's note is not found."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.engine.connect() as connection:
        row = (await connection.execute(select(notes).where(notes.c.id == note_id))).first()
    if row is None or not principal.may_see(row.site_id):
        raise not_found("note", str(note_id))
    return NoteRead(id=row.id, site_id=row.site_id, text=row.text)


def create_app(settings: SampleSettings, *, consume: bool = True) -> FastAPI:
    """The sample app."""
    handlers = {NoteWritten: on_note_written} if consume else None
    runtime = Runtime(settings, infra, publishes=[TOPIC], handlers=handlers, migrate=create_tables)
    return build_app(runtime, title="sample", routers=[router])

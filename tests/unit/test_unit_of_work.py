"""The unit of work: the relay is woken only by a commit that published; an idempotency key answers once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.workshop import TechnicianClockedIn
from shared.db import InfraTables, create_engine
from shared.errors import Invalid
from shared.uow import Idempotency, IdempotentReplay, UnitOfWork

metadata = MetaData()
TABLES = InfraTables(metadata)


class Answer(BaseModel):
    id: str


@pytest.fixture
async def engine(tmp_path: object) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/uow.db")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def unit_of_work(engine: AsyncEngine, wakes: list[str], idempotency: Idempotency | None = None) -> UnitOfWork:
    session = AsyncSession(engine, expire_on_commit=False)
    return UnitOfWork(session, TABLES, "unit", on_commit=lambda: wakes.append("wake"), idempotency=idempotency)


def clocked_in() -> TechnicianClockedIn:
    return TechnicianClockedIn(site_id="site-1", occurred_at=datetime(2026, 3, 2, 8, tzinfo=UTC), technician_id="amy",
                               name="Amy")


async def outbox_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(TABLES.outbox))).scalar_one())


async def test_a_commit_that_published_wakes_the_relay_once_and_one_that_did_not_leaves_it_asleep(engine: AsyncEngine) -> None:
    wakes: list[str] = []
    async with unit_of_work(engine, wakes) as uow:
        await uow.commit()
    assert wakes == []
    async with unit_of_work(engine, wakes) as uow:
        await uow.publish(clocked_in(), clocked_in())
        await uow.commit()
    assert wakes == ["wake"] and await outbox_rows(engine) == 2


async def test_a_rolled_back_change_publishes_nothing(engine: AsyncEngine) -> None:
    wakes: list[str] = []
    async with unit_of_work(engine, wakes) as uow:
        await uow.publish(clocked_in())
        await uow.rollback()
        await uow.commit()
    assert wakes == [] and await outbox_rows(engine) == 0


async def test_a_retry_under_the_same_key_gets_the_first_answer_and_another_request_under_it_is_refused(
    engine: AsyncEngine,
) -> None:
    key = Idempotency("advisor-amy", "key-1", "fingerprint-a")
    async with unit_of_work(engine, [], key) as uow:
        await uow.check_replay()
        await uow.commit(Answer(id="ro-1"), 201)
    async with unit_of_work(engine, [], key) as uow:
        with pytest.raises(IdempotentReplay) as replay:
            await uow.check_replay()
    assert (replay.value.status_code, replay.value.body) == (201, {"id": "ro-1"})
    async with unit_of_work(engine, [], Idempotency("advisor-amy", "key-1", "fingerprint-b")) as uow:
        with pytest.raises(Invalid) as reused:
            await uow.check_replay()
    assert reused.value.type_ == "/problems/idempotency-key-reused"

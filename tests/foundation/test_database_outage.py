"""A PostgreSQL outage: reads and writes answer a 503 problem, nothing is half-written, and the service recovers
without a restart. The database is cut off by a TCP relay in front of it (the shared server keeps running for others)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.foundation import sample
from tests.kit import EventTap, auth, new_site, running
from tools.ports import free_port


class Cable:
    """A TCP relay to the database that can be pulled out (refusing and dropping connections) and plugged back in."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def plug(self) -> None:
        """Accept and relay connections."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def pull(self) -> None:
        """Refuse new connections and drop the open ones, as a database that went away."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._open |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


async def test_a_database_outage_is_a_503_saves_nothing_and_passes_without_a_restart(pg_url: str, kafka: str) -> None:
    real = make_url(pg_url)
    cable = Cable(real.host or "127.0.0.1", real.port or 5432)
    await cable.plug()
    settings = sample.SampleSettings(database_url=real.set(host="127.0.0.1", port=cable.port).render_as_string(hide_password=False),
                                     kafka_bootstrap=kafka, consumer_group=f"g-{uuid.uuid4().hex[:8]}", relay_poll_seconds=0.2)
    app = sample.create_app(settings, consume=False)
    site = new_site()
    headers = auth(["advisor"], [site])
    async with running(app) as client, EventTap(kafka, [sample.TOPIC], [site]) as tap:
        before = await client.post(f"/sites/{site}/notes", json={"text": "before"}, headers=headers)
        assert before.status_code == 201

        await cable.pull()
        for response in [await client.post(f"/sites/{site}/notes", json={"text": "during"}, headers=headers),
                         await client.get(f"/notes/{before.json()['id']}", headers=headers)]:
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "5"
            assert response.json()["type"] == "/problems/database-unavailable"
        assert (await client.get("/readyz")).status_code == 503

        await cable.plug()
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get(f"/notes/{before.json()['id']}", headers=headers)).json()["text"] == "before"
        after = await client.post(f"/sites/{site}/notes", json={"text": "after"}, headers=headers)
        assert after.status_code == 201, after.text

        await tap.wait_for(sample.NoteWritten, 2, timeout=60)
        assert [e.data["text"] for e in tap.events] == ["before", "after"]
        async with app.state.runtime.engine.connect() as connection:
            texts = (await connection.execute(select(sample.notes.c.text).where(sample.notes.c.site_id == site))).scalars().all()
        assert sorted(texts) == ["after", "before"]
    await cable.pull()

"""Auth, problem+json, idempotency and health on an app built with the shared runtime."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from shared.auth import mint_token
from tests.foundation import sample
from tests.kit import auth, eventually, new_site, running
from tools.ports import free_port


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = sample.SampleSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/http.db", run_relay=False, run_consumer=False
    )
    app = sample.create_app(settings, consume=False)
    async with running(app) as http:
        yield http


async def count_notes(client: httpx.AsyncClient) -> int:
    runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(sample.notes))).scalar_one())


async def test_no_token_is_401_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/sites/s1/notes", json={"text": "x"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == "a bearer token is required"


async def test_a_forged_token_is_401(client: httpx.AsyncClient) -> None:
    forged = mint_token("another-secret-of-enough-length-0123456789", "mallory", ["admin"], ["*"])
    response = await client.post("/sites/s1/notes", json={"text": "x"}, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert "invalid token" in response.json()["detail"]


async def test_wrong_role_is_403_and_saves_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post("/sites/s1/notes", json={"text": "x"}, headers=auth(["technician"], ["s1"]))
    assert response.status_code == 403
    assert response.json()["detail"] == "this action needs one of the roles: advisor, manager"
    assert await count_notes(client) == 0


async def test_another_sites_data_is_not_visible(client: httpx.AsyncClient) -> None:
    mine, theirs = new_site(), new_site()
    created = await client.post(f"/sites/{theirs}/notes", json={"text": "theirs"}, headers=auth(["advisor"], [theirs]))
    note_id = created.json()["id"]
    assert (await client.get(f"/notes/{note_id}", headers=auth(["advisor"], [theirs]))).status_code == 200
    hidden = await client.get(f"/notes/{note_id}", headers=auth(["advisor", "manager"], [mine]))
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    refused = await client.post(f"/sites/{theirs}/notes", json={"text": "x"}, headers=auth(["advisor"], [mine]))
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"this token is not granted on site {theirs!r}"


async def test_invalid_input_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/sites/s1/notes", json={"text": "x", "status": "approved"}, headers=auth(["advisor"], ["s1"]))
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Invalid input"
    assert body["errors"][0]["loc"] == ["body", "status"]
    assert await count_notes(client) == 0


async def test_a_retried_post_creates_nothing_twice(client: httpx.AsyncClient) -> None:
    headers = {**auth(["advisor"], ["s1"]), "Idempotency-Key": "tablet-42-001"}
    first = await client.post("/sites/s1/notes", json={"text": "once"}, headers=headers)
    again = await client.post("/sites/s1/notes", json={"text": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_notes(client) == 1
    different = await client.post("/sites/s1/notes", json={"text": "other"}, headers=headers)
    assert different.status_code == 422
    assert "Idempotency-Key 'tablet-42-001' was used before" in different.json()["detail"]
    assert await count_notes(client) == 1


async def test_health_and_metrics_need_no_token_and_errors_are_declared_in_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] is True
    metrics = (await client.get("/metrics")).text
    assert "pitwall_http_request_duration_seconds_bucket" in metrics
    assert "pitwall_outbox_backlog_events" in metrics
    openapi = (await client.get("/openapi.json")).json()
    responses = openapi["paths"]["/sites/{site_id}/notes"]["post"]["responses"]
    assert "application/problem+json" in responses["422"]["content"]
    assert "application/problem+json" in responses["401"]["content"]


async def test_an_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/sites/s1/notes", content=b"{" + b" " * 1_000_001 + b"}",
                                 headers={**auth(["advisor"], ["s1"]), "content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, dict[str, str]]:
    """Send one HTTP/1.1 request on a kept-alive connection; the status and headers of its answer (body read)."""
    writer.write(request)
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return int(head[0].split()[1]), headers


async def test_a_500_leaves_the_connection_usable_for_the_next_request(tmp_path: Path) -> None:
    settings = sample.SampleSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/http.db", run_relay=False, run_consumer=False)
    app = sample.create_app(settings, consume=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started)
        async with app.state.runtime.engine.begin() as connection:
            await connection.execute(text("DROP TABLE note"))  # every note written from now on fails unexpectedly
        token = auth(["advisor"], ["s1"])["Authorization"]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b'{"text": "x"}'
        status, headers = await _exchange(reader, writer, (
            f"POST /sites/s1/notes HTTP/1.1\r\nHost: t\r\nAuthorization: {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        assert (status, headers["content-type"]) == (500, "application/problem+json")
        if headers.get("connection") != "close":  # kept alive: the next, unrelated request on it must be answered
            assert (await _exchange(reader, writer, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"))[0] == 200
        writer.close()
    finally:
        server.should_exit = True
        await serving


async def test_invented_methods_add_no_metric_series(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    for i in range(200):
        assert (await client.request(f"X{i:06d}", "/healthz")).status_code == 405
    body = (await client.get("/metrics")).text
    methods = {sample.labels["method"] for family in text_string_to_metric_families(body) for sample in family.samples
               if sample.name.startswith("pitwall_http_request_duration_seconds")}
    assert methods == {"GET", "other"}


class _Witness(Collector):
    """A collector noting the thread each scrape renders it in."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def collect(self) -> Iterator[Metric]:
        self.threads.append(threading.get_ident())
        return iter(())


async def test_metrics_are_rendered_off_the_event_loop(client: httpx.AsyncClient) -> None:
    witness = _Witness()
    client._transport.app.state.runtime.metrics.register(witness)  # type: ignore[attr-defined]
    witness.threads.clear()  # registering collected once, here, to learn the names
    assert (await client.get("/metrics")).status_code == 200
    assert witness.threads and threading.get_ident() not in witness.threads

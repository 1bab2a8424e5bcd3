"""Auth, problem+json, idempotency and health on an app built with the shared runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from shared.auth import mint_token
from tests.foundation import sample
from tests.kit import auth, new_site, running


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

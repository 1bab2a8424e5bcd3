"""Every non-public route of every service demands a token, and every write refuses a role that may not write."""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.kit import auth, running

SERVICES = ["reception", "workshop", "parts", "kpi"]
PUBLIC = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# Authenticated by the OEM's signature, not by a bearer token (see tests/warranty).
SIGNED_WEBHOOKS = {"/warranty/webhooks/oem"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def create(service: str, tmp_path: Path) -> FastAPI:
    module = importlib.import_module(f"services.{service}.app")
    settings_module = importlib.import_module(f"services.{service}.settings")
    settings_class = next(v for k, v in vars(settings_module).items() if k.endswith("Settings") and k != "ServiceSettings")
    settings = settings_class(database_url=f"sqlite+aiosqlite:///{tmp_path}/{service}.db", run_relay=False, run_consumer=False)
    return module.create_app(settings)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def protected_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, from its own OpenAPI document, less the public ones."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path not in PUBLIC | SIGNED_WEBHOOKS
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    )


def unauthorized(response: httpx.Response) -> bool:
    """Whether the answer is a 401 problem document."""
    return response.status_code == 401 and response.headers.get("content-type") == "application/problem+json"


@pytest.fixture(params=SERVICES)
async def service(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create(request.param, tmp_path)
    async with running(app) as client:
        yield app, client


async def test_every_non_public_route_answers_401_without_a_token(service: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, client = service
    routes = protected_routes(app)
    assert routes, "a service with no routes"
    failures = []
    for method, path in routes:
        response = await client.request(method, concrete(path), json={})
        if not unauthorized(response):
            failures.append(f"{method} {path} -> {response.status_code}")
    assert failures == []


async def test_a_request_without_a_token_is_a_401_before_any_of_its_input_is_judged(
    service: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = service
    spec = app.openapi()["paths"]
    failures = []
    for method, path in protected_routes(app):
        names = [p["name"] for p in spec[path][method.lower()].get("parameters", []) if p["in"] == "query"]
        junk = {name: "9999-99-99 not valid -1" for name in names} | {"limit": "-1"}
        half_a_window = {"window": "today", "from": "0001-01-01"}  # each value valid alone, wrong together
        for query, body in [(junk, "{not json"), (junk, "[]"), (half_a_window, "{}")]:
            response = await client.request(method, concrete(path), params=query, content=body,
                                             headers={"content-type": "application/json"})
            if not unauthorized(response):
                failures.append(f"{method} {path} {query} {body!r} -> {response.status_code} {response.text[:100]}")
    assert failures == []


async def test_a_method_a_path_does_not_serve_is_a_405_allowing_every_method_it_does(
    service: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = service
    failures = []
    for path, operations in app.openapi()["paths"].items():
        served = {method.upper() for method in operations}
        unserved = next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in served)
        response = await client.request(unserved, concrete(path))
        allowed = set((response.headers.get("allow") or "").replace(" ", "").split(","))
        want = served | ({"HEAD"} if "GET" in served else set())
        if response.status_code != 405 or allowed != want:
            failures.append(f"{unserved} {path} -> {response.status_code}, Allow {sorted(allowed)} (serves {sorted(want)})")
    assert failures == []


async def test_every_page_size_declares_the_services_limit_and_a_larger_one_is_refused(
    service: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = service
    maximum = app.state.settings.max_page_size
    paged = [(path, parameter["schema"]) for path, operations in app.openapi()["paths"].items()
             for operation in operations.values() for parameter in operation.get("parameters", []) if parameter["name"] == "limit"]
    assert paged or app.title == "Pitwall kpi"
    assert [path for path, schema in paged if schema.get("maximum") != maximum] == []
    for path, _ in paged:
        response = await client.get(concrete(path), params={"limit": maximum + 1}, headers=auth(["admin"], ["x1"]))
        assert response.status_code == 422, (path, response.text)


async def test_every_write_route_refuses_a_role_that_may_not_write_with_403(service: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, client = service
    headers = auth(["oem"], ["x1"], subject="oem-system")
    assert any(method in WRITE_METHODS for method, _ in protected_routes(app)) or app.title == "Pitwall kpi"
    failures = []
    for method, path in protected_routes(app):
        if method not in WRITE_METHODS:
            continue
        response = await client.request(method, concrete(path), json={}, headers=headers)
        if response.status_code != 403:
            failures.append(f"{method} {path} -> {response.status_code} {response.text[:120]}")
    assert failures == []


async def test_a_405_on_an_undocumented_route_still_names_what_it_serves(service: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = service
    for path in ("/docs", "/openapi.json"):
        response = await client.post(path)
        assert (response.status_code, response.headers.get("allow")) == (405, "GET, HEAD"), path

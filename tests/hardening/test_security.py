"""Nobody sees or changes another site's objects, nobody writes fields the API does not offer, sizes are bounded, and
no token or secret reaches the logs. Routes come from each app's own OpenAPI document, never from a hand-kept list."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.auth import mint_token
from tests.hardening import seeds
from tests.hardening.bodies import BODIES, SITE, SLOT, mass_assignments
from tests.hardening.apps import SERVICES, ServiceProcess, create, sqlite_url
from tests.kit import auth, new_site, running

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SIGNED_WEBHOOKS = {"/warranty/webhooks/oem"}  # authenticated by the OEM's signature (tests/warranty)
# Path parameters that name a period, not an object: site B may well have its own month or year.
KEYS = {"year", "month"}


@dataclass
class Seeded:
    """A running app with real objects on site A; site B has a token but nothing else."""

    service: str
    app: FastAPI
    client: httpx.AsyncClient
    site_a: str
    site_b: str
    bindings: seeds.Bindings

    @property
    def owner(self) -> dict[str, str]:
        """Site A's administrator."""
        return auth(["admin"], [self.site_a], subject="admin-a")

    @property
    def stranger(self) -> dict[str, str]:
        """Site B's administrator: every role, on the other site only."""
        return auth(["admin"], [self.site_b], subject="admin-b")

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(METHOD, path, operation) of every operation of the app that needs a bearer token."""
        return operations(self.app)


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) of every operation the app documents as needing a bearer token."""
    return [(method.upper(), path, operation) for path, methods in app.openapi()["paths"].items()
            for method, operation in methods.items() if operation.get("security") and path not in SIGNED_WEBHOOKS]


@pytest.fixture(scope="module", params=SERVICES)
async def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, bootstrap: str) -> AsyncIterator[Seeded]:
    """One service with real objects on site A, shared by the module's tests (none of which may change them)."""
    service = request.param
    app = await seeds.app_for(service, tmp_path_factory.mktemp(service), bootstrap)
    async with running(app) as client:
        site_a = new_site()
        bindings = await seeds.seed(service, seeds.Api(client, site_a, auth(["admin"], [site_a], subject="admin-a")), bootstrap)
        yield Seeded(service, app, client, site_a, new_site(), bindings)


def fill(path: str, values: dict[str, str]) -> str:
    """The path with its parameters filled in."""
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "x1"), path)


def ids_of(path: str) -> set[str]:
    """The path's parameters other than the site."""
    return set(re.findall(r"\{([^}]+)\}", path)) - {"site_id"}


def first_ids(seeded: Seeded) -> dict[str, str]:
    """Each path parameter's first seeded value."""
    found: dict[str, str] = {}
    for binding in seeded.bindings:
        for key, value in binding.items():
            found.setdefault(key, value)
    return found


def binding_for(seeded: Seeded, ids: set[str]) -> dict[str, str] | None:
    """Real values on site A for all the ids, if the seed made such an object (periods are just filled in)."""
    found = next((b for b in seeded.bindings if ids <= b.keys()), None) if ids else {}
    return found


async def snapshot(seeded: Seeded) -> dict[str, Any]:
    """What site A's administrator reads: each seeded object's version (or whole body) and each list's total."""
    seen: dict[str, Any] = {}
    for method, path, _ in seeded.operations():
        ids = ids_of(path)
        binding = binding_for(seeded, ids)
        if method != "GET" or binding is None:
            continue
        response = await seeded.client.get(fill(path, {"site_id": seeded.site_a, **binding}), headers=seeded.owner)
        body = response.json() if response.status_code == 200 else response.status_code
        if isinstance(body, dict) and "version" in body:
            seen[path] = body["version"]
        elif isinstance(body, dict) and "total" in body:
            seen[path] = body["total"]
        elif ids and path.endswith("}"):
            seen[path] = body
        # other site-wide views (board, figures, queues) move with the clock and are not compared
    for binding in seeded.bindings:
        if "follow_up_of" in binding:
            url = f"/repair-orders/{binding['follow_up_of']}/follow-up"
            seen[url] = (await seeded.client.get(url, headers=seeded.owner)).json()
    return seen


async def test_another_sites_objects_are_not_found_and_its_site_paths_are_forbidden(seeded: Seeded) -> None:
    """Site B's administrator, on every route naming an object or a site: A's site in the path is 403; A's objects are
    404 on object routes, and on B's own site paths answer exactly as a made-up id does (nothing tells them apart)."""
    before = await snapshot(seeded)
    checked, failures = 0, []
    for method, path, _ in seeded.operations():
        ids = ids_of(path)
        binding = binding_for(seeded, ids)
        if binding is None:
            failures.append(f"{method} {path}: the seed made no object for {sorted(ids)}")
            continue
        body = BODIES.get(f"{method} {path}", {}) if method in WRITES and method != "DELETE" else None
        made_up = {k: (v if k in KEYS else f"made-up-{uuid.uuid4().hex[:8]}") for k, v in binding.items()}

        async def answer(url: str) -> tuple[int, str, str]:
            response = await seeded.client.request(method, url, json=body, headers=seeded.stranger)
            return response.status_code, response.headers["content-type"], response.text

        if "{site_id}" in path:
            status, kind, text = await answer(fill(path, {"site_id": seeded.site_a, **binding}))
            if (status, kind) != (403, "application/problem+json"):
                failures.append(f"{method} {path} on site A -> {status} (expected 403) {text[:160]}")
            checked += 1
        if ids - KEYS:
            site = {"site_id": seeded.site_b}
            real, fake = fill(path, {**site, **binding}), fill(path, {**site, **made_up})
            status, kind, text = await answer(real)
            expected = await answer(fake)
            for name, value in binding.items():
                text = text.replace(value, made_up[name])
            if "{site_id}" not in path and (status, kind) != (404, "application/problem+json"):
                failures.append(f"{method} {path} with A's ids -> {status} (expected 404) {text[:160]}")
            elif (status, kind, text) != expected:
                failures.append(f"{method} {path} with A's ids answers {status} {text[:120]}, a made-up id {expected[0]} "
                                f"{expected[2][:120]}")
            checked += 1
    assert not failures, "\n".join(failures)
    assert checked > 0
    assert await snapshot(seeded) == before, "a refused call changed site A's objects"


async def test_ids_of_another_site_in_a_body_are_not_found(seeded: Seeded) -> None:
    """Site B's administrator names site A's objects in bodies on B's own routes (or A's site id): refused, nothing made."""
    ids = first_ids(seeded)
    a, b = seeded.site_a, seeded.site_b
    if seeded.service == "reception":
        calls = [
            ("POST", "/sites", {**SITE, "site_id": a}, {403}),
            ("POST", f"/sites/{b}/repair-orders", {**BODIES["POST /sites/{site_id}/repair-orders"], "visit_id": ids["visit_id"]},
             {404, 422}),
            ("POST", f"/sites/{b}/appointments", {"customer_id": ids["customer_id"], "vehicle_id": ids["vehicle_id"],
                                                  "slot_start": SLOT}, {404, 422}),
            ("POST", f"/sites/{b}/arrivals", {"vehicle_id": ids["vehicle_id"]}, {404, 422}),
            ("POST", f"/sites/{b}/arrivals", {"appointment_id": ids["appointment_id"]}, {404, 422}),
            ("POST", f"/sites/{b}/vehicles", {**BODIES["POST /sites/{site_id}/vehicles"], "customer_id": ids["customer_id"]},
             {404, 422}),
        ]
    elif seeded.service == "workshop":
        clockings = (await seeded.client.get(f"/technicians/{ids['technician_id']}/clockings", headers=seeded.owner)).json()
        interval = clockings["attendance"][0]["id"]
        calls = [
            ("POST", f"/sites/{b}/clocking-adjustments", {**BODIES["POST /sites/{site_id}/clocking-adjustments"],
                                                          "interval_id": interval}, {404, 422}),
            ("POST", f"/sites/{b}/repair-orders/{ids['repair_order_id']}/qc", {"result": "fail", "reason": "noise",
                                                                               "job_ids": [ids["job_id"]]}, {404, 409, 422}),
        ]
    elif seeded.service == "parts":
        calls = [("POST", f"/sites/{b}/parts-requests", BODIES["POST /sites/{site_id}/parts-requests"], {404, 422}),
                 ("POST", f"/sites/{b}/receipts", BODIES["POST /sites/{site_id}/receipts"], {404, 422})]
    else:
        calls = []
    before = await snapshot(seeded)
    for method, url, body, expected in calls:
        response = await seeded.client.request(method, url, json=body, headers=seeded.stranger)
        assert response.status_code in expected, (method, url, response.status_code, response.text[:300])
    assert await snapshot(seeded) == before


def _request_body_schemas(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                if "schema" in media and path not in SIGNED_WEBHOOKS:
                    found.append((f"{method.upper()} {path}", media["schema"]))
    return found


def _open_objects(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> list[str]:
    """Names of object schemas reachable from `schema` that accept unknown properties."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        target = components[name]
        own = [name] if target.get("type") == "object" and target.get("additionalProperties") is not False else []
        return own + _open_objects({k: v for k, v in target.items() if k != "$ref"}, components, seen)
    found: list[str] = []
    for key in ("properties",):
        for child in schema.get(key, {}).values():
            found += _open_objects(child, components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _open_objects(schema[key], components, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            found += _open_objects(child, components, seen)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_body_refuses_fields_it_does_not_declare(service: str, tmp_path: Path) -> None:
    document = create(service, sqlite_url(tmp_path, service)).openapi()
    components = document.get("components", {}).get("schemas", {})
    bodies = _request_body_schemas(document)
    assert bodies
    open_bodies = {label: names for label, schema in bodies if (names := _open_objects(schema, components, set()))}
    assert open_bodies == {}


async def test_fields_a_caller_may_not_set_are_refused_and_nothing_is_saved(seeded: Seeded) -> None:
    before = await snapshot(seeded)
    failures = []
    for method, url, body, field in mass_assignments(seeded.service, seeded.site_a, seeded.site_b, first_ids(seeded)):
        response = await seeded.client.request(method, url, json=body, headers=seeded.owner)
        named = any(field in map(str, error.get("loc", [])) for error in response.json().get("errors", []))
        if response.status_code != 422 or response.headers["content-type"] != "application/problem+json" or not named:
            failures.append(f"{method} {url} with {field}: {response.status_code} {response.text[:200]}")
    assert failures == []
    assert await snapshot(seeded) == before


async def test_bodies_over_the_limit_are_refused_with_413(seeded: Seeded) -> None:
    before = await snapshot(seeded)
    limit = seeded.app.state.settings.max_body_bytes
    writes = [(m, p) for m, p, _ in seeded.operations() if m in {"POST", "PUT", "PATCH"}]
    assert writes
    for method, path in writes:
        url = fill(path, {"site_id": seeded.site_a, **first_ids(seeded)})
        padding = {"note": "x" * (limit + 1)}
        response = await seeded.client.request(method, url, json=padding, headers=seeded.owner)
        assert (response.status_code, response.headers["content-type"]) == (413, "application/problem+json"), (method, path)
    assert await snapshot(seeded) == before


async def test_page_sizes_are_bounded(seeded: Seeded) -> None:
    maximum = seeded.app.state.settings.max_page_size
    lists = []
    for method, path, operation in seeded.operations():
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if method == "GET" and {"limit", "offset"} <= names:
            binding = binding_for(seeded, ids_of(path)) if ids_of(path) else {}
            if binding is not None:
                lists.append(fill(path, {"site_id": seeded.site_a, **binding}))
    assert lists or seeded.service == "kpi"
    for url in lists:
        ok = await seeded.client.get(url, params={"limit": maximum}, headers=seeded.owner)
        assert ok.status_code == 200, (url, ok.text)
        for params in ({"limit": maximum + 1}, {"limit": 0}, {"limit": -1}, {"offset": -1}, {"offset": 10**12}):
            response = await seeded.client.get(url, params=params, headers=seeded.owner)
            assert (response.status_code, response.headers["content-type"]) == (422, "application/problem+json"), (url, params)


async def test_a_body_streamed_without_a_length_is_bounded_too(tmp_path: Path) -> None:
    """A chunked upload has no Content-Length to check up front; the limit must still hold (real server, real socket)."""
    site = new_site()
    process = ServiceProcess("parts", {"PITWALL_PARTS_DATABASE_URL": sqlite_url(tmp_path, "parts"),
                                       "PITWALL_RUN_RELAY": "false", "PITWALL_RUN_CONSUMER": "false",
                                       "PITWALL_MAX_BODY_BYTES": "10000"}, tmp_path / "parts.log")
    process.start()
    try:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"part_number": "BIG-1", "unit_cost": "1", "unit_price": "2", "description": "'
            for _ in range(100):
                yield b"x" * 1000
            yield b'"}'

        async with httpx.AsyncClient(base_url=process.url, timeout=30) as client:
            response = await client.post(f"/sites/{site}/parts", content=chunks(),
                                         headers={**auth(["parts"], [site]), "content-type": "application/json"})
        assert response.status_code == 413, response.text[:300]
    finally:
        process.stop()


SECRET = "hardening-jwt-secret-0123456789abcdef-not-the-dev-one"


async def test_no_token_or_secret_reaches_the_logs(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Every service at DEBUG in-process, and the parts service as a real uvicorn process: good, forged, expired and
    foreign-site tokens are used, and neither they nor the signing secret appear in anything written."""
    site = new_site()
    good = mint_token(SECRET, "clerk-1", ["admin"], [site])
    forged = mint_token("someone-elses-secret-0123456789abcdef", "clerk-1", ["admin"], [site])
    foreign = mint_token(SECRET, "clerk-1", ["admin"], [new_site()])
    expired = mint_token(SECRET, "clerk-1", ["admin"], [site], ttl=timedelta(seconds=-10))
    tokens = [good, forged, foreign, expired]
    secrets = [SECRET, *tokens, *(t.rsplit(".", 1)[1] for t in tokens)]

    async def traffic(client: httpx.AsyncClient, paths: list[str]) -> None:
        for token in tokens:
            for path in paths:
                for method in ("GET", "POST"):
                    await client.request(method, path, json={"bad": True}, headers={"Authorization": f"Bearer {token}"})
            await client.get("/healthz", headers={"Authorization": f"Bearer {token}"})

    for service in SERVICES:
        app = create(service, sqlite_url(tmp_path, service), jwt_secret=SECRET, log_level="DEBUG")
        async with running(app) as client:
            paths = sorted({fill(p, {"site_id": site}) for _, p, _ in operations(app)})
            await traffic(client, paths)
    process = ServiceProcess("parts", {"PITWALL_PARTS_DATABASE_URL": sqlite_url(tmp_path, "parts-process"),
                                       "PITWALL_RUN_RELAY": "false", "PITWALL_RUN_CONSUMER": "false",
                                       "PITWALL_JWT_SECRET": SECRET, "PITWALL_LOG_LEVEL": "DEBUG"}, tmp_path / "parts.log")
    process.start()
    try:
        async with httpx.AsyncClient(base_url=process.url, timeout=30) as client:
            await traffic(client, [f"/sites/{site}/parts", f"/sites/{site}/parts/P-1", "/parts-requests/r-1/issue"])
    finally:
        process.stop()
    written = capfd.readouterr()
    logs = written.out + written.err + process.logs()
    # Proof that there was something to look at: every service logged at DEBUG, uvicorn logged each request.
    assert all(f'"service":"{service}"' in written.err for service in SERVICES), "an in-process service logged nothing"
    assert process.logs().count("HTTP/1.1") >= 20, "the real server's access log is missing"
    assert [s[:12] for s in secrets if s in logs] == []

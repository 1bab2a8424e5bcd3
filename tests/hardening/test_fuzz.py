"""Schemathesis against every service's OpenAPI, in-process: no 5xx, answers as documented, bad input refused, auth enforced,
and every write operation seen to succeed.

Each operation gets positive and negative generated calls (bounded and derandomized), half of them aimed at real objects
made through the API first (tests/hardening/seeds.py), with an admin token on the site used. Each write operation also
gets fresh objects in the state it needs (tests/hardening/ready.py): its positive phase starts with a schema-valid call
on them that must succeed, and its generated calls aim at them too (ids in their bodies taken from that call).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import get_client, shutdown_lifespans
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.hardening import ready, seeds
from tests.hardening.apps import SERVICES, create, sqlite_url
from tests.kit import auth, eventually, new_site
from tools import localpg

# The deep mode (docs/reliability.md): `PITWALL_FUZZ_DEEP=1 ./dev test tests/hardening/test_fuzz.py`, 100 examples per
# operation and mode, on SQLite and on PostgreSQL. PITWALL_FUZZ_EXAMPLES sets the depth of either mode.
DEEP = bool(os.environ.get("PITWALL_FUZZ_DEEP"))
EXAMPLES = int(os.environ.get("PITWALL_FUZZ_EXAMPLES", "100" if DEEP else "12"))
DATABASES = ["sqlite", "postgres"] if DEEP else ["sqlite"]
# Authenticated by the OEM's HMAC signature, not a bearer token (tests/webhooks): a generated call is never signed.
SIGNED_WEBHOOKS = {"POST /warranty/webhooks/oem"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection, ignored_auth]
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])


def _labels() -> list[tuple[str, str]]:
    """(service, "METHOD /path") of every operation each app documents (read without starting anything)."""
    with tempfile.TemporaryDirectory() as directory:
        return [(service, f"{method.upper()} {path}")
                for service in SERVICES
                for path, operations in create(service, sqlite_url(Path(directory), service)).openapi()["paths"].items()
                for method in operations]


OPERATIONS = _labels()


@dataclass
class Target:
    """A started app, its schema, the site fuzzed, the token used, the seeded objects' path parameters, and each write
    operation's fresh objects with a call it must accept."""

    schema: Any
    site: str
    headers: dict[str, str]
    bindings: seeds.Bindings
    ready: dict[str, ready.Ready]

    def operation(self, label: str) -> APIOperation:
        """The schema's operation with this label."""
        found = [result.ok() for result in self.schema.get_all_operations() if result.ok().label == label]
        assert found, f"{label} is not in the schema"
        return found[0]


@pytest.fixture(scope="module", params=DATABASES)
async def targets(request: pytest.FixtureRequest, bootstrap: str, pg_server: str | None,
                  tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Target]]:
    """Every service started on its own database (a SQLite file, or a fresh PostgreSQL one) and seeded through its API."""
    directory = tmp_path_factory.mktemp("fuzz")
    found: dict[str, Target] = {}
    databases: list[str] = []
    try:
        for service in SERVICES:
            url = None
            if request.param == "postgres":
                assert pg_server is not None, "PostgreSQL is not available"
                databases.append(f"fuzz_{service}_{uuid.uuid4().hex[:8]}")
                url = await localpg.acreate_database(databases[-1])
            app = await seeds.app_for(service, directory, bootstrap, url)
            site, spares = new_site(), [new_site() for _ in range(3)]  # for `POST /sites` and its own site for PUT/PATCH
            headers = auth(["admin"], [site, *spares], subject="fuzzer")
            client = get_client(app).__enter__()  # starts the lifespan (migrations, consumer) once for the module
            api = seeds.Api(client, site, headers)
            bindings = await seeds.seed(service, api, bootstrap)
            floor = ready.Floor(api, bootstrap, lambda check: eventually(check, timeout=60), spares)
            found[service] = Target(schemathesis.openapi.from_asgi("/openapi.json", app), site, headers, bindings,
                                    await ready.prepare(service, floor))
        yield found
    finally:
        shutdown_lifespans()
        for name in databases:
            await localpg.adrop_database(name)


def _cases(target: Target, operation: APIOperation, mode: GenerationMode) -> st.SearchStrategy[Any]:
    """Generated calls on the fuzzed site; half of them on seeded objects when the path names one, and in the positive
    mode of a write some on its fresh objects."""
    names = {parameter.name for parameter in operation.path_parameters}
    made = target.ready.get(operation.label) if mode.is_positive else None
    site = made.path.get("site_id", target.site) if made is not None else target.site
    pinned = {"site_id": site} if "site_id" in names else {}
    ids = names - {"site_id"}
    known = [{**pinned, **{k: b[k] for k in ids}} for b in target.bindings if ids and ids <= b.keys()]
    if made is not None:
        known.append({**pinned, **made.path})

    def strategy(path: dict[str, str]) -> st.SearchStrategy[Any]:
        return operation.as_strategy(mode, path_parameters=path, headers=dict(target.headers))

    if not known:
        return strategy(pinned)
    return st.one_of(strategy(pinned), st.sampled_from(known).flatmap(strategy))


def _accepted(target: Target, operation: APIOperation) -> Any:
    """The write's call on its fresh objects, as a schemathesis case (its body checked against the schema)."""
    made = target.ready[operation.label]
    path = {**({"site_id": target.site} if "site_id" in {p.name for p in operation.path_parameters} else {}), **made.path}
    if made.body is None:
        return operation.Case(path_parameters=path, headers=dict(target.headers))
    assert_schema_valid(operation, made.body)
    return operation.Case(path_parameters=path, headers=dict(target.headers), body=made.body, media_type="application/json")


def assert_schema_valid(operation: APIOperation, body: Any) -> None:
    """The body is valid by the operation's documented schema (so a refusal would be a constraint OpenAPI does not tell)."""
    document = operation.schema.raw_schema
    schema = document["paths"][operation.path][operation.method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": document.get("components", {})})
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], f"{operation.label}: the call made for it is not valid by its schema: {errors}"


def _bound(target: Target, case: Any) -> None:
    """Ids in a generated body name the write's fresh objects (a made-up id only ever meets a 404)."""
    made = target.ready.get(case.operation.label)
    if made is None or not isinstance(made.body, dict) or not isinstance(case.body, dict):
        return
    for key, value in made.body.items():
        if key.endswith("_id") and isinstance(case.body.get(key), str):
            case.body[key] = value


def _fuzz(target: Target, operation: APIOperation, mode: GenerationMode, statuses: Counter[int]) -> str | None:
    """Run one mode; the failure report, if any."""

    @given(case=_cases(target, operation, mode))
    @SETTINGS
    def run(case: Any) -> None:
        if mode.is_positive:
            _bound(target, case)
        response = case.call(headers=target.headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=target.headers)

    if mode.is_positive and operation.label in target.ready:
        run = example(case=_accepted(target, operation))(run)
    try:
        run()
    except FailureGroup as failure:
        return f"{operation.label} ({mode.value}):\n{failure}"
    return None


@pytest.mark.parametrize(("service", "label"), OPERATIONS, ids=[f"{s}:{label}" for s, label in OPERATIONS])
def test_generated_calls_get_documented_answers(targets: dict[str, Target], service: str, label: str) -> None:
    target = targets[service]
    operation = target.operation(label)
    positive: Counter[int] = Counter()
    modes = [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if _can_be_invalid(operation) else [])]
    failures = [f for f in (_fuzz(target, operation, mode, Counter() if mode.is_negative else positive) for mode in modes) if f]
    assert failures == [], "\n\n".join(failures)
    assert positive, "no call was made"
    if label in SIGNED_WEBHOOKS:
        assert set(positive) == {401}, f"an unsigned webhook call was not refused: {dict(positive)}"
    elif operation.method.upper() in WRITES:
        assert any(200 <= status < 300 for status in positive), f"no call succeeded: {dict(positive)}"
    else:
        assert set(positive) - {401, 403}, f"the token was refused on every call: {dict(positive)}"


def _can_be_invalid(operation: APIOperation) -> bool:
    """Whether any input of the operation has a schema a value can break (pinned site and free-text ids cannot)."""
    plain = [{"type": "string"}]
    return bool(operation.body) or bool(list(operation.query)) \
        or any(p.name != "Authorization" for p in operation.headers) \
        or any({k: v for k, v in p.definition.get("schema", {}).items() if k != "title"} not in plain
               for p in operation.path_parameters)


def test_the_fuzzing_reaches_real_objects(targets: dict[str, Target]) -> None:
    """Guard against a fuzz that only ever meets 404s: seeded objects are found through their routes."""
    for service, target in targets.items():
        client = get_client(target.schema.app)
        for binding in target.bindings:
            label = _reader_of(target, binding)
            if label is None:
                continue
            path = label.split(" ", 1)[1].replace("{site_id}", target.site)
            for key, value in binding.items():
                path = path.replace("{" + key + "}", value)
            response = client.get(path, headers=target.headers)
            assert response.status_code == 200, (service, path, response.status_code, response.text)


def _reader_of(target: Target, binding: dict[str, str]) -> str | None:
    """The GET route reading exactly the object a binding names, if the service has one."""
    wanted: Callable[[APIOperation], bool] = lambda op: (  # noqa: E731
        op.method.upper() == "GET" and {p.name for p in op.path_parameters} - {"site_id"} == set(binding)
        and op.path.rstrip("/").endswith("}"))
    readers = [result.ok() for result in target.schema.get_all_operations() if wanted(result.ok())]
    return readers[0].label if readers else None

"""The AsyncAPI document as its readers use it: an example per message that its schemas accept, who sends each channel
and which consumer group receives which messages, and a --check that fails on a stale document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from fastapi import FastAPI

from services.kpi.app import create_app as kpi_app
from services.kpi.handlers import HANDLERS as KPI
from services.kpi.settings import KpiSettings
from services.parts.app import create_app as parts_app
from services.parts.handlers import HANDLERS as PARTS
from services.parts.settings import PartsSettings
from services.reception.app import create_app as reception_app
from services.reception.handlers import HANDLERS as RECEPTION
from services.reception.settings import ReceptionSettings
from services.workshop.app import create_app as workshop_app
from services.workshop.handlers import HANDLERS as WORKSHOP
from services.workshop.settings import WorkshopSettings
from shared.contracts import TOPICS, asyncapi, default_registry

SERVICES = {
    "reception": (reception_app, ReceptionSettings, RECEPTION),
    "workshop": (workshop_app, WorkshopSettings, WORKSHOP),
    "parts": (parts_app, PartsSettings, PARTS),
    "kpi": (kpi_app, KpiSettings, KPI),
}
DOCUMENT = asyncapi.build()


def test_the_document_is_valid_asyncapi_3_1_and_every_reference_resolves() -> None:
    # The AsyncAPI Initiative's own JSON Schema of 3.1.0 documents (bindings included); see asyncapi_spec/NOTICE.
    spec = json.loads((Path(__file__).with_name("asyncapi_spec") / "3.1.0.json").read_text())
    committed = yaml.safe_load(asyncapi.DOCUMENT.read_text())
    assert committed["asyncapi"] == "3.1.0"
    assert [f"{list(e.instance_path)}: {e.message}" for e in jsonschema_rs.validator_for(spec).iter_errors(committed)] == []
    for ref in references(committed):
        target: Any = committed
        for step in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict) and step in target, ref
            target = target[step]


def references(node: Any) -> list[str]:
    """Every `$ref` in a document."""
    if isinstance(node, dict):
        return [*([node["$ref"]] if isinstance(node.get("$ref"), str) else []), *(r for v in node.values() for r in references(v))]
    return [r for v in node for r in references(v)] if isinstance(node, list) else []


def schema_of(ref_or_schema: dict[str, Any]) -> Any:
    """A validator of a message's payload or headers, resolving refs into the document's components."""
    return jsonschema_rs.validator_for({**ref_or_schema, "components": DOCUMENT["components"]})


@pytest.mark.parametrize("name", sorted(DOCUMENT["components"]["messages"]))
def test_each_message_has_an_example_its_schemas_accept_and_its_class_reads_back(name: str) -> None:
    message = DOCUMENT["components"]["messages"][name]
    (example,) = message["examples"]
    for part in ("payload", "headers"):
        errors = [error.message for error in schema_of(message[part]).iter_errors(example[part])]
        assert errors == [], f"{name} {part}: {errors}"
    event_class = default_registry().get(message["name"])
    assert event_class is not None and event_class.__name__ == name
    assert event_class.model_validate(example["payload"]).model_dump(mode="json") == example["payload"]
    assert message["summary"] != name and message["summary"].endswith(".")


def test_a_schema_refuses_an_example_that_breaks_it() -> None:
    message = DOCUMENT["components"]["messages"]["RepairOrderOpened"]
    payload = {**message["examples"][0]["payload"], "mileage_in": "far"}
    assert not schema_of(message["payload"]).is_valid(payload)


def apps() -> dict[str, FastAPI]:
    return {service: create(settings(database_url="sqlite+aiosqlite://", run_consumer=False, run_relay=False))
            for service, (create, settings, _) in SERVICES.items()}


def test_each_channel_is_sent_by_the_service_that_publishes_it() -> None:
    sent = {op["channel"]["$ref"].rpartition("/")[2]: name.partition("Sends")[0]
            for name, op in DOCUMENT["operations"].items() if op["action"] == "send"}
    assert set(sent) == set(TOPICS)
    for service, app in apps().items():
        assert sorted(app.state.runtime.publishes) == sorted(TOPICS[c] for c, publisher in sent.items() if publisher == service)
    assert sent["warranty"] == "reception"  # until a warranty service exists
    assert "published by the reception service" in DOCUMENT["channels"]["warranty"]["description"]


def test_receive_operations_are_each_service_s_consumer_group_and_the_events_it_handles() -> None:
    received: dict[str, set[str]] = {}
    for name, op in DOCUMENT["operations"].items():
        if op["action"] == "receive":
            service = name.partition("Receives")[0]
            _, settings, _ = SERVICES[service]
            assert op["bindings"]["kafka"]["groupId"]["enum"] == [settings(consumer_group="").resolved_consumer_group()]
            channel = op["channel"]["$ref"].rpartition("/")[2]
            for ref in op["messages"]:
                assert ref["$ref"].startswith(f"#/channels/{channel}/messages/")
                received.setdefault(service, set()).add(ref["$ref"].rpartition("/")[2])
    assert received == {service: {c.__name__ for c in handlers} for service, (_, _, handlers) in SERVICES.items()}


def test_check_fails_on_a_stale_document_and_passes_on_the_committed_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert asyncapi.main(["--check"]) == 0
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text(asyncapi.render().replace("A technician paused", "Someone paused"))
    monkeypatch.setattr(asyncapi, "DOCUMENT", stale)
    assert asyncapi.main(["--check"]) == 1
    assert asyncapi.main(["--write"]) == 0 and asyncapi.main(["--check"]) == 0

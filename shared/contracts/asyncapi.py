"""Generates the AsyncAPI 3.1 document from the event models: who sends and who receives each message, with an example.

python -m shared.contracts.asyncapi            # print it
python -m shared.contracts.asyncapi --write    # write shared/contracts/asyncapi.yaml
python -m shared.contracts.asyncapi --check    # exit 1 if the committed document is stale
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from shared.cloudevents import CloudEvent
from shared.contracts import TOPICS, default_registry
from shared.contracts.base import Event
from shared.contracts.consumers import CONSUMES, PUBLISHERS
from shared.contracts.examples import example
from shared.settings import default_consumer_group

DOCUMENT = Path(__file__).with_name("asyncapi.yaml")


def _headers(event_class: type[Event]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_time",
            "ce_siteid",
            "ce_subject",
            "ce_sequence",
        ],
        "properties": {
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_id": {"type": "string", "description": "Unique per event, stable across retries (dedupe key)"},
            "ce_source": {"type": "string", "description": "/pitwall/<service>/sites/<site id>"},
            "ce_type": {"type": "string", "const": event_class.type},
            "ce_time": {"type": "string", "format": "date-time", "description": "When it happened (device time)"},
            "ce_subject": {"type": "string", "description": f"{event_class.aggregate}/<id>"},
            "ce_siteid": {"type": "string", "description": "The site; also the Kafka key"},
            "ce_sequence": {
                "type": "string",
                "description": f"Position in the {event_class.aggregate}'s own event sequence",
            },
            "content-type": {"type": "string", "const": "application/json"},
        },
    }


def _message(c: type[Event]) -> dict[str, Any]:
    instance = example(c)
    return {
        "name": c.type,
        "title": c.__name__,
        "summary": (c.__doc__ or c.__name__).strip().splitlines()[0],
        "contentType": "application/json",
        "headers": _headers(c),
        "payload": {"$ref": f"#/components/schemas/{c.__name__}"},
        "bindings": {"kafka": {"key": {"type": "string", "description": "site id"}, "bindingVersion": "0.5.0"}},
        "examples": [
            {
                "name": c.__name__,
                "summary": f"{c.__name__} at one site",
                "headers": _example_headers(instance),
                "payload": instance.model_dump(mode="json"),
            }
        ],
    }


def _example_headers(instance: Event) -> dict[str, str]:
    """The Kafka headers the outbox relay would send with the example (a fixed id instead of a random one)."""
    publisher, aggregate_id = PUBLISHERS[instance.topic], instance.aggregate_id()
    cloud_event = CloudEvent(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, instance.type)),
        source=f"/pitwall/{publisher}/sites/{instance.site_id}",
        type=instance.type,
        time=instance.occurred_at,
        subject=f"{instance.aggregate}/{aggregate_id}",
        site_id=instance.site_id,
        sequence=1,
    )
    return {name: value.decode() for name, value in cloud_event.to_headers()}


def _operations(classes: list[type[Event]]) -> dict[str, Any]:
    """One send operation per channel (its publisher), one receive operation per consumer group and channel it reads."""
    operations: dict[str, Any] = {}
    for channel, topic in TOPICS.items():
        own = [c for c in classes if c.topic == topic]
        operations[f"{PUBLISHERS[topic]}Sends{channel.title()}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"The {PUBLISHERS[topic]} service publishes them, from its outbox.",
            "messages": [{"$ref": f"#/channels/{channel}/messages/{c.__name__}"} for c in own],
        }
    for service, handled in CONSUMES.items():
        group = default_consumer_group(service)
        for channel, topic in TOPICS.items():
            read = [c for c in classes if c.topic == topic and (handled is None or c in handled)]
            if read:
                operations[f"{service}Receives{channel.title()}"] = {
                    "action": "receive",
                    "channel": {"$ref": f"#/channels/{channel}"},
                    "summary": f"The {service} service reads them in consumer group `{group}` (other types on the topic it skips).",
                    "messages": [{"$ref": f"#/channels/{channel}/messages/{c.__name__}"} for c in read],
                    "bindings": {"kafka": {"groupId": {"type": "string", "enum": [group]}, "bindingVersion": "0.5.0"}},
                }
    return operations


def build() -> dict[str, Any]:
    """The AsyncAPI document as a dict."""
    classes = default_registry().all()
    _, top = models_json_schema([(c, "serialization") for c in classes], ref_template="#/components/schemas/{model}")
    channels = {
        channel: {
            "address": topic,
            "description": f"Every {channel} event; published by the {PUBLISHERS[topic]} service. Kafka key = site id; CloudEvents "
            "binary mode.",
            "messages": {
                c.__name__: {"$ref": f"#/components/messages/{c.__name__}"} for c in classes if c.topic == topic
            },
        }
        for channel, topic in TOPICS.items()
    }
    return {
        "asyncapi": "3.1.0",
        "info": {
            "title": "Pitwall events",
            "version": "1.0.0",
            "description": "Integration events between Pitwall's services. Types are versioned (`.v1`); "
            "consumers ignore types they do not know and dedupe by `ce_id`.\n\n"
            "Delivery: every committed change is published, in order per site (one partition per site key). A relay that "
            "restarts, or retries after a failed send, first reads back the tail of each partition and marks sent the "
            "rows Kafka already holds, so a crash between Kafka's acknowledgement and the row's mark sends nothing twice. "
            "Delivery stays at-least-once where that read-back cannot see the earlier copy: the broker wrote a batch but "
            "its acknowledgement was lost and the record was not yet readable when the relay looked, the record was "
            "already deleted by retention, or a relay lost its lead (several replicas: one relay leads) after sending "
            "rows its successor could not yet read back. Every subscriber (the "
            "services, the OEM, BI tools) must therefore dedupe by the CloudEvent `id` (`ce_id`).",
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka", "description": "./dev run's broker"}},
        "channels": channels,
        "operations": _operations(classes),
        "components": {"messages": {c.__name__: _message(c) for c in classes}, "schemas": top.get("$defs", {})},
    }


def render() -> str:
    """The document as YAML text."""
    return str(yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=120))


def main(argv: list[str] | None = None) -> int:
    """Print the document, write it, or with --check fail when the committed one is stale."""
    parser = argparse.ArgumentParser(prog="python -m shared.contracts.asyncapi")
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--write", action="store_true", help=f"write {DOCUMENT.name}")
    chosen.add_argument("--check", action="store_true", help=f"exit 1 if {DOCUMENT.name} differs from the event models")
    args = parser.parse_args(argv)
    if args.write:
        DOCUMENT.write_text(render())
    elif args.check:
        if DOCUMENT.read_text() != render():
            sys.stderr.write(f"{DOCUMENT} is stale: run python -m shared.contracts.asyncapi --write\n")
            return 1
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())

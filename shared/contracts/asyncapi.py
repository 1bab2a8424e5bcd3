"""Generates the AsyncAPI 3 document from the event models: `python -m shared.contracts.asyncapi --write`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from shared.contracts import TOPICS, default_registry
from shared.contracts.base import Event

DOCUMENT = Path(__file__).with_name("asyncapi.yaml")


def _headers(event_class: type[Event]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_siteid", "ce_subject", "ce_sequence"],
        "properties": {
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_id": {"type": "string", "description": "Unique per event, stable across retries (dedupe key)"},
            "ce_source": {"type": "string", "description": "/pitwall/<service>/sites/<site id>"},
            "ce_type": {"type": "string", "const": event_class.type},
            "ce_time": {"type": "string", "format": "date-time", "description": "When it happened (device time)"},
            "ce_subject": {"type": "string", "description": f"{event_class.aggregate}/<id>"},
            "ce_siteid": {"type": "string", "description": "The site; also the Kafka key"},
            "ce_sequence": {"type": "string", "description": f"Position in the {event_class.aggregate}'s own event sequence"},
            "content-type": {"type": "string", "const": "application/json"},
        },
    }


def build() -> dict[str, Any]:
    """The AsyncAPI document as a dict."""
    classes = default_registry().all()
    _, top = models_json_schema([(c, "serialization") for c in classes], ref_template="#/components/schemas/{model}")
    schemas = top.get("$defs", {})
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for service, topic in TOPICS.items():
        own = [c for c in classes if c.topic == topic]
        channels[service] = {
            "address": topic,
            "description": f"Every event the {service} service publishes; Kafka key = site id; CloudEvents binary mode.",
            "messages": {c.__name__: {"$ref": f"#/components/messages/{c.__name__}"} for c in own},
        }
        operations[f"{service}Publishes"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{service}"},
            "messages": [{"$ref": f"#/channels/{service}/messages/{c.__name__}"} for c in own],
        }
        for c in own:
            messages[c.__name__] = {
                "name": c.type,
                "title": c.__name__,
                "summary": (c.__doc__ or c.__name__).strip().splitlines()[0],
                "contentType": "application/json",
                "headers": _headers(c),
                "payload": {"$ref": f"#/components/schemas/{c.__name__}"},
                "bindings": {"kafka": {"key": {"type": "string", "description": "site id"}, "bindingVersion": "0.5.0"}},
            }
    return {
        "asyncapi": "3.0.0",
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
            "already deleted by retention, or two relays of one service sent the same row. Every subscriber (the "
            "services, the OEM, BI tools) must therefore dedupe by the CloudEvent `id` (`ce_id`).",
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka", "description": "./dev run's broker"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    """The document as YAML text."""
    return yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=120)


def main() -> int:
    """Write the document, or with --check fail when the committed one is stale."""
    parser = argparse.ArgumentParser(prog="python -m shared.contracts.asyncapi")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.write:
        DOCUMENT.write_text(render())
        return 0
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())

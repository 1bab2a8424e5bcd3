"""The event contract: CloudEvents binary mode, versioned types, and the AsyncAPI document."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import yaml

from shared.cloudevents import CloudEvent, MalformedEvent
from shared.contracts import TOPICS, default_registry
from shared.contracts.asyncapi import DOCUMENT, build, render
from shared.contracts.reception import JobLine, PayType, RepairOrderOpened, RoType


def opened() -> RepairOrderOpened:
    return RepairOrderOpened(
        site_id="s1", occurred_at=datetime(2026, 3, 2, 8, 15, tzinfo=timezone(timedelta(hours=8))),
        repair_order_id="ro-1", ro_number="S1-000001", visit_id="v-1", vehicle_id="veh-1", customer_id="c-1",
        vin="1HGCM82633A004352", advisor="alice", ro_type=RoType.GENERAL_REPAIR, mileage_in=42000,
        arrived_at=datetime(2026, 3, 2, 0, 5, tzinfo=UTC),
        job_lines=[JobLine(job_line_id="l-1", op_code="BRK01", description="Front pads", pay_type=PayType.CUSTOMER,
                           sold_hours=Decimal("1.2"), labour_rate=Decimal("300"))],
    )


def test_binary_mode_round_trip_keeps_every_attribute_and_the_data() -> None:
    event = opened()
    cloud_event = CloudEvent(id="e-1", source="/pitwall/reception/sites/s1", type=event.type, time=event.occurred_at,
                             subject="repair_order/ro-1", site_id="s1", sequence=3, data=event.model_dump(mode="json"))
    headers = dict(cloud_event.to_headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"pitwall.reception.repair_order.opened.v1"
    assert headers["content-type"] == b"application/json"
    assert cloud_event.key() == b"s1"
    back = CloudEvent.from_record(cloud_event.to_headers(), cloud_event.value())
    assert back == cloud_event
    assert RepairOrderOpened.model_validate(back.data) == event


@pytest.mark.parametrize(
    ("headers", "value", "problem"),
    [
        ([], b"{}", "ce_specversion must be 1.0"),
        ([("ce_specversion", b"1.0"), ("ce_id", b"x")], b"{}", "missing headers: ce_source, ce_type, ce_time, ce_siteid"),
        ([("ce_specversion", b"1.0"), ("ce_id", b"x"), ("ce_source", b"/s"), ("ce_type", b"t"), ("ce_time", b"2026-01-01T00:00:00"),
          ("ce_siteid", b"s")], b"{}", "ce_time has no time zone"),
        ([("ce_specversion", b"1.0"), ("ce_id", b"x"), ("ce_source", b"/s"), ("ce_type", b"t"), ("ce_time", b"2026-01-01T00:00:00Z"),
          ("ce_siteid", b"s")], b"[1]", "data must be a JSON object"),
    ],
)
def test_malformed_records_are_named(headers: list[tuple[str, bytes]], value: bytes, problem: str) -> None:
    with pytest.raises(MalformedEvent, match=re.escape(problem)):
        CloudEvent.from_record(headers, value)


def test_every_event_type_is_versioned_past_tense_and_names_its_topic() -> None:
    classes = default_registry().all()
    assert len({c.type for c in classes}) == len(classes)
    for cls in classes:
        assert re.fullmatch(r"pitwall\.[a-z_]+\.[a-z_]+\.[a-z_]+\.v\d+", cls.type), cls.type
        service = cls.type.split(".")[1]
        assert cls.topic == TOPICS[service]
        assert not cls.__name__.endswith("Event")
        assert cls.aggregate_key() in cls.model_fields


def test_the_committed_asyncapi_document_matches_the_event_models() -> None:
    assert DOCUMENT.read_text() == render(), "run: .venv/bin/python -m shared.contracts.asyncapi --write"
    document = yaml.safe_load(DOCUMENT.read_text())
    assert document["asyncapi"].startswith("3.")
    listed = {m["name"] for m in document["components"]["messages"].values()}
    assert listed == {c.type for c in default_registry().all()}
    for name, message in build()["components"]["messages"].items():
        assert message["payload"]["$ref"] == f"#/components/schemas/{name}"
        assert name in document["components"]["schemas"]

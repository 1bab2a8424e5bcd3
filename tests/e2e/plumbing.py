"""What must be true of the pipes after a day: every outbox sent, nothing of these sites dead-lettered."""

from __future__ import annotations

import time

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.e2e.kpi import parse_metrics
from tests.e2e.system import System
from tests.kit import eventually


async def outbox_backlogs(system: System) -> dict[str, float | None]:
    """Each service's `pitwall_outbox_backlog_events`."""
    backlogs: dict[str, float | None] = {}
    for name, service in system.services.items():
        async with httpx.AsyncClient(base_url=service.url, timeout=5.0) as client:
            samples = parse_metrics((await client.get("/metrics")).text)
        backlogs[name] = samples.get(("pitwall_outbox_backlog_events", frozenset({("service", name)})))
    return backlogs


async def assert_outboxes_drained(system: System) -> None:
    """Every service's relay has sent everything it committed (its backlog gauge reads 0)."""
    async def drained() -> bool:
        return all(v == 0 for v in (await outbox_backlogs(system)).values())

    try:
        await eventually(drained, timeout=30)
    except AssertionError:
        raise AssertionError(f"outbox backlogs: {await outbox_backlogs(system)}") from None


async def dead_letters(bootstrap: str, sites: set[str]) -> list[str]:
    """Records of these sites in any `*.dlq` topic, with their reason."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    found = []
    try:
        cluster = await consumer._client.fetch_all_metadata()
        topics = [t for t in cluster.topics() if t.endswith(".dlq")]
        partitions = [TopicPartition(t, p) for t in topics for p in cluster.partitions_for_topic(t) or ()]
        if not partitions:
            return []
        consumer.assign(partitions)  # the consumer's client keeps metadata only of topics it was given
        ends = await consumer.end_offsets(partitions)
        partitions = [tp for tp in partitions if ends[tp] > 0]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        remaining = set(partitions)
        deadline = time.monotonic() + 60
        while remaining:
            assert time.monotonic() < deadline, f"could not read the dead-letter topics to their end: {remaining}"
            batches = await consumer.getmany(timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
                    site = headers.get("ce_siteid") or (record.key or b"").decode(errors="replace")
                    if site in sites:
                        found.append(f"{tp.topic}: {headers.get('ce_type')} {headers.get('dlq_reason')}")
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return found

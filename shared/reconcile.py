"""Which outbox rows are already on their topics: read back from each partition's tail by CloudEvent id.

A relay that dies after Kafka took a batch and before it marked the rows sent would send them again once restarted:
consumers dedupe, but any other subscriber (the OEM, a BI tool) saw them twice. Only the batch in flight can be in
that state, so reading back as many records as it holds from the end of each partition finds them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

CE_ID = "ce_id"


async def already_on_topic(
    bootstrap: str, rows: Iterable[dict[str, Any]], *, timeout_seconds: float = 30.0
) -> set[str]:
    """The event ids of these unsent rows found in the last records of their topics' partitions."""
    rows = list(rows)
    wanted = {row["event_id"] for row in rows}
    if not wanted:
        return set()
    topics = sorted({row["topic"] for row in rows})
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        request_timeout_ms=int(timeout_seconds * 1000),
    )
    await asyncio.wait_for(reader.start(), timeout_seconds)
    try:
        return await asyncio.wait_for(_read_tails(reader, topics, depth=len(rows)), timeout_seconds) & wanted
    finally:
        await reader.stop()


async def _read_tails(reader: AIOKafkaConsumer, topics: list[str], depth: int) -> set[str]:
    cluster = await reader._client.fetch_all_metadata()  # noqa: SLF001 - the public API learns partitions lazily
    partitions = [
        TopicPartition(topic, p) for topic in topics for p in sorted(cluster.partitions_for_topic(topic) or ())
    ]
    if not partitions:
        return set()
    ends = await reader.end_offsets(partitions)
    starts = await reader.beginning_offsets(partitions)
    tails = {tp: max(starts[tp], ends[tp] - depth) for tp in partitions if ends[tp] > starts[tp]}
    if not tails:
        return set()
    reader.assign(list(tails))
    for tp, offset in tails.items():
        reader.seek(tp, offset)
    found: set[str] = set()
    pending = set(tails)
    while pending:
        batches = await reader.getmany(*pending, timeout_ms=500)
        for records in batches.values():
            found.update(_ids(record.headers for record in records))
        pending = {tp for tp in pending if await reader.position(tp) < ends[tp]}
    return found


def _ids(all_headers: Iterable[Any]) -> set[str]:
    return {value.decode() for headers in all_headers for key, value in headers if key == CE_ID and value}

"""Topic creation at start-up, so producers and consumers never race on auto-creation."""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger("pitwall.kafka")


async def ensure_topics(
    bootstrap: str, topics: list[str], partitions: int = 3, group: str | None = None, timeout: float = 30
) -> None:
    """Create the topics that do not exist yet; return once every partition has a leader (and `group` a coordinator)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
            except TopicAlreadyExistsError:
                pass
            log.info("created topics %s", missing)
        await _until_usable(admin, topics, group, time.monotonic() + timeout)
    finally:
        await admin.close()


async def _until_usable(admin: AIOKafkaAdminClient, topics: list[str], group: str | None, deadline: float) -> None:
    # A fresh topic has no leader for a moment and a fresh broker's group coordinator needs __consumer_offsets first:
    # a consumer started then logs ERRORs ("not found in cluster metadata", GroupCoordinatorNotAvailable) while it retries.
    waiting = "topics"
    while True:
        try:
            described = await admin.describe_topics(topics)
            if all(
                t["error_code"] == 0 and t["partitions"] and all(p["leader"] >= 0 for p in t["partitions"])
                for t in described
            ):
                waiting = "coordinator"
                if group is None or await admin.find_coordinator(group) >= 0:
                    return
        except KafkaError as exc:
            log.debug("kafka not usable yet: %s", exc)
        if time.monotonic() > deadline:
            raise TimeoutError(f"Kafka's {waiting} not ready for {group or 'the relay'}")
        await asyncio.sleep(0.1)

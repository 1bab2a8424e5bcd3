"""Re-drive dead-lettered events after a fix: `python -m shared.redrive --group <consumer group> [--topic T] [--dry-run]`.

A consumer puts what it cannot apply on `<group>.dlq`, with the reason and the topic, partition and offset it came from
in `dlq_*` headers (shared/consumer.py). Once the cause is fixed (a handler, a schema, a reference that was missing),
this command reads the dead-letter topic from where its last run for that group stopped and sends each record back to
the partition it came from: same key, value and headers, the `dlq_*` ones dropped. Then it commits its progress (consumer
group `<group>.dlq.redrive`), so the next run sends only what was dead-lettered since.

Safe to repeat: the consumer applies an event once by its id (a copy re-driven twice is a duplicate), and an event that
still fails goes back to the dead-letter topic with its new reason. With `--topic`, only the records that came from those
topics are sent; a partition's progress stops before the first record left behind, so a later run still sees it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord

from shared.consumer import dead_letter_topic
from shared.settings import ServiceSettings

log = logging.getLogger("pitwall.redrive")
DLQ_HEADER_PREFIX = "dlq_"


@dataclass
class Redrive:
    """What a run did with the dead letters it read."""

    redriven: int = 0
    left: int = 0  # not from the topics asked for
    unknown: int = 0  # without the topic it came from: nowhere to send it
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "would re-drive" if self.dry_run else "re-drove"
        return f"{verb} {self.redriven} dead-lettered events, left {self.left}, without an origin {self.unknown}"


def _headers(record: ConsumerRecord) -> dict[str, str]:
    return {key: value.decode(errors="replace") for key, value in record.headers or ()}


def origin(record: ConsumerRecord) -> tuple[str, int | None] | None:
    """The topic (and partition) a dead letter came from, or None."""
    headers = _headers(record)
    topic = headers.get("dlq_topic")
    if not topic:
        return None
    partition = headers.get("dlq_partition", "")
    return topic, int(partition) if partition.isdigit() else None


def describe(record: ConsumerRecord) -> str:
    """One line about a dead letter: where it is, which event, where it came from, why."""
    h = _headers(record)
    return (
        f"{record.topic}[{record.partition}]@{record.offset} {h.get('ce_id', '?')} {h.get('ce_type', '?')} "
        f"from {h.get('dlq_topic', '?')}[{h.get('dlq_partition', '?')}]@{h.get('dlq_offset', '?')}: {h.get('dlq_reason', '?')}"
    )


async def redrive(
    bootstrap: str,
    group: str,
    *,
    topics: set[str] | None = None,
    dry_run: bool = False,
    report: Callable[[str], None] = print,
) -> Redrive:
    """Send the group's dead letters since the last run back to where they came from; commit the progress."""
    dlq = dead_letter_topic(group)
    done = Redrive(dry_run=dry_run)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=f"{dlq}.redrive", enable_auto_commit=False)
    await reader.start()
    producer: AIOKafkaProducer | None = None
    try:
        partitions = [TopicPartition(dlq, p) for p in await _partitions(bootstrap, dlq)]
        if not partitions:
            return done
        reader.assign(partitions)
        ends = await reader.end_offsets(partitions)
        beginnings = await reader.beginning_offsets(partitions)
        for tp in partitions:
            committed = await reader.committed(tp)
            reader.seek(tp, beginnings[tp] if committed is None else max(committed, beginnings[tp]))
        if not dry_run:
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
            await producer.start()
        held: set[TopicPartition] = set()  # partitions whose progress stopped before a record left behind
        remaining = set(partitions)
        while remaining:
            remaining = {tp for tp in remaining if await reader.position(tp) < ends[tp]}
            batches = await reader.getmany(*remaining, timeout_ms=1000, max_records=500) if remaining else {}
            for tp, records in batches.items():
                records = [record for record in records if record.offset < ends[tp]]
                progress = await _send(producer, records, topics, held, tp, done, report)
                if producer is not None and progress is not None:
                    await reader.commit({tp: progress})
    finally:
        if producer is not None:
            await producer.stop()
        await reader.stop()
    return done


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    """The partitions of a topic (none if it does not exist: nothing was ever dead-lettered)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for p in described["partitions"]) if described["error_code"] == 0 else []


async def _send(
    producer: AIOKafkaProducer | None,
    records: list[ConsumerRecord],
    topics: set[str] | None,
    held: set[TopicPartition],
    tp: TopicPartition,
    done: Redrive,
    report: Callable[[str], None],
) -> int | None:
    """Send a batch of one DLQ partition back (None producer: only report); the offset its progress may reach."""
    progress, sent = None, []
    for record in records:
        came_from = origin(record)
        if came_from is None:
            done.unknown += 1
            report(f"no origin, skipped: {describe(record)}")
        elif topics is not None and came_from[0] not in topics:
            done.left += 1
            held.add(tp)
            continue
        else:
            done.redriven += 1
            report(f"{'would re-drive' if producer is None else 're-drive'}: {describe(record)}")
            if producer is not None:
                headers = [(k, v) for k, v in record.headers or () if not k.startswith(DLQ_HEADER_PREFIX)]
                sent.append(
                    await producer.send(
                        came_from[0], record.value, key=record.key, headers=headers, partition=came_from[1]
                    )
                )
        if tp not in held:
            progress = record.offset + 1
    await asyncio.gather(*sent)  # acknowledged before the progress passes them
    return progress


def main() -> None:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m shared.redrive", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--group", required=True, help="the consumer group whose <group>.dlq to re-drive (e.g. pitwall-kpi)"
    )
    parser.add_argument(
        "--topic",
        action="append",
        default=None,
        help="only the records dead-lettered from this topic (repeatable); the others stay for a later run",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be re-driven; send and commit nothing")
    parser.add_argument("--bootstrap", default=None, help="Kafka bootstrap servers (default: PITWALL_KAFKA_BOOTSTRAP)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    bootstrap = args.bootstrap or ServiceSettings().kafka_bootstrap
    topics = set(args.topic) if args.topic else None
    print(asyncio.run(redrive(bootstrap, args.group, topics=topics, dry_run=args.dry_run)))


if __name__ == "__main__":
    main()

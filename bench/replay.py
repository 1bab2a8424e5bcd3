"""Benchmarks 1 and 4: the KPI service replaying a realistic event log, against a bare consumer of the same topics.

`python -m bench.replay [--events 200000] [--sites 100] [--db sqlite|postgres] [--json PATH] [--smoke]`

The log (the simulator's event mix, bench.workload) is published to the reception, workshop and parts topics of a
broker of its own. A bare aiokafka consumer reads and discards it (before and after the service, to see the noise);
the KPI service (`python -m services.kpi`, its own process and database) replays it from offset 0, and the clock
stops when the partition offsets it stores with its projection reach the end of every partition. Its resident memory
is read once the replay is over (benchmark 4).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.common import DEFAULT_KAFKA_PORT, ROOT, DbScalar, Process, Report, clean_env, database, own_broker, work_dir
from bench.workload import as_cloud_event, event_log, last_days, site_ids
from shared.contracts import parts, reception, workshop
from shared.kafka_admin import ensure_topics

TOPICS = [reception.TOPIC, workshop.TOPIC, parts.TOPIC]
GROUP = "bench-kpi"
EVENTS_PER_SITE_DAY = 550  # what bench.workload gives on average with 20 ROs a day


@dataclass
class Options:
    """Sizes of one run."""

    events: int = 200_000
    sites: int = 100
    db: str = "sqlite"
    seed: int = 7
    timeout: float = 3600.0
    profile: Path | None = None
    service_root: Path = ROOT  # the checkout whose kpi service replays (another one: a before/after comparison)


async def publish_log(bootstrap: str, options: Options) -> dict[str, Any]:
    """Publish `events` events of `sites` sites' days (the last days before today) as the relays would; returns counts."""
    await ensure_topics(bootstrap, TOPICS)
    days = last_days(max(1, math.ceil(options.events / (options.sites * EVENTS_PER_SITE_DAY))), datetime.now(UTC).date())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, acks=1)
    await producer.start()
    sent, size, by_type = 0, 0, {}
    began = time.monotonic()
    try:
        for batch in event_log(site_ids(options.sites, "bench"), days, seed=options.seed):
            futures = []
            for event in batch[: options.events - sent]:
                cloud_event = as_cloud_event(event)
                value = cloud_event.value()
                size += len(value)
                futures.append(await producer.send(event.topic, value, key=cloud_event.key(), headers=cloud_event.to_headers()))
                by_type[event.type] = by_type.get(event.type, 0) + 1
            sent += len(futures)
            await asyncio.gather(*futures)
            if sent >= options.events:
                break
    finally:
        await producer.stop()
    return {"events": sent, "days": len(days), "mean_value_bytes": round(size / max(sent, 1)),
            "publish_seconds": round(time.monotonic() - began, 1), "by_type": dict(sorted(by_type.items()))}


async def end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    """The end offset of every partition of the topics."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(t, p) for t in TOPICS for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not partitions:
            cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001 - the public call caches stale metadata
            partitions = [TopicPartition(t, p) for t in TOPICS for p in sorted(cluster.partitions_for_topic(t) or ())]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def bare_read(bootstrap: str, ends: dict[TopicPartition, int]) -> dict[str, float]:
    """Read every record of the topics and discard it; events/s from the first record to the last."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        remaining = {tp for tp, end in ends.items() if end > 0}
        count, first, last = 0, 0.0, 0.0
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=500)
            for tp, records in batches.items():
                if records:
                    first = first or time.monotonic()
                    count += len(records)
                    if records[-1].offset + 1 >= ends[tp]:
                        remaining.discard(tp)
            last = time.monotonic()
    finally:
        await consumer.stop()
    return {"events": count, "seconds": round(last - first, 3), "events_per_second": round(count / max(last - first, 1e-9), 1)}


def consumer_counts(metrics_text: str) -> dict[str, float]:
    """pitwall_consumer_events_total by outcome, summed over topics."""
    counts: dict[str, float] = {}
    for line in metrics_text.splitlines():
        if line.startswith("pitwall_consumer_events_total{"):
            labels, value = line.rsplit(" ", 1)
            outcome = labels.split('outcome="', 1)[1].split('"', 1)[0]
            counts[outcome] = counts.get(outcome, 0.0) + float(value)
    return counts


async def kpi_replay(bootstrap: str, url: str, total: int, work: Path, timeout: float, profile: Path | None = None,
                     root: Path = ROOT) -> dict[str, Any]:
    """Start the KPI service on an empty database, time its replay to the end of the topics, read its memory.

    With `profile`, the service runs under pyinstrument (its main thread) and the profile is written there as text.
    """
    env = clean_env(PITWALL_KAFKA_BOOTSTRAP=bootstrap, PITWALL_KPI_DATABASE_URL=url, PITWALL_KPI_CONSUMER_GROUP=GROUP,
                    PITWALL_DATA_DIR=str(work / "data"), PITWALL_LOG_LEVEL="WARNING")
    kpi = Process.service("kpi", env, work / "logs", profile, root)
    offsets = DbScalar(url, "SELECT COALESCE(SUM(next_offset), 0) FROM consumer_offset WHERE consumer = $1", GROUP)
    kpi.start()
    try:
        await kpi.ready()
        deadline = time.monotonic() + timeout
        first_at, first_count, first_cpu, done = 0.0, 0, 0.0, 0
        while done < total:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the KPI service replayed {done} of {total} events in {timeout:.0f}s:\n{kpi.tail()}")
            if kpi.process is None or kpi.process.poll() is not None:
                raise RuntimeError(f"the KPI service died during the replay:\n{kpi.tail()}")
            await asyncio.sleep(0.1)
            done = await offsets.value()
            if done and not first_at:
                first_at, first_count, first_cpu = time.monotonic(), done, kpi.cpu_seconds()
        seconds = time.monotonic() - first_at
        cpu = kpi.cpu_seconds() - first_cpu
        rss_at_end = kpi.rss_bytes()
        await asyncio.sleep(3)  # the metrics loop recomputes what the last batches touched
        async with httpx.AsyncClient(base_url=kpi.url, timeout=30) as client:
            counts = consumer_counts((await client.get("/metrics")).text)
        measured = max(total - first_count, 1)
        return {"events": total, "timed_events": measured, "seconds": round(seconds, 3),
                "events_per_second": round(measured / max(seconds, 1e-9), 1),
                "cpu_seconds": round(cpu, 2), "cpu_ms_per_event": round(1000 * cpu / measured, 3), "outcomes": counts,
                "rss_mb_at_end": round(rss_at_end / 2**20, 1), "rss_mb_after_settle": round(kpi.rss_bytes() / 2**20, 1),
                "rss_mb_by_process": [round(b / 2**20, 1) for b in kpi.rss_by_process()],
                "peak_rss_mb": round(kpi.peak_rss_bytes() / 2**20, 1)}
    finally:
        await offsets.close()
        kpi.stop()


async def run(options: Options, bootstrap: str, work: Path) -> Report:
    """Publish the log, time the bare consumer and the KPI replay; returns the report (not yet printed)."""
    report = Report("kpi replay (benchmarks 1 and 4)", {**options.__dict__})
    log = await publish_log(bootstrap, options)
    ends = await end_offsets(bootstrap)
    total = sum(ends.values())
    assert total == log["events"], (total, log["events"])
    bare_before = await bare_read(bootstrap, ends)
    async with database(options.db, work, "kpi") as url:
        replay = await kpi_replay(bootstrap, url, total, work, options.timeout, options.profile, options.service_root)
    bare_after = await bare_read(bootstrap, ends)
    bare_rate = (bare_before["events_per_second"] + bare_after["events_per_second"]) / 2
    ratio = replay["events_per_second"] / bare_rate
    report.figures = {"log": log, "bare_before": bare_before, "bare_after": bare_after, "bare_events_per_second": bare_rate,
                      "replay": replay, "ratio": round(ratio, 4)}
    report.row("events in the log", total, f"{options.sites} sites × {log['days']} days, {log['mean_value_bytes']} B/event")
    report.row("bare consumer events/s", bare_rate, f"before {bare_before['events_per_second']:,.0f}, after {bare_after['events_per_second']:,.0f}")
    report.row(f"kpi replay events/s ({options.db})", replay["events_per_second"], f"{replay['seconds']:.1f}s")
    report.row("kpi CPU per event", f"{replay['cpu_ms_per_event']:.3f} ms")
    report.row("kpi resident memory", f"{replay['rss_mb_after_settle']:.0f} MB",
               f"the service's processes: {' + '.join(f'{mb:.0f}' for mb in replay['rss_mb_by_process'])} MB; peak {replay['peak_rss_mb']:.0f} MB")
    report.target("replay ÷ bare", ratio, 0.2, at_least=True)  # issue 16
    report.target("memory MB", replay["rss_mb_after_settle"], 400, at_least=False)
    return report


def main(argv: list[str] | None = None) -> int:
    """The command."""
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kafka-port", type=int, default=DEFAULT_KAFKA_PORT)
    parser.add_argument("--keep", action="store_true", help="keep the databases and service logs of the run")
    parser.add_argument("--json", type=Path, default=Path("bench/results/replay.json"))
    parser.add_argument("--profile", type=Path, default=None, help="run the service under pyinstrument; its profile goes here")
    parser.add_argument("--service-root", type=Path, default=ROOT,
                        help="replay with the kpi service of another checkout (e.g. `git archive REV | tar -x -C DIR`)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: 2,000 events over 4 sites")
    args = parser.parse_args(argv)
    options = Options(events=2000 if args.smoke else args.events, sites=4 if args.smoke else args.sites, db=args.db, seed=args.seed,
                      profile=args.profile, service_root=args.service_root.resolve())
    with own_broker(args.kafka_port) as bootstrap, work_dir("replay", args.keep) as work:
        report = asyncio.run(run(options, bootstrap, work))
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

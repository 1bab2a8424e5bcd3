"""How close the replay's event log (bench.workload) is to a day the simulator plays through the real services.

`python -m bench.calibrate [--sites 2] [--ros 20] [--json PATH] [--smoke]`

Reception, workshop, parts (and the car maker's simulator) run on a broker of their own; the simulator plays `sites`
sites' day as fast as it can; the events they published are counted by type and set against bench.workload's events
for as many site-days. Prints both shares per type.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from bench.common import DEFAULT_KAFKA_PORT, Report, own_broker, work_dir
from bench.freshness import TOPICS, system
from bench.workload import event_log, site_ids
from shared.settings import DEV_JWT_SECRET
from tools.simulator.api import ActionLog
from tools.simulator.day import Options as SimOptions
from tools.simulator.day import play

PREFIX = "calib"


async def simulated(bootstrap: str, work: Path, sites: int, ros: int) -> Counter[str]:
    """The events the services published for a simulated day, by type."""
    async with contextlib.AsyncExitStack() as stack:
        services = await system("sqlite", bootstrap, work, stack, ("reception", "workshop", "parts"))
        options = SimOptions(urls={n: services[n].url for n in ("reception", "workshop", "parts")}, sites=sites, seed=7, speed=0,
                             ros=ros, site_prefix=PREFIX, secret=DEV_JWT_SECRET, progress=False)
        await play(options, ActionLog(None))
        await asyncio.sleep(3)  # the relays send what the last actions committed
    counts: Counter[str] = Counter()
    consumer = AIOKafkaConsumer(*TOPICS, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        while batches := await consumer.getmany(timeout_ms=2000):
            for records in batches.values():
                for record in records:
                    headers = dict(record.headers or ())
                    if headers.get("ce_siteid", b"").startswith(PREFIX.encode()):
                        counts[headers["ce_type"].decode()] += 1
    finally:
        await consumer.stop()
    return counts


async def run(sites: int, ros: int, bootstrap: str, work: Path) -> Report:
    """Both counts, side by side; returns the report (not yet printed)."""
    report = Report("workload calibration", {"sites": sites, "ros": ros})
    real = await simulated(bootstrap, work, sites, ros)
    ours: Counter[str] = Counter()
    for batch in event_log(site_ids(sites, "calib"), [datetime.now(UTC).date()], ros=ros):
        ours.update(event.type for event in batch)
    total_real, total_ours = sum(real.values()), sum(ours.values())
    shares = {kind: {"simulated": real[kind], "workload": ours[kind]} for kind in sorted(set(real) | set(ours))}
    report.figures = {"simulated_events": total_real, "workload_events": total_ours, "by_type": shares}
    report.row("events of the simulated day", total_real, f"{sites} sites, {ros} ROs each")
    report.row("events of bench.workload", total_ours)
    for kind, pair in shares.items():
        report.row(f"  {kind.split('.', 2)[2]}", f"{100 * pair['simulated'] / max(total_real, 1):.1f}% / "
                   f"{100 * pair['workload'] / max(total_ours, 1):.1f}%")
    return report


def main(argv: list[str] | None = None) -> int:
    """The command."""
    parser = argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=2)
    parser.add_argument("--ros", type=int, default=20)
    parser.add_argument("--kafka-port", type=int, default=DEFAULT_KAFKA_PORT)
    parser.add_argument("--keep", action="store_true", help="keep the databases and service logs of the run")
    parser.add_argument("--json", type=Path, default=Path("bench/results/calibration.json"))
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: one site, three ROs")
    args = parser.parse_args(argv)
    sites, ros = (1, 3) if args.smoke else (args.sites, args.ros)
    with own_broker(args.kafka_port) as bootstrap, work_dir("calibrate", args.keep) as work:
        report = asyncio.run(run(sites, ros, bootstrap, work))
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

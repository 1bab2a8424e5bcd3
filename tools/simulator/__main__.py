"""`python -m tools.simulator --sites 2 --seed 7 --speed 600 --reception URL --workshop URL --parts URL [--kpi URL] --log FILE`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import date
from pathlib import Path

from tqdm import tqdm

from shared.settings import DEV_JWT_SECRET
from tools.simulator.api import ActionLog, SimulationError
from tools.simulator.day import Options, play
from tools.simulator.summary import summary


def parse(argv: list[str] | None = None) -> tuple[Options, Path]:
    """Options from the command line."""
    parser = argparse.ArgumentParser(prog="python -m tools.simulator", description="Play sites' working day through the public APIs.")
    parser.add_argument("--sites", type=int, default=1, help="how many sites (each its own day, played side by side)")
    parser.add_argument("--seed", type=int, default=7, help="the same seed plays the same day")
    parser.add_argument("--speed", type=float, default=600.0, help="simulated seconds per real second; 0: as fast as possible")
    parser.add_argument("--ros", type=int, default=20, help="arrivals (repair orders) per site, besides a comeback")
    parser.add_argument("--reception", default="http://127.0.0.1:8001")
    parser.add_argument("--workshop", default="http://127.0.0.1:8002")
    parser.add_argument("--parts", default="http://127.0.0.1:8003")
    parser.add_argument("--kpi", default=None, help="if given, the summary shows the KPI service's figures of the day")
    parser.add_argument("--log", default=".data/simulator-log.jsonl", help="JSON lines: every action, what was sent and answered")
    parser.add_argument("--time-zone", default="auto",
                        help="the sites' IANA zone; auto: a fixed-offset zone where it is now 21:xx, so the whole day is today")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="the simulated day (default: the latest one that is over)")
    parser.add_argument("--site-prefix", default="", help="site ids are PREFIX-1, PREFIX-2, ... (default: from seed and time)")
    parser.add_argument("--wait-seconds", type=float, default=120.0, help="longest wait for an asynchronous effect")
    parser.add_argument("--retry-seconds", type=float, default=120.0, help="longest retrying of a service that does not answer")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.sites < 1 or args.ros < 1:
        parser.error("--sites and --ros must be at least 1")
    options = Options(
        urls={"reception": args.reception, "workshop": args.workshop, "parts": args.parts}, sites=args.sites, seed=args.seed,
        speed=args.speed, ros=args.ros, time_zone=args.time_zone, day=args.date, site_prefix=args.site_prefix,
        secret=os.environ.get("PITWALL_JWT_SECRET", DEV_JWT_SECRET), kpi=args.kpi, retry_seconds=args.retry_seconds,
        wait_seconds=args.wait_seconds, progress=not args.no_progress,
    )
    return options, Path(args.log)


def _announcement(sites: list[str]) -> str:
    return (f"simulator: playing the day of site {', '.join(sites)}; a token to watch them: .venv/bin/python -m shared.auth mint "
            f"--sub me --roles manager --sites {','.join(sites)}; the sites a token sees: GET /kpi/sites")


def main(argv: list[str] | None = None) -> int:
    """Play the day, print the summary; exit 1 if a service made the day impossible."""
    options, log_path = parse(argv)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    day_minutes = 13 * 60  # 07:00 to 20:00
    with log_path.open("w", encoding="utf-8") as stream, tqdm(
        total=day_minutes * options.sites, unit="sim-min", disable=not options.progress, desc="simulated day", file=sys.stderr,
    ) as bar:
        errors: list[BaseException] = []
        try:
            announce = lambda sites: bar.write(_announcement(sites), file=sys.stderr)  # noqa: E731 - above the progress bar
            outcome = asyncio.run(play(options, ActionLog(stream), bar.update, announce))
        except* SimulationError as group:
            errors += group.exceptions
    if errors:
        for error in errors:
            print(f"simulator: {error}", file=sys.stderr)
        print(f"simulator: the actions so far are in {log_path}", file=sys.stderr)
        return 1
    print(summary(outcome, log_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())

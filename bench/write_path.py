"""Benchmark 3: the reception write path (open an RO) against a bare FastAPI endpoint inserting one row, same database.

`python -m bench.write_path [--requests 2000] [--concurrency 16] [--rate 100] [--seconds 10] [--db sqlite --db postgres]
[--json PATH] [--smoke]`

Both are separate uvicorn processes on one database (a SQLite file, or a fresh PostgreSQL database); reception runs as in
production (its outbox relay sends to a broker of the benchmark's own). Arrivals waiting for an RO are made first through
the reception API, spread over ten sites. Then, alternating bare and reception in rounds: a closed loop (`concurrency`
clients, each sending its next request when the last is answered: requests/s and latency), and an open loop at `rate`
requests/s for `seconds` (latency from each request's scheduled time, so a late client counts).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import DEFAULT_KAFKA_PORT, Process, Report, clean_env, database, free_port, latency_summary, own_broker, work_dir
from shared.auth import mint_token
from shared.settings import DEV_JWT_SECRET
from tools.simulator import catalog

Send = Callable[[httpx.AsyncClient, int], Awaitable[int]]


@dataclass
class Options:
    """Sizes of one run."""

    requests: int = 2000  # closed loop, per kind, over all rounds
    concurrency: int = 16
    rate: float = 100.0
    seconds: float = 10.0
    rounds: int = 2
    sites: int = 10
    dbs: list[str] = field(default_factory=lambda: ["sqlite", "postgres"])
    profile: Path | None = None  # reception under pyinstrument, its profile written here (one per database: <kind>.txt)


def _headers(sites: list[str], role: str = "advisor") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(DEV_JWT_SECRET, 'bench-' + role, [role], sites, timedelta(hours=6))}"}


async def _checked(response: Awaitable[httpx.Response], what: str) -> dict[str, Any]:
    answer = await response
    if answer.status_code != 201:
        raise RuntimeError(f"{what}: {answer.status_code} {answer.text[:500]}")
    return dict(answer.json())


async def waiting_arrivals(client: httpx.AsyncClient, count: int, sites: int) -> list[tuple[str, str]]:
    """(site, visit id) of `count` vehicles waiting at reception, over `sites` sites (each a site, a customer, vehicles)."""
    site_ids = [f"bench-w-{n:02d}" for n in range(sites)]
    manager, advisor = _headers(site_ids, "manager"), _headers(site_ids)
    customers = {}
    for site in site_ids:
        await _checked(client.post("/sites", headers=manager, json={
            "site_id": site, "name": site, "time_zone": "Asia/Shanghai", "labour_rate": "380", "technician_cost_rate": "120",
            "tax_rate": "0.13", "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "18:00"} for d in range(7)]}), "site")
        customer = await _checked(client.post(f"/sites/{site}/customers", headers=advisor,
                                              json={"name": "Bench Fleet", "phone": "+86 13800000000"}), "customer")
        customers[site] = customer["id"]
    rng = random.Random(3)
    gate = asyncio.Semaphore(8)

    async def arrive(n: int) -> tuple[str, str]:
        site = site_ids[n % sites]
        async with gate:
            vehicle = await _checked(client.post(f"/sites/{site}/vehicles", headers=advisor, json={
                "vin": catalog.vin(rng), "plate": f"B{n:07d}", "make": "Toyota", "model": "Camry", "year": 2022,
                "customer_id": customers[site]}), "vehicle")
            visit = await _checked(client.post(f"/sites/{site}/arrivals", headers=advisor,
                                               json={"vehicle_id": vehicle["id"], "walk_in": True}), "arrival")  # at any hour
        return site, str(visit["id"])

    return list(await asyncio.gather(*(arrive(n) for n in range(count))))


def open_ro(visits: list[tuple[str, str]]) -> Send:
    """Open the RO of the next waiting arrival, as a tablet does (with an Idempotency-Key)."""
    advisor = _headers(sorted({site for site, _ in visits}))
    queue = iter(visits)

    async def send(client: httpx.AsyncClient, n: int) -> int:
        site, visit_id = next(queue)
        promised = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
        response = await client.post(f"/sites/{site}/repair-orders", headers={**advisor, "Idempotency-Key": f"bench-{visit_id}"}, json={
            "visit_id": visit_id, "mileage_in": 42000, "ro_type": "general_repair", "promised_at": promised, "job_lines": [
                {"op_code": "BRK01", "description": "replace front brake pads", "complaint": "squeal when braking",
                 "sold_hours": "1.2", "required_skill": "chassis"},
                {"op_code": "WPR01", "description": "replace wiper blades", "sold_hours": "0.2", "pay_type": "customer"}]})
        return response.status_code

    return send


async def insert_row(client: httpx.AsyncClient, n: int) -> int:
    """The bare endpoint's request."""
    response = await client.post("/rows", json={"site_id": f"bench-w-{n % 10:02d}", "note": f"row {n}"})
    return response.status_code


async def closed_loop(url: str, send: Send, requests: int, concurrency: int) -> dict[str, Any]:
    """`concurrency` clients sending back to back until `requests` are answered."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(requests))

    async def client_loop(client: httpx.AsyncClient) -> None:
        for n in counter:
            began = time.perf_counter()
            status = await send(client, n)
            latencies.append(time.perf_counter() - began)
            statuses[status] = statuses.get(status, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - began
    return {"requests_per_second": round(requests / seconds, 1), "seconds": round(seconds, 2), "statuses": statuses,
            **latency_summary(latencies)}


async def open_loop(url: str, send: Send, rate: float, seconds: float) -> dict[str, Any]:
    """Requests started at a steady `rate` whatever the answers; latency counted from each one's scheduled start."""
    count = max(1, int(rate * seconds))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        start = time.perf_counter() + 0.05

        async def one(n: int) -> None:
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            status = await send(client, n)
            latencies.append(time.perf_counter() - due)
            statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(one(n) for n in range(count)))
    return {"rate": rate, "statuses": statuses, **latency_summary(latencies)}


def _merge(runs: list[dict[str, Any]], requests: int) -> dict[str, Any]:
    seconds = sum(r["seconds"] for r in runs)
    statuses: dict[int, int] = {}
    for r in runs:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return {"requests_per_second": round(requests / seconds, 1), "rounds": runs, "statuses": statuses,
            "p50_ms": max(r["p50_ms"] for r in runs), "p99_ms": max(r["p99_ms"] for r in runs)}


async def one_database(kind: str, options: Options, bootstrap: str, work: Path) -> dict[str, Any]:
    """Both apps on one database: setup, then the rounds of closed loops and the open loops."""
    async with database(kind, work, f"write_{kind}") as url:
        env = clean_env(PITWALL_KAFKA_BOOTSTRAP=bootstrap, PITWALL_RECEPTION_DATABASE_URL=url, PITWALL_DATA_DIR=str(work / "data"),
                        PITWALL_RECEPTION_CONSUMER_GROUP=f"bench-reception-{kind}")
        profile = options.profile.with_name(f"{options.profile.stem}-{kind}{options.profile.suffix}") if options.profile else None
        reception = Process.service("reception", env, work / "logs" / kind, profile)
        bare_port = free_port()
        bare = Process("bare", [sys.executable, "-m", "bench.bare_app", "--database-url", url, "--port", str(bare_port)],
                       clean_env(), work / "logs" / kind, bare_port)
        reception.start()
        bare.start()
        try:
            await reception.ready()
            await bare.ready("/healthz")
            per_round = max(1, options.requests // options.rounds)
            opened = int(options.rate * options.seconds)
            async with httpx.AsyncClient(base_url=reception.url, timeout=60) as client:
                visits = await waiting_arrivals(client, per_round * options.rounds + opened, options.sites)
            send_ro = open_ro(visits)
            bare_runs, ro_runs = [], []
            for _ in range(options.rounds):
                bare_runs.append(await closed_loop(bare.url, insert_row, per_round, options.concurrency))
                ro_runs.append(await closed_loop(reception.url, send_ro, per_round, options.concurrency))
            bare_open = await open_loop(bare.url, insert_row, options.rate, options.seconds)
            ro_open = await open_loop(reception.url, send_ro, options.rate, options.seconds)
            total = per_round * options.rounds
            return {"bare": _merge(bare_runs, total), "open_ro": _merge(ro_runs, total), "bare_open_loop": bare_open,
                    "open_ro_open_loop": ro_open, "reception_rss_mb": round(reception.rss_bytes() / 2**20, 1)}
        finally:
            reception.stop()
            bare.stop()


async def run(options: Options, bootstrap: str, work: Path) -> Report:
    """Every database in turn; returns the report (not yet printed)."""
    report = Report("reception write path (benchmark 3)", {**options.__dict__})
    for kind in options.dbs:
        result = await one_database(kind, options, bootstrap, work)
        ratio = result["open_ro"]["requests_per_second"] / result["bare"]["requests_per_second"]
        result["ratio"] = round(ratio, 4)
        report.figures[kind] = result
        bare, ro, ro_open = result["bare"], result["open_ro"], result["open_ro_open_loop"]
        report.row(f"{kind}: bare insert req/s (c={options.concurrency})", bare["requests_per_second"],
                   f"p50 {bare['p50_ms']} ms, p99 {bare['p99_ms']} ms")
        report.row(f"{kind}: open RO req/s (c={options.concurrency})", ro["requests_per_second"],
                   f"p50 {ro['p50_ms']} ms, p99 {ro['p99_ms']} ms")
        report.row(f"{kind}: open RO at {options.rate:g}/s", f"p99 {ro_open['p99_ms']} ms",
                   f"p50 {ro_open['p50_ms']} ms (bare: p99 {result['bare_open_loop']['p99_ms']} ms)")
        report.target(f"{kind} open RO ÷ bare", ratio, 0.6, at_least=True)
        report.target(f"{kind} p99 ms at {options.rate:g}/s", ro_open["p99_ms"], 50, at_least=False)
    return report


def main(argv: list[str] | None = None) -> int:
    """The command."""
    parser = argparse.ArgumentParser(prog="python -m bench.write_path", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--db", action="append", choices=("sqlite", "postgres"), default=None)
    parser.add_argument("--kafka-port", type=int, default=DEFAULT_KAFKA_PORT)
    parser.add_argument("--keep", action="store_true", help="keep the databases and service logs of the run")
    parser.add_argument("--json", type=Path, default=Path("bench/results/write_path.json"))
    parser.add_argument("--profile", type=Path, default=None, help="run reception under pyinstrument (PATH-<db>.txt per database)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: 40 requests at concurrency 4, 2 s at 20/s")
    args = parser.parse_args(argv)
    options = Options(requests=args.requests, concurrency=args.concurrency, rate=args.rate, seconds=args.seconds, rounds=args.rounds,
                      dbs=args.db or ["sqlite", "postgres"], profile=args.profile)
    if args.smoke:
        options = Options(requests=40, concurrency=4, rate=20.0, seconds=2.0, rounds=2, sites=2, dbs=options.dbs)
    with own_broker(args.kafka_port) as bootstrap, work_dir("write", args.keep) as work:
        report = asyncio.run(run(options, bootstrap, work))
    report.finish(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

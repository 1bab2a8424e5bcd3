"""A whole workshop day through the four services as separate processes, on PostgreSQL and a real Kafka broker.

The services (and the OEM simulator, for recalls at check-in and warranty claims) run as `python -m ...` processes
on fresh databases whose consumers start at the topics' current ends (`System.start_from_now`). The simulator plays a
compressed day of two sites through the public APIs (seed 7). The KPI service's figures —
REST over the day, /metrics for "today", the monthly radar and MSI report — must equal the figures computed from
the simulator's own log (`expected.py`: domain.md's formulas, no KPI code), per site; no event of these sites may be
dead-lettered and every outbox must be empty. Then the same day again, on fresh databases and new sites, while the
KPI service and the workshop service are each stopped (SIGTERM) and started again in the middle: the final figures
must equal the clean day's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.day_log import Site, read_sites
from tests.e2e.expected import Expected, expected, ratio
from tests.e2e.kpi import Rest, close, metric_differences, parse_metrics, rest, rest_differences
from tests.e2e.plumbing import assert_outboxes_drained, dead_letters
from tests.e2e.system import ROOT, SERVICES, System
from tests.kit import auth, eventually
from tools import localpg
from tools.simulator.day import choose_day

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SEED, SITES, ROS = 7, 2, 8
REFERENCE = {"vehicles_in_operation": 400, "service_headcount": 12, "leavers": 1, "vehicles_due_free_inspection": 5,
             "vehicles_due_paid_maintenance": 20}
DISRUPTIONS = (("kpi", 11), ("workshop", 14))  # restart this service once the day reaches this hour
_clean: dict[str, Any] = {}


@dataclass
class Played:
    system: System
    sites: list[Site]
    restarts: list[str]


def the_day() -> tuple[str, date]:
    """One zone and date for both runs: a day that is today in the zone and already over."""
    if "day" not in _clean:
        _clean["day"] = choose_day("auto", None, datetime.now(UTC))
    return _clean["day"]  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def played_day(kafka: str, tmp: Path, disrupt: bool) -> AsyncIterator[Played]:
    """Fresh databases, the four services, and the simulator's day played against them (services still up inside)."""
    run = uuid.uuid4().hex[:8]
    names = {name: f"e2e_{run}_{name}" for name in SERVICES}
    databases = {name: await localpg.acreate_database(db) for name, db in names.items()}
    system = System(kafka, databases, tmp / "services")
    try:
        await system.start_from_now(kafka, databases)
        await system.start()
        log = tmp / "simulator-log.jsonl"
        restarts = await simulate(system, log, f"e2e{run}", disrupt)
        sites = list(read_sites([json.loads(line) for line in log.read_text().splitlines()]).values())
        yield Played(system, sites, restarts)
    finally:
        system.stop()
        for db in names.values():
            await localpg.adrop_database(db)


async def simulate(system: System, log: Path, prefix: str, disrupt: bool) -> list[str]:
    """Run `python -m tools.simulator` as a user would; restart services on the way when asked."""
    zone, day = the_day()
    urls = [f"--{name}={system[name].url}" for name in SERVICES]
    output = log.with_suffix(".out").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tools.simulator", "--sites", str(SITES), "--seed", str(SEED), "--speed", "0", "--ros", str(ROS),
        "--time-zone", zone, "--date", day.isoformat(), "--site-prefix", prefix, "--log", str(log), "--no-progress",
        "--wait-seconds", "90", "--retry-seconds", "90", *urls, cwd=ROOT, stdout=output, stderr=output)
    restarts = []
    try:
        for service, hour in DISRUPTIONS if disrupt else ():
            await eventually(lambda h=hour: process.returncode is not None or reached(log, zone, h), timeout=120)
            assert process.returncode is None, f"the day was over before the {service} restart"
            await system.restart(service)
            restarts.append(service)
        await asyncio.wait_for(process.wait(), timeout=240)
    finally:
        if process.returncode is None:
            process.kill()
        output.close()
    assert process.returncode == 0, log.with_suffix(".out").read_text()
    return restarts


def reached(log: Path, zone: str, hour: int) -> bool:
    """Whether some site's simulated day has reached this hour."""
    if not log.exists():
        return False
    for line in reversed(log.read_text().splitlines()[-50:]):
        record = json.loads(line)
        if record.get("kind") == "action":
            return datetime.fromisoformat(record["at"]).astimezone(ZoneInfo(zone)).hour >= hour
    return False


def local(site: Site, hours: int, day_offset: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(site.date) + timedelta(days=day_offset), time(hours), tzinfo=ZoneInfo(site.time_zone))


async def converged(client: httpx.AsyncClient, site: Site, want: Expected, params: dict[str, str]) -> Rest:
    """The KPI's figures once it has caught up with the day (bounded); they must equal the log's."""
    got: list[Rest] = []
    problems: list[str] = []

    async def same() -> bool:
        try:
            got[:] = [await rest(client, site.site_id, params)]
        except AssertionError as exc:  # the KPI has not seen the site yet
            problems[:] = [str(exc)]
            return False
        problems[:] = rest_differences(want, got[0])
        return not problems

    with contextlib.suppress(AssertionError):
        await eventually(same, timeout=60, interval=0.5)
    assert not problems, f"site {site.site_id}: the KPI's REST figures differ from the log's:\n" + "\n".join(problems)
    return got[0]


async def check_metrics(client: httpx.AsyncClient, site: Site) -> None:
    """/metrics for "today" (the simulated day is today in the site's zone) equals the log's figures."""
    problems: list[str] = []

    async def same() -> bool:
        now = datetime.now(UTC).timestamp()
        want = expected(site, local(site, 0).timestamp(), local(site, 0, 1).timestamp(), now, now)
        problems[:] = metric_differences(want, site.site_id, parse_metrics((await client.get("/metrics")).text), skip={"wip_oldest_age"})
        return not problems

    with contextlib.suppress(AssertionError):
        await eventually(same, timeout=30, interval=0.5)
    assert not problems, f"site {site.site_id}: /metrics differs from the log's figures:\n" + "\n".join(problems)


async def check_month_reports(client: httpx.AsyncClient, site: Site) -> None:
    """The radar and the MSI report of the month (this site's only day) from the same facts, with reference data."""
    headers = auth(["manager"], [site.site_id])
    month = site.date[:7]
    answer = await client.put(f"/kpi/sites/{site.site_id}/reference-data/{month}", json=REFERENCE, headers=headers)
    assert answer.status_code == 200, answer.text
    first = local(site, 0).replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    now = datetime.now(UTC).timestamp()
    m = expected(site, first.timestamp(), after.timestamp(), now, now)
    opened = [ro for ro in site.ros.values() if first.timestamp() <= ro.opened_at < after.timestamp()]
    want_radar = {
        "free_inspection_completion_rate": ratio(sum(ro.ro_type == "first_free_service" for ro in opened), REFERENCE["vehicles_due_free_inspection"]),
        "paid_maintenance_completion_rate": ratio(sum(ro.ro_type == "scheduled_maintenance" for ro in opened), REFERENCE["vehicles_due_paid_maintenance"]),
        "paid_service_ratio": ratio(m.get("customer_pay_entries") or 0, m.get("vehicle_entries") or 0),
        "vehicles_per_technician": m.get("vehicles_per_technician"), "bay_utilization": m.get("bay_utilization"),
        "customer_labour_revenue_share": m.get("customer_labour_revenue_share"),
        "revenue_per_service_employee": ratio(m.get("total_revenue") or 0, REFERENCE["service_headcount"]),
        "gross_margin": m.get("gross_margin"), "comeback_rate": m.get("comeback_rate"),
        "technician_productivity": m.get("technician_productivity"),
        "vehicle_retention_rate": ratio(len({v["vehicle_id"] for v in site.visits.values()}), REFERENCE["vehicles_in_operation"]),
        "staff_turnover_rate": ratio(REFERENCE["leavers"], REFERENCE["service_headcount"]),
    }
    want_msi = {
        "vehicle_entries": m.get("vehicle_entries"), "customer_pay_entries": m.get("customer_pay_entries"),
        "labour_revenue": m.get("labour_revenue"), "parts_revenue": m.get("parts_revenue"),
        "revenue_per_vehicle": m.get("revenue_per_repair_order"), "technician_productivity": m.get("technician_productivity"),
        "bay_utilization": m.get("bay_utilization"), "first_time_fix_rate": m.get("first_time_fix_rate"),
    }
    radar = (await client.get(f"/kpi/sites/{site.site_id}/radar", params={"month": month}, headers=headers)).json()
    msi = (await client.get(f"/kpi/sites/{site.site_id}/msi", params={"month": month}, headers=headers)).json()
    got_radar = {item["indicator"]: item["value"] for item in radar["items"]}
    got_msi = {item["indicator"]: item["actual"] for item in msi["items"]}
    problems = [f"radar {k}: KPI {got_radar.get(k)}, log {v}" for k, v in want_radar.items() if not close(got_radar.get(k), v)]
    problems += [f"MSI {k}: KPI {got_msi.get(k)}, log {v}" for k, v in want_msi.items() if not close(got_msi.get(k), v)]
    assert not problems, f"site {site.site_id}: the month's reports differ from the log's figures:\n" + "\n".join(problems)


def normalised(site: Site, got: Rest) -> dict[str, Any]:
    """A site's figures with its own ids replaced (technicians by number, bays by name), to compare two runs."""
    def label(key: str, value: str) -> str:
        if key == "technician":
            return value.removeprefix(site.site_id)
        return site.bays[value][0] if key == "bay" else value

    values = {(name, tuple((k, label(k, v)) for k, v in labels)): value for (name, labels), value in got.values.items()}
    waits = {kind: {k: w[k] for k in ("count", "sum", "p50", "p90", "max")} for kind, w in got.waits.items()}
    return {"values": values, "waits": waits}


def same_figures(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    keys = set(a["values"]) | set(b["values"])
    problems = [f"{k}: {a['values'].get(k)} then {b['values'].get(k)}" for k in sorted(keys, key=str)
                if not close(a["values"].get(k), b["values"].get(k))]
    problems += [f"{kind} wait: {w} then {b['waits'].get(kind)}" for kind, w in a["waits"].items()
                 if any(not close(v, b["waits"].get(kind, {}).get(stat)) for stat, v in w.items())]
    return problems


def the_day_was_full(sites: list[Site]) -> None:
    """The day exercised what the figures are about (else a comparison could pass on nothing)."""
    ros = [ro for s in sites for ro in s.ros.values()]
    lines = [line for s in sites for line in s.lines.values()]
    assert {ro.ro_type for ro in ros} >= {"scheduled_maintenance", "first_free_service", "warranty", "general_repair",
                                          "body_and_paint", "accident", "accessories"}
    assert {line.pay_type for line in lines if line.approved} == {"customer", "warranty", "internal", "insurance"}
    assert any(line.approved is False for line in lines), "no line was declined"
    assert any(not ok for ro in ros for _, ok in ro.qc), "no QC failed"
    assert any(ro.is_comeback for ro in ros), "no comeback"
    assert any(s.breaks for s in sites), "no technician took a break"
    assert any(len({i.tech for i in s.intervals if i.job == job}) > 1 for s in sites for job in s.completions), "no job was shared"
    assert any(held < quantity for s in sites for req in s.requests.values() for (_, quantity), held in zip(req.lines, req.reserved, strict=True)), \
        "no part was short"
    assert any(a["cancelled"] for s in sites for a in s.appointments.values()), "no appointment was cancelled"
    assert all(ro.delivered_at is not None for ro in ros), "a car was left at the dealer"
    assert any(status in ("accepted", "paid") for s in sites for status in s.claims_decided.values()), \
        "no warranty claim went to the OEM and came back accepted"
    assert any(ro.campaigns for ro in ros), "no recall campaign was found at check-in and repaired"


def the_services_answered_as_the_log_says(sites: list[Site]) -> None:
    """Reception's comeback flags and the parts counter's reservations are those the log's actions imply."""
    problems = [f"RO {ro.id}: reception says comeback {ro.answered_comeback}, the log {(ro.is_comeback, ro.comeback_of)}"
                for s in sites for ro in s.ros.values() if ro.answered_comeback != (ro.is_comeback, ro.comeback_of)]
    for s in sites:
        for request in s.requests.values():
            seen = [(line["part_number"], Decimal(str(line["reserved"]))) for line in request.first_seen or []]
            wanted = [(number, held) for (number, _), held in zip(request.lines, request.reserved, strict=True)]
            if request.first_seen is not None and seen != wanted:
                problems.append(f"parts request {request.id}: the counter reserved {seen}, the log's stock {wanted}")
    assert not problems, "\n".join(problems)


async def check_day(played: Played, kafka: str) -> list[dict[str, Any]]:
    """Every figure family the KPI serves against the log, per site; dead letters and outboxes; the figures to keep."""
    the_day_was_full(played.sites)
    the_services_answered_as_the_log_says(played.sites)
    figures = []
    async with httpx.AsyncClient(base_url=played.system["kpi"].url, timeout=30) as client:
        for site in played.sites:
            start, end = local(site, 0), local(site, 20)
            want = expected(site, start.timestamp(), end.timestamp(), end.timestamp(), end.timestamp())
            got = await converged(client, site, want, {"from": start.isoformat(), "to": end.isoformat()})
            await check_metrics(client, site)
            await check_month_reports(client, site)
            figures.append(normalised(site, got))
    await assert_outboxes_drained(played.system)
    assert await dead_letters(kafka, {s.site_id for s in played.sites}) == []
    return figures


@pytest.mark.timeout(300)
async def test_the_kpi_figures_of_a_simulated_day_are_those_of_its_log(kafka: str, pg_url: str, tmp_path: Path) -> None:
    # pg_url: PostgreSQL must be there (the services get databases of their own)
    async with played_day(kafka, tmp_path, disrupt=False) as played:
        _clean["figures"] = await check_day(played, kafka)


@pytest.mark.timeout(420)
async def test_restarting_services_mid_day_changes_no_figure(kafka: str, pg_url: str, tmp_path: Path) -> None:
    if "figures" not in _clean:  # run on its own: play the clean day first
        async with played_day(kafka, tmp_path / "clean", disrupt=False) as played:
            _clean["figures"] = await check_day(played, kafka)
    async with played_day(kafka, tmp_path / "restarts", disrupt=True) as played:
        assert played.restarts == ["kpi", "workshop"]
        figures = await check_day(played, kafka)
    for index, (clean, disrupted) in enumerate(zip(_clean["figures"], figures, strict=True)):
        labels = {k for _, key in clean["values"] for k, _ in key}
        assert {"technician", "bay", "ro_type", "pay_type", "state"} <= labels and len(clean["values"]) > 100
        problems = same_figures(clean, disrupted)
        assert not problems, f"site {index + 1}: figures after the restarts differ from the clean day's:\n" + "\n".join(problems)

"""One site's day: set the site up, then play its agenda; and the day of several sites side by side."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tools.simulator.api import ActionLog, Api, SimulationError, Stats, Tokens, Who
from tools.simulator.clock import Agenda, Pace
from tools.simulator.counter import Counter
from tools.simulator.desk import Desk
from tools.simulator.floor import Floor
from tools.simulator.plan import SitePlan, draw_site
from tools.simulator.warranty import WarrantyClerk

SERVICES = ("reception", "workshop", "parts")
DAY_OVER_LOCAL_HOUR = 20  # the simulated day (pickups included) is over by 20:00 site time
AUTO_LOCAL_HOUR = 21  # "auto" picks the zone where it is now 21:xx: the whole day is today, and over


class SiteDay:
    """The simulator's people at one site, sharing one agenda."""

    def __init__(self, plan: SitePlan, api: Api, pace: Pace, seed: int, index: int,
                 on_advance: Callable[[datetime], None] | None = None) -> None:
        self.plan = plan
        self.api = api
        self.rng = random.Random(f"{seed}:{index}:floor")
        self.agenda = Agenda(pace, plan.start, on_advance)
        self.desk = Desk(self)
        self.floor = Floor(self)
        self.counter = Counter(self)
        self.warranty = WarrantyClerk(self)
        self.delivered = 0
        self.invoices: list[dict[str, Any]] = []
        self.notes: list[str] = []  # what did not go as planned, for the summary

    async def play(self, log: ActionLog) -> None:
        """Set up, then play everything on the agenda."""
        plan = self.plan
        log.write({"kind": "site", "site": plan.site_id, "time_zone": plan.time_zone, "date": plan.day.isoformat(),
                   "opens": "08:00", "closes": "18:00", "start": plan.start.isoformat(), "end": plan.end.isoformat(),
                   "labour_rate": str(plan.labour_rate), "technician_cost_rate": str(plan.technician_cost_rate),
                   "technicians": [t.id for t in plan.technicians], "bays": [b.name for b in plan.bays]})
        await self.desk.create_site(plan.start)
        await self.floor.setup(plan.at(7, 5))
        await self.counter.setup(plan.at(7, 10))
        await self.desk.setup(plan.at(7, 20))
        self.agenda.at(plan.at(19, 55), "warranty answers", self.warranty.end_of_day)
        await self.agenda.run()
        log.write({"kind": "end", "site": plan.site_id, "at": self.agenda.now.isoformat()})


def auto_zone(now: datetime) -> str:
    """A fixed-offset zone where it is now 21:xx, so the simulated day is today and already over."""
    offset = (AUTO_LOCAL_HOUR - now.astimezone(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def choose_day(time_zone: str, day: date | None, now: datetime) -> tuple[str, date]:
    """The site zone and the simulated date: the latest day whose working day is over (never in the future)."""
    zone = auto_zone(now) if time_zone == "auto" else time_zone
    local = now.astimezone(ZoneInfo(zone))
    latest = local.date() if local.hour >= DAY_OVER_LOCAL_HOUR else local.date() - timedelta(days=1)
    if day is not None and day > latest:
        raise SimulationError(f"{day} is not over yet in {zone} (the services refuse times in the future); latest: {latest}")
    return zone, day or latest


@dataclass
class Options:
    """How to play: `speed` simulated seconds per real second (0: as fast as possible)."""

    urls: dict[str, str]
    sites: int = 1
    seed: int = 7
    speed: float = 600.0
    ros: int = 20
    time_zone: str = "auto"
    day: date | None = None
    site_prefix: str = ""
    secret: str = ""
    kpi: str | None = None
    retry_seconds: float = 120.0
    wait_seconds: float = 120.0
    progress: bool = True


@dataclass
class Outcome:
    """What was played, for the summary."""

    days: list[SiteDay] = field(default_factory=list)
    stats: dict[str, Stats] = field(default_factory=dict)
    seconds: float = 0.0
    kpi: dict[str, dict[str, float | None]] = field(default_factory=dict)


async def wait_ready(clients: dict[str, httpx.AsyncClient], seconds: float) -> None:
    """Every service answers /readyz."""
    deadline = time.monotonic() + seconds
    for name, client in clients.items():
        while True:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    break
                reason = "not ready"
            except httpx.TransportError as exc:
                reason = str(exc) or type(exc).__name__
            if time.monotonic() > deadline:
                raise SimulationError(f"the {name} service at {client.base_url} is not ready ({reason})")
            await asyncio.sleep(0.2)


async def play(options: Options, log: ActionLog, progress: Callable[[int], None] | None = None,
               announce: Callable[[list[str]], None] | None = None) -> Outcome:
    """Play the day of every site at once against the running services (`announce` hears the site ids first)."""
    started = time.monotonic()
    zone, day = choose_day(options.time_zone, options.day, datetime.now(UTC))
    prefix = options.site_prefix or f"sim{options.seed}-{datetime.now(UTC):%H%M%S}"
    plans = [draw_site(options.seed, i, f"{prefix}-{i + 1}", zone, day, options.ros) for i in range(options.sites)]
    log.write({"kind": "run", "seed": options.seed, "speed": options.speed, "time_zone": zone, "date": day.isoformat(),
               "ros": options.ros, "sites": [p.site_id for p in plans]})
    if announce is not None:
        announce([p.site_id for p in plans])
    urls = {name: options.urls[name] for name in SERVICES} | ({"kpi": options.kpi} if options.kpi else {})
    clients = {name: httpx.AsyncClient(base_url=url, timeout=30.0) for name, url in urls.items()}
    outcome = Outcome()
    try:
        await wait_ready(clients, options.retry_seconds)
        tokens = Tokens(options.secret)
        pace = Pace(plans[0].start, options.speed)
        for i, plan in enumerate(plans):
            stats = outcome.stats[plan.site_id] = Stats()
            api = Api(clients, tokens, log, stats, plan.site_id, retry_seconds=options.retry_seconds, wait_seconds=options.wait_seconds)
            outcome.days.append(SiteDay(plan, api, pace, options.seed, i, _advancer(plan.start, progress)))
        async with asyncio.TaskGroup() as group:
            for site_day in outcome.days:
                group.create_task(site_day.play(log))
        if options.kpi:
            for site_day in outcome.days:
                outcome.kpi[site_day.plan.site_id] = await kpi_summary(site_day)
    finally:
        for client in clients.values():
            await client.aclose()
    outcome.seconds = time.monotonic() - started
    return outcome


def _advancer(start: datetime, progress: Callable[[int], None] | None) -> Callable[[datetime], None] | None:
    if progress is None:
        return None
    shown = [start]

    def advance(now: datetime) -> None:
        minutes = int((now - shown[0]).total_seconds() // 60)
        if minutes > 0:
            shown[0] += timedelta(minutes=minutes)
            progress(minutes)

    return advance


async def kpi_summary(site_day: SiteDay) -> dict[str, float | None]:
    """The KPI service's headline figures for the day, once it has seen every delivery."""
    plan, api = site_day.plan, site_day.api
    manager = Who(plan.manager, "manager")
    window = {"from": plan.day.isoformat(), "to": (plan.day + timedelta(days=1)).isoformat()}

    def caught_up(answer: Any) -> bool:
        figures = {f["name"]: f["value"] for f in answer["windows"][0]["figures"]}
        return figures.get("repair_orders_delivered") == site_day.delivered

    answer = await api.wait("kpi summary of the day", "kpi", f"/kpi/sites/{plan.site_id}/summary", manager, site_day.agenda.now,
                            caught_up, params=window)
    return {f["name"]: f["value"] for f in answer["windows"][0]["figures"]}

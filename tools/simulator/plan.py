"""A site's day drawn up front from the seed: who works, what arrives when, and what each customer and car will do.

Every random choice of the day is made here, in a fixed order, so a seed always gives the same day; what happens
later only depends on these choices and on the order of simulated time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tools.simulator import catalog
from tools.simulator.catalog import Operation

OPENS, CLOSES = time(8, 0), time(18, 0)
SLOT_MINUTES, SLOT_CAPACITY = 30, 3


@dataclass(frozen=True)
class LinePlan:
    """A job line and how its decision and work will go."""

    op: Operation
    declined: bool
    work_factor: float  # × standard hours × the technician's speed
    parts_at: float | None = None  # share of the work done when the technician asks for parts
    found_at: float | None = None  # share of the work done when more work is found
    found: Operation | None = None
    found_declined: bool = False
    found_delay: int = 0  # seconds from the approval request to the customer's answer on the phone
    helper_at: float | None = None  # share of the work done when a second technician joins
    helper_minutes: int = 0


@dataclass(frozen=True)
class Vehicle:
    vin: str
    plate: str
    make: str
    model: str
    year: int
    mileage: int


@dataclass(frozen=True)
class VisitPlan:
    """One car's visit: arrival, RO, decisions, QC and pickup."""

    key: str
    arrival: datetime
    slot: datetime | None  # booked: the appointment slot
    customer: tuple[str, str]
    vehicle: Vehicle
    ro_type: str
    lines: tuple[LinePlan, ...]
    write_up: int  # seconds the advisor needs between greeting and opening the RO
    decision_delay: tuple[int, ...]  # seconds from the approval request to each line's answer
    method: str  # how the customer answers: in_person, phone
    promise_margin: int  # seconds added to the estimate for the promised time
    qc_fail: bool
    rework_minutes: int
    qc_minutes: tuple[int, int]  # inspection times of the first and second QC
    pickup_delay: int  # seconds from ready to the customer coming back
    deliver_minutes: int
    mileage_in: int
    sublet: tuple[str, Decimal, Decimal] | None = None
    comeback_delay: int | None = None  # for the day's comeback: seconds after the first RO's delivery


@dataclass(frozen=True)
class TechPlan:
    id: str
    name: str
    skills: tuple[str, ...]
    level: str
    speed: float
    clock_in: datetime
    shift_end: datetime
    break_at: datetime
    break_minutes: int


@dataclass(frozen=True)
class AppointmentPlan:
    """An appointment that will not end in an arrival: cancelled, or a no-show."""

    key: str
    slot: datetime
    customer: tuple[str, str]
    vehicle: Vehicle
    outcome: str  # "cancelled" | "no_show"


@dataclass(frozen=True)
class SitePlan:
    site_id: str
    name: str
    time_zone: str
    day: date
    labour_rate: Decimal
    technician_cost_rate: Decimal
    tax_rate: Decimal
    advisors: tuple[str, ...]
    inspector: str
    clerk: str
    foreman: str
    manager: str
    technicians: tuple[TechPlan, ...]
    bays: tuple[catalog.BayProfile, ...]
    parts: tuple[catalog.Part, ...]
    visits: tuple[VisitPlan, ...]
    comeback: VisitPlan | None
    appointments: tuple[AppointmentPlan, ...]
    deliveries: tuple[datetime, ...]

    def at(self, hours: int, minutes: int = 0, seconds: int = 0) -> datetime:
        """A local time of the simulated day."""
        return datetime.combine(self.day, time(hours, minutes, seconds), tzinfo=ZoneInfo(self.time_zone))

    @property
    def start(self) -> datetime:
        """When the day's first action happens (the site is set up)."""
        return self.at(7, 0)

    @property
    def end(self) -> datetime:
        """By when the simulated day is over (late pickups included)."""
        return self.at(20, 0)

    @property
    def dispatch_cutoff(self) -> datetime:
        """No new job is started after this."""
        return self.at(17, 30)


def _minutes(rng: random.Random, low: float, high: float) -> int:
    return int(rng.uniform(low, high) * 60)


def _vehicle(rng: random.Random) -> Vehicle:
    make, model = rng.choice(catalog.CARS)
    return Vehicle(catalog.vin(rng), catalog.plate(rng), make, model, rng.randint(2016, 2025), rng.randint(3000, 120000))


def _ro_types(rng: random.Random, count: int) -> list[str]:
    weights = {"scheduled_maintenance": 35, "general_repair": 25, "first_free_service": 10, "warranty": 10,
               "body_and_paint": 8, "accident": 5, "accessories": 7}
    chosen = list(catalog.RO_TYPES)[:count]
    chosen += rng.choices(list(weights), weights=list(weights.values()), k=max(0, count - len(chosen)))
    rng.shuffle(chosen)
    if "general_repair" in chosen:  # the day's first car is the brake job that comes back
        i = chosen.index("general_repair")
        chosen[0], chosen[i] = chosen[i], chosen[0]
    return chosen


def _arrivals(plan_at: SitePlanClock, rng: random.Random, count: int) -> list[datetime]:
    peak = math.ceil(count * 0.55)  # the morning rush at the reception desk
    times = [plan_at(7, 55) + timedelta(seconds=_minutes(rng, 0, 80)) for _ in range(peak)]
    times += [plan_at(9, 15) + timedelta(seconds=_minutes(rng, 0, 345)) for _ in range(count - peak)]
    return sorted(times)


class SitePlanClock:
    """Local times of one day in one zone."""

    def __init__(self, day: date, time_zone: str) -> None:
        self.day, self.zone = day, ZoneInfo(time_zone)

    def __call__(self, hours: int, minutes: int = 0) -> datetime:
        return datetime.combine(self.day, time(hours, minutes), tzinfo=self.zone)


def _slot_for(at: SitePlanClock, arrival: datetime, taken: dict[datetime, int]) -> datetime:
    local = arrival + timedelta(minutes=10)
    slot = at(local.hour, 0 if local.minute < 30 else 30)
    slot = max(slot, at(8, 0))
    while taken.get(slot, 0) >= SLOT_CAPACITY:
        slot += timedelta(minutes=SLOT_MINUTES)
    taken[slot] = taken.get(slot, 0) + 1
    return slot


def _line(rng: random.Random, op: Operation, *, main: bool) -> LinePlan:
    declined = not main and rng.random() < 0.35
    parts_at = rng.uniform(0.05, 0.2) if op.parts else None
    found_at = found = None
    found_declined, found_delay = False, 0
    helper_at, helper_minutes = None, 0
    if main and rng.random() < 0.25:
        found_at, found = rng.uniform(0.3, 0.6), rng.choice(catalog.FOUND_OPERATIONS)
        found_declined, found_delay = rng.random() < 0.4, _minutes(rng, 10, 45)
    if main and found is None and op.hours >= Decimal("0.8") and rng.random() < 0.5:
        helper_at, helper_minutes = rng.uniform(0.3, 0.5), rng.randint(15, 30)
    return LinePlan(op, declined, rng.uniform(0.8, 1.3), parts_at, found_at, found, found_declined, found_delay,
                    helper_at, helper_minutes)


def _visit(rng: random.Random, key: str, arrival: datetime, slot: datetime | None, ro_type: str, main: Operation,
           extras: int) -> VisitPlan:
    lines = [_line(rng, main, main=True)]
    for op in rng.sample(catalog.EXTRA_OPERATIONS, extras):
        lines.append(_line(rng, op, main=False))
    method = "phone" if rng.random() < 0.25 else "in_person"
    delays = tuple(_minutes(rng, 15, 60) if method == "phone" else _minutes(rng, 1, 6) for _ in lines)
    vehicle = _vehicle(rng)
    sublet = None
    if ro_type in ("body_and_paint", "accident") and rng.random() < 0.6:
        sublet = ("ADAS camera recalibration (subcontractor)", Decimal("680.00"), Decimal("520.00"))
    pickup = _minutes(rng, 15, 90) if rng.random() < 0.8 else _minutes(rng, 120, 240)
    return VisitPlan(
        key=key, arrival=arrival, slot=slot, customer=catalog.person(rng), vehicle=vehicle, ro_type=ro_type, lines=tuple(lines),
        write_up=_minutes(rng, 6, 16), decision_delay=delays, method=method, promise_margin=_minutes(rng, 20, 70),
        qc_fail=rng.random() < 0.2, rework_minutes=rng.randint(15, 40), qc_minutes=(rng.randint(6, 15), rng.randint(5, 10)),
        pickup_delay=pickup, deliver_minutes=rng.randint(5, 12), mileage_in=vehicle.mileage + rng.randint(200, 3000), sublet=sublet,
    )


def draw_site(seed: int, index: int, site_id: str, time_zone: str, day: date, ros: int) -> SitePlan:
    """The whole day of one site, from its own random stream."""
    rng = random.Random(f"{seed}:{index}")
    at = SitePlanClock(day, time_zone)
    tech_count = min(len(catalog.TECHNICIANS), max(4, math.ceil(ros / 3.5)))
    technicians = []
    for n, profile in enumerate(catalog.TECHNICIANS[:tech_count], start=1):
        technicians.append(TechPlan(
            id=f"{site_id}-t{n}", name=profile.name, skills=profile.skills, level=profile.level, speed=profile.speed,
            clock_in=at(7, 45) + timedelta(seconds=_minutes(rng, 0, 20)), shift_end=at(18, 0),
            break_at=at(11, 45) + timedelta(minutes=15 * (n - 1)) + timedelta(seconds=_minutes(rng, 0, 5)),
            break_minutes=rng.randint(30, 45),
        ))
    bays = catalog.BAYS[:max(5, tech_count + 1)]
    types = _ro_types(rng, ros)
    arrivals = _arrivals(at, rng, ros)
    booked = set(rng.sample(range(ros), round(ros * 0.6)))
    taken: dict[datetime, int] = {}
    visits = []
    demo_car_done = False
    for i, (arrival, ro_type) in enumerate(zip(arrivals, types, strict=True)):
        if i == 0 and ro_type == "general_repair":
            main = catalog.MAIN_OPERATIONS["general_repair"][0]
        elif ro_type == "accessories" and not demo_car_done:
            main, demo_car_done = catalog.INTERNAL_OPERATION, True
        else:
            main = rng.choice(catalog.MAIN_OPERATIONS[ro_type])
        extras = rng.choices((0, 1, 2), weights=(50, 35, 15))[0] if ro_type not in ("accident", "warranty") else 0
        slot = _slot_for(at, arrival, taken) if i in booked and i > 0 else None
        visits.append(_visit(rng, f"v{i + 1:02d}", arrival, slot, ro_type, main, extras))
    if len(visits) > 1:  # one car the car maker has recalled: the advisor adds the campaign at check-in
        i = next((n for n, v in enumerate(visits) if n and v.ro_type == "scheduled_maintenance"), 1)
        visits[i] = replace(visits[i], vehicle=replace(visits[i].vehicle, vin=catalog.recalled_vin(rng), make="Toyota", model="Camry"))
    comeback = None
    if visits and visits[0].lines[0].op.op_code == catalog.COMEBACK_OPERATION.op_code:
        first = visits[0]
        base = _visit(rng, "v-comeback", first.arrival, None, "general_repair", catalog.COMEBACK_OPERATION, 0)
        comeback = replace(base, vehicle=first.vehicle, customer=first.customer, qc_fail=False, sublet=None, method="in_person",
                           decision_delay=(_minutes(rng, 1, 4),), comeback_delay=_minutes(rng, 60, 120), mileage_in=first.mileage_in + 40,
                           lines=(LinePlan(catalog.COMEBACK_OPERATION, False, rng.uniform(0.8, 1.2)),))
    appointments = (
        AppointmentPlan("a-cancel", _slot_for(at, at(9, 50), taken), catalog.person(rng), _vehicle(rng), "cancelled"),
        AppointmentPlan("a-noshow", _slot_for(at, at(8, 50), taken), catalog.person(rng), _vehicle(rng), "no_show"),
    )
    return SitePlan(
        site_id=site_id, name=f"Pitwall demo dealer {index + 1}", time_zone=time_zone, day=day,
        labour_rate=Decimal("380.00"), technician_cost_rate=Decimal("120.00"), tax_rate=Decimal("0.13"),
        advisors=(f"{site_id}-advisor-1", f"{site_id}-advisor-2"), inspector=f"{site_id}-qc", clerk=f"{site_id}-parts",
        foreman=f"{site_id}-foreman", manager=f"{site_id}-manager", technicians=tuple(technicians), bays=bays,
        parts=catalog.PARTS, visits=tuple(visits), comeback=comeback, appointments=appointments,
        deliveries=(at(11, 30), at(15, 0)),
    )

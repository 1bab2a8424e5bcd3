"""What a dealer's workshop works with: operations by RO type, parts, people's names, cars and VINs."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

D = Decimal


@dataclass(frozen=True)
class Operation:
    """A labour operation an advisor puts on a job line."""

    op_code: str
    description: str
    complaint: str
    skill: str | None
    hours: Decimal
    parts: tuple[tuple[str, int], ...] = ()
    pay_type: str | None = None  # None: the RO type's default


@dataclass(frozen=True)
class Part:
    """A catalogue part with its opening stock (0: special order only)."""

    part_number: str
    description: str
    unit_cost: Decimal
    unit_price: Decimal
    stock: int
    reorder_point: int
    reorder_quantity: int
    lead_time_days: int = 1


@dataclass(frozen=True)
class TechProfile:
    name: str
    skills: tuple[str, ...]
    level: str
    speed: float  # actual work ÷ standard hours


@dataclass(frozen=True)
class BayProfile:
    name: str
    kind: str
    job_kinds: tuple[str, ...] = field(default_factory=tuple)


RO_TYPES = ("scheduled_maintenance", "first_free_service", "warranty", "general_repair", "body_and_paint", "accident", "accessories")

# The main line of an RO of each type (the first is the usual one).
MAIN_OPERATIONS: dict[str, tuple[Operation, ...]] = {
    "scheduled_maintenance": (
        Operation("MNT10K", "10,000 km service: engine oil and filter", "due for service", "maintenance", D("1.0"),
                  (("OIL-5W30-4L", 1), ("OIL-FLT", 1))),
        Operation("MNT40K", "40,000 km service: oil, filters, spark plugs", "due for major service", "maintenance", D("2.0"),
                  (("OIL-5W30-4L", 1), ("OIL-FLT", 1), ("AIR-FLT", 1), ("SPK-PLG", 4))),
    ),
    "first_free_service": (
        Operation("FFS01", "first free service (首保)", "first service", "maintenance", D("0.8"), (("OIL-FLT", 1),)),
    ),
    "warranty": (
        Operation("WTY-REG", "replace front window regulator (warranty)", "window does not close", "electrical", D("1.5"),
                  (("WIN-REG", 1),)),
        Operation("WTY-ECU", "reflash engine control unit (warranty)", "engine light on", "diagnosis", D("0.8")),
    ),
    "general_repair": (
        Operation("BRK01", "replace front brake pads", "squeal when braking", "chassis", D("1.2"), (("BRK-PAD-F", 1),)),
        Operation("DIAG01", "diagnose engine warning light", "engine light on", "diagnosis", D("1.0")),
        Operation("BAT01", "replace battery", "car does not start", "electrical", D("0.5"), (("BATT-60AH", 1),)),
    ),
    "body_and_paint": (
        Operation("BP-BUMP", "repair and paint rear bumper", "scraped rear bumper", "body", D("2.5"), (("BMP-CLIP", 2),)),
        Operation("BP-DOOR", "paint front left door", "scratch on door", "paint", D("2.0")),
    ),
    "accident": (
        Operation("ACC-DOOR", "replace front left door panel (insurance claim)", "side impact damage", "body", D("3.0"),
                  (("DOOR-PNL-FL", 1),)),
    ),
    "accessories": (
        Operation("ACS-TOW", "fit tow bar and wiring", "wants a tow bar", "electrical", D("1.5"), (("TOW-KIT", 1),)),
        Operation("ACS-CAM", "fit dashboard camera", "wants a dash cam", "electrical", D("0.5"), (("CAM-DASH", 1),)),
    ),
}

# The demo car of the showroom: accessories the dealer pays for itself.
INTERNAL_OPERATION = Operation("ACS-DEMO", "fit floor mats and dash cam on showroom demo car", "demo car preparation",
                               "electrical", D("0.6"), (("CAM-DASH", 1),), pay_type="internal")

# Extra lines the advisor suggests (the customer may decline them).
EXTRA_OPERATIONS: tuple[Operation, ...] = (
    Operation("WPR01", "replace wiper blades", "smears the windscreen", "maintenance", D("0.2"), (("WPR-BLD", 1),), "customer"),
    Operation("ALN01", "four-wheel alignment", "pulls to the left", "alignment", D("0.8"), (), "customer"),
    Operation("AC01", "air-conditioning service", "weak air-conditioning", "maintenance", D("0.8"), (("CAB-FLT", 1),), "customer"),
    Operation("TYR01", "rotate tyres", "uneven tyre wear", "chassis", D("0.4"), (), "customer"),
    Operation("BRK02", "replace brake fluid", "soft brake pedal", "maintenance", D("0.5"), (("BRK-FLD", 1),), "customer"),
)

# Work a technician finds under the car: the advisor calls the customer for approval.
FOUND_OPERATIONS: tuple[Operation, ...] = (
    Operation("SUS01", "replace front stabiliser link", "knock found on inspection", "chassis", D("0.7"), (("STB-LINK", 1),), "customer"),
    Operation("BRK03", "replace rear brake discs", "rear discs worn found on inspection", "chassis", D("1.0"), (("BRK-DSC-R", 2),), "customer"),
    Operation("BLT01", "replace auxiliary belt", "cracked belt found on inspection", "maintenance", D("0.5"), (("AUX-BELT", 1),), "customer"),
)

COMEBACK_OPERATION = Operation("BRK01", "recheck front brakes (comeback)", "squeal when braking is back", "chassis", D("0.5"),
                               pay_type="internal")

PARTS: tuple[Part, ...] = (
    Part("OIL-5W30-4L", "engine oil 5W-30, 4 l can", D("118.00"), D("228.00"), 30, 8, 24),
    Part("OIL-FLT", "oil filter", D("21.50"), D("48.00"), 14, 6, 20),
    Part("AIR-FLT", "engine air filter", D("38.00"), D("86.00"), 6, 3, 10),
    Part("CAB-FLT", "cabin filter", D("29.00"), D("72.00"), 5, 3, 10),
    Part("SPK-PLG", "spark plug", D("32.00"), D("68.00"), 12, 8, 24),
    Part("BRK-PAD-F", "front brake pad set", D("210.00"), D("420.00"), 1, 2, 4),
    Part("BRK-DSC-R", "rear brake disc", D("260.00"), D("520.00"), 1, 2, 4),
    Part("BRK-FLD", "brake fluid DOT4, 1 l", D("36.00"), D("80.00"), 6, 2, 6),
    Part("BATT-60AH", "battery 60 Ah", D("480.00"), D("860.00"), 3, 2, 4),
    Part("WPR-BLD", "wiper blade set", D("65.00"), D("150.00"), 8, 4, 10),
    Part("WIN-REG", "front window regulator", D("320.00"), D("560.00"), 1, 1, 2, 2),
    Part("BMP-CLIP", "bumper clip set", D("12.00"), D("30.00"), 10, 4, 20),
    Part("DOOR-PNL-FL", "front left door panel", D("1850.00"), D("3600.00"), 0, 0, 0, 1),
    Part("TOW-KIT", "tow bar kit with wiring", D("1450.00"), D("2680.00"), 1, 1, 2, 2),
    Part("CAM-DASH", "dashboard camera", D("390.00"), D("780.00"), 2, 1, 4),
    Part("STB-LINK", "front stabiliser link", D("95.00"), D("210.00"), 2, 2, 4),
    Part("AUX-BELT", "auxiliary drive belt", D("120.00"), D("260.00"), 2, 1, 3),
)

TECHNICIANS: tuple[TechProfile, ...] = (
    TechProfile("Li Wei", ("diagnosis", "electrical", "maintenance", "chassis"), "master", 0.85),
    TechProfile("Wang Fang", ("maintenance", "chassis", "alignment"), "technician", 1.0),
    TechProfile("Zhang Min", ("body", "paint"), "technician", 0.95),
    TechProfile("Liu Yang", ("maintenance", "electrical", "chassis"), "technician", 1.05),
    TechProfile("Chen Jie", ("maintenance",), "apprentice", 1.25),
    TechProfile("Zhao Lei", ("body", "paint", "chassis"), "technician", 1.0),
    TechProfile("Sun Hao", ("diagnosis", "electrical", "maintenance"), "diagnostic_technician", 0.9),
    TechProfile("Zhou Ning", ("maintenance", "chassis", "alignment"), "technician", 1.1),
)

BAYS: tuple[BayProfile, ...] = (
    BayProfile("Bay 1", "general"),
    BayProfile("Bay 2", "general"),
    BayProfile("Quick 1", "quick_service", ("maintenance",)),
    BayProfile("Alignment", "alignment", ("alignment", "chassis")),
    BayProfile("Body 1", "body", ("body", "paint")),
    BayProfile("Bay 3", "general"),
    BayProfile("Body 2", "body", ("body", "paint")),
    BayProfile("Bay 4", "general"),
)

SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo")
GIVEN = ("Wei", "Fang", "Na", "Xiuying", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Tao", "Ming")
CARS = (("Toyota", "Camry"), ("Toyota", "RAV4"), ("Toyota", "Corolla"), ("Honda", "Accord"), ("Volkswagen", "Passat"),
        ("Buick", "GL8"), ("Nissan", "Sylphy"), ("BYD", "Han"))

_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
               **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _check_digit(chars: Sequence[str]) -> str:
    """The ISO 3779 check digit of 17 VIN characters (the 9th, weighted 0, does not count)."""
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(chars, _VIN_WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def vin(rng: random.Random) -> str:
    """A random VIN with a correct check digit (ISO 3779)."""
    chars = [rng.choice(_VIN_CHARS) for _ in range(17)]
    chars[8] = _check_digit(chars)
    return "".join(chars)


RECALLED_VIN_PREFIX = "JTDBR32E5"  # a Toyota the OEM simulator has an open recall for (tools/oem_simulator/recalls.json)


def recalled_vin(rng: random.Random) -> str:
    """A VIN with the recalled prefix whose check digit (position 9, the prefix's last character) is right."""
    while True:
        candidate = RECALLED_VIN_PREFIX + "".join(rng.choice(_VIN_CHARS) for _ in range(8))
        if _check_digit(candidate) == candidate[8]:
            return candidate


def plate(rng: random.Random) -> str:
    """A Shanghai-style plate."""
    return "沪" + rng.choice("ABCDEFGHJKLMN") + "·" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))


def person(rng: random.Random) -> tuple[str, str]:
    """A name and a mobile number."""
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}", "+86 13" + "".join(rng.choice("0123456789") for _ in range(9))

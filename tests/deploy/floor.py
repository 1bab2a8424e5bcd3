"""A site in the middle of its day, for the live figures and the alerts: cars waiting, bays in every state, a stale clock,
a promise broken, a car waiting for parts.

Local time at the site is between 12:00 and 13:00 (a fixed-offset zone chosen for that), opening hours 06:00–20:00.
What the board and the alerts must show for it is written out in `LIVE`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.contracts import reception as r
from shared.contracts import workshop as w
from shared.contracts.base import Event

D = Decimal
OPENING = [r.OpeningHours(weekday=d, opens="06:00", closes="20:00") for d in range(7)]
BAY_NAMES = {"BW": "Lift 1", "BH": "Lift 2", "BI": "Lift 3", "BS": "Alignment", "BC": "Wash"}
TECHNICIAN_NAMES = {"TW": "Wang", "TP": "Park", "TS": "Sato"}


def noon_zone() -> tuple[str, date]:
    """A fixed-offset zone where it is now between 12:00 and 13:00, and its local date."""
    now = datetime.now(UTC)
    offset = (12 - now.hour) % 24
    if offset > 14:
        offset -= 24
    name = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    assert 12 <= now.astimezone(ZoneInfo(name)).hour < 13
    return name, now.astimezone(ZoneInfo(name)).date()


def live_day(site: str, now: datetime) -> list[Event]:
    """The site's morning up to `now` (see the module docstring)."""
    tz, day = noon_zone()

    def at(hhmm: str) -> datetime:
        hours, minutes = map(int, hhmm.split(":"))
        return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(tz))

    def ago(minutes: int) -> datetime:
        return now - timedelta(minutes=minutes)

    def bay(bay_id: str, status: w.BayStatus) -> w.BayStatusChanged:
        return w.BayStatusChanged(site_id=site, occurred_at=at("07:00"), bay_id=bay_id, name=BAY_NAMES[bay_id], kind="lift",
                                  status=status)

    def tech(cls: type, technician: str, when: datetime) -> Event:
        named = {"name": TECHNICIAN_NAMES[technician]} if cls is w.TechnicianClockedIn else {}
        return cls(site_id=site, occurred_at=when, technician_id=technician, **named)

    def car(ro_id: str, arrived: datetime, opened: datetime | None, lines: list[r.JobLine] = [],  # noqa: B006
            promised: datetime | None = None) -> list[Event]:
        visit = r.VehicleArrived(site_id=site, occurred_at=arrived, visit_id="v-" + ro_id, vehicle_id="veh-" + ro_id,
                                 vin="VIN" + ro_id)
        if opened is None:
            return [visit]
        return [visit, r.RepairOrderOpened(
            site_id=site, occurred_at=opened, repair_order_id=ro_id, ro_number=ro_id, visit_id="v-" + ro_id,
            vehicle_id="veh-" + ro_id, customer_id="c-" + ro_id, vin="VIN" + ro_id, advisor="adv",
            ro_type=r.RoType.GENERAL_REPAIR, mileage_in=1000, arrived_at=arrived, job_lines=lines, promised_at=promised)]

    def job(cls: type, job_id: str, when: datetime, **extra: object) -> Event:
        return cls(site_id=site, occurred_at=when, job_id=job_id, repair_order_id="RO-" + job_id.removeprefix("J"), **extra)

    def queued(job_id: str, when: datetime) -> Event:
        return job(w.JobQueued, job_id, when, ro_number="RO-" + job_id[1:], sold_hours=D("2"), approved_at=when)

    line_a = r.JobLine(job_line_id="JA", op_code="OP", description="OP", pay_type=r.PayType.CUSTOMER, sold_hours=D("1"),
                       labour_rate=D("100"))
    return [
        r.SiteConfigured(site_id=site, occurred_at=at("06:00") - timedelta(days=2), name="Live", time_zone=tz,
                         opening_hours=OPENING, labour_rate=D("100"), technician_cost_rate=D("30"), tax_rate=D("0.13"),
                         comeback_window_days=30),
        bay("BW", w.BayStatus.OPEN), bay("BH", w.BayStatus.OPEN), bay("BI", w.BayStatus.OPEN), bay("BS", w.BayStatus.OPEN),
        bay("BC", w.BayStatus.OUT_OF_SERVICE),
        tech(w.TechnicianClockedIn, "TW", at("07:30")), tech(w.TechnicianClockedIn, "TP", at("07:30")),
        tech(w.TechnicianClockedIn, "TS", at("07:30")), tech(w.TechnicianClockedOut, "TS", at("11:00")),
        # W: TW works in bay BW, past the 11:00 promised. H: TP paused for parts in bay BH (requested, not issued).
        # S: TS clocked out at 11:00 with the job clock still on in BS; the workshop flagged it at 11:05.
        *car("RO-W", at("07:40"), at("07:50"), promised=at("11:00")), queued("JW", at("07:55")),
        job(w.JobClockedOn, "JW", at("09:00"), technician_id="TW", bay_id="BW"),
        *car("RO-H", at("07:45"), at("07:55")), queued("JH", at("08:00")),
        job(w.JobClockedOn, "JH", at("09:00"), technician_id="TP", bay_id="BH"),
        w.PartsRequested(site_id=site, occurred_at=at("09:55"), request_id="P-H", job_id="JH", repair_order_id="RO-H",
                         requested_by="TP", lines=[w.RequestedPart(part_number="PAD", quantity=D("1"))]),
        job(w.JobPaused, "JH", at("10:00"), technician_id="TP", bay_id="BH", reason=w.PauseReason.WAITING_PARTS),
        *car("RO-S", at("07:35"), at("07:45")), queued("JS", at("07:50")),
        job(w.JobClockedOn, "JS", at("08:00"), technician_id="TS", bay_id="BS"),
        w.StaleClockFlagged(site_id=site, occurred_at=at("11:05"), technician_id="TS", job_id="JS",
                            kind=w.StaleClockKind.JOB_PAST_CLOCK_OUT, since=at("11:00")),
        *car("RO-R", at("07:30"), at("07:40")),
        r.RepairOrderReady(site_id=site, occurred_at=at("10:30"), repair_order_id="RO-R", ro_number="RO-R"),
        # Reception in the last hour: A waited 40 min for its RO (then its approved job waits for a bay), B 5 min,
        # and X has been waiting 40 min with no RO yet.
        *car("RO-A", ago(50), ago(10), [line_a]), queued("JA", ago(9)),
        *car("RO-B", ago(30), ago(25)),
        *car("RO-X", ago(40), None),
        # An RO that arrived 30 hours ago and is still open.
        *car("RO-OLD", ago(30 * 60), ago(30 * 60 - 5)),
    ]


# What the live site shows, written out. Bays: 3 working, 2 car waiting, 1 empty, 0 closed.
BAY_STATES = {"BW": 3, "BH": 2, "BI": 1, "BS": 2, "BC": 0}  # BS: a car held, its clock forgotten after clock-out: not worked
WIP = {"in_work": 3, "awaiting_work": 1, "open": 2, "ready": 1}  # W, H, S; A; B and OLD; R
WAITING_AT_RECEPTION = 1  # X: arrived today, no RO yet
LONGEST_WAIT_SINCE = 40 * 60  # X arrived 40 minutes before the script's `now`
WAITING_PARTS = 1  # H: its job's request is not issued
PAST_PROMISE = 1  # W: promised 11:00, in work
STALE_CLOCKS = {"job_past_clock_out": 1, "job_over_sold_hours": 0, "shift_overrun": 0}  # TS's job clock in BS
# Reception waits that ended in the last hour: 300 s (B) and 2400 s (A). p90 rank 1.8 falls in (1800, 3600]:
# 1800 + 1800 × (1.8 − 1) / (2 − 1) = 3240 s.
RECEPTION_P90_LAST_HOUR = 3240.0
OVER_AGE_THRESHOLD = 1  # OLD
# Waits that ended today. Reception: 600 (W, H, S, R), 2400 (A), 300 (B): rank 5.4 in (1800, 3600] → 1800 + 1800 × 0.4.
# Dispatch: JW 07:55→09:00 3900, JH 08:00→09:00 3600, JS 07:50→08:00 600: rank 2.7 in (3600, 7200] → 3600 + 3600 × 0.7.
P90_TODAY = {"reception": 2520.0, "dispatch": 6120.0}

"""A scripted day for the floor-now figures: reception queue, WIP past promise, waiting for parts, stale clocks, names.

Site-local times of Wednesday 2025-03-12 in Asia/Shanghai, opening hours 08:00–18:00. What each figure must be at
given moments is written out in `AT` (reasoning beside each value), never recomputed by the service's code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.contracts import parts as p
from shared.contracts import reception as r
from shared.contracts import workshop as w
from shared.contracts.base import Event

TZ = "Asia/Shanghai"
DAY = date(2025, 3, 12)
D = Decimal
OPENING = [r.OpeningHours(weekday=d, opens="08:00", closes="18:00") for d in range(7)]
NAMES = {"T1": "Alice", "T2": "Bob", "T3": "Chen"}
BAY_NAMES = {"B1": "Lift 1", "B2": "Lift 2", "B3": "Alignment"}


def at(hhmm: str, day: date = DAY) -> datetime:
    """A site-local time of the day."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(TZ))


def events(site: str) -> list[Event]:  # noqa: PLR0915 - a script
    """The whole day, in the order things happened."""

    def arrive(vehicle: str, hhmm: str, day: date = DAY) -> r.VehicleArrived:
        return r.VehicleArrived(site_id=site, occurred_at=at(hhmm, day), visit_id="visit-" + vehicle, vehicle_id=vehicle,
                                vin="VIN" + vehicle)

    def ro(ro_id: str, vehicle: str, kind: r.RoType, arrived: str, opened: str, promised: str | None) -> r.RepairOrderOpened:
        return r.RepairOrderOpened(site_id=site, occurred_at=at(opened), repair_order_id=ro_id, ro_number=ro_id,
                                   visit_id="visit-" + vehicle, vehicle_id=vehicle, customer_id="c-" + vehicle,
                                   vin="VIN" + vehicle, advisor="adv", ro_type=kind, mileage_in=1000, arrived_at=at(arrived),
                                   promised_at=at(promised) if promised else None)

    def job(cls: type, job_id: str, ro_id: str, hhmm: str, **extra: object) -> Event:
        return cls(site_id=site, occurred_at=at(hhmm), job_id=job_id, repair_order_id=ro_id, **extra)

    def queued(job_id: str, ro_id: str, hhmm: str, hours: str = "1.0") -> Event:
        return job(w.JobQueued, job_id, ro_id, hhmm, ro_number=ro_id, sold_hours=D(hours), approved_at=at(hhmm))

    def clock(cls: type, job_id: str, ro_id: str, hhmm: str, technician: str, bay: str, **extra: object) -> Event:
        return job(cls, job_id, ro_id, hhmm, technician_id=technician, bay_id=bay, **extra)

    def tech(cls: type, technician: str, hhmm: str, **extra: object) -> Event:
        return cls(site_id=site, occurred_at=at(hhmm), technician_id=technician, **extra)

    def clock_in(technician: str, hhmm: str, shift_end: str) -> Event:
        return tech(w.TechnicianClockedIn, technician, hhmm, name=NAMES[technician], shift_end=at(shift_end))

    def stale(technician: str, job_id: str | None, kind: w.StaleClockKind, since: str, hhmm: str) -> w.StaleClockFlagged:
        return tech(w.StaleClockFlagged, technician, hhmm, job_id=job_id, kind=kind, since=at(since))  # type: ignore[return-value]

    def request(request_id: str, ro_id: str, job_id: str | None, hhmm: str) -> p.PartsRequestReceived:
        return p.PartsRequestReceived(site_id=site, occurred_at=at(hhmm), request_id=request_id, repair_order_id=ro_id,
                                      job_id=job_id, origin="workshop" if job_id else "counter", requested_at=at(hhmm),
                                      lines=[p.RequestLine(request_line_id=request_id + "-1", part_number="PN", quantity=D(1))])

    def bay(bay_id: str) -> w.BayStatusChanged:
        return w.BayStatusChanged(site_id=site, occurred_at=at("07:00"), bay_id=bay_id, name=BAY_NAMES[bay_id], kind="lift",
                                  status=w.BayStatus.OPEN)

    return [
        r.SiteConfigured(site_id=site, occurred_at=at("06:00"), name="Now", time_zone=TZ, opening_hours=OPENING,
                         labour_rate=D("100"), technician_cost_rate=D("30"), tax_rate=D("0.13"), comeback_window_days=30),
        bay("B1"), bay("B2"), bay("B3"),
        clock_in("T1", "08:00", "17:00"), clock_in("T2", "08:00", "12:00"), clock_in("T3", "08:00", "16:00"),
        # V0 came yesterday evening and left without an RO: not in today's queue.
        arrive("V0", "17:50", date(2025, 3, 11)),
        # RO1: scheduled maintenance, promised 10:00; its job waits for parts 09:00–09:50; ready 10:45, invoiced 11:00.
        arrive("V1", "08:00"), ro("RO1", "V1", r.RoType.SCHEDULED_MAINTENANCE, "08:00", "08:20", "10:00"),
        queued("J1", "RO1", "08:30"), clock(w.JobClockedOn, "J1", "RO1", "08:45", "T1", "B1"),
        w.PartsRequested(site_id=site, occurred_at=at("09:00"), request_id="P1", job_id="J1", repair_order_id="RO1",
                         requested_by="T1", lines=[w.RequestedPart(part_number="PN", quantity=D(1))]),
        request("P1", "RO1", "J1", "09:00"),
        clock(w.JobPaused, "J1", "RO1", "09:05", "T1", "B1", reason=w.PauseReason.WAITING_PARTS),
        p.PartsIssued(site_id=site, occurred_at=at("09:50"), request_id="P1", repair_order_id="RO1", job_id="J1",
                      request_fully_issued=True, lines=[p.IssuedLine(request_line_id="P1-1", part_number="PN", quantity=D(1),
                                                                     unit_cost=D(25), unit_price=D(40), from_stock_at_first_pick=True)]),
        clock(w.JobResumed, "J1", "RO1", "10:00", "T1", "B1"),
        clock(w.JobCompleted, "J1", "RO1", "10:30", "T1", "B1", sold_hours=D("1.0")),
        request("P5", "RO1", "J1", "10:35"),  # for a finished job: blocks nothing
        r.RepairOrderReady(site_id=site, occurred_at=at("10:45"), repair_order_id="RO1", ro_number="RO1"),
        r.RepairOrderInvoiced(site_id=site, occurred_at=at("11:00"), repair_order_id="RO1", invoice_id="INV1", ro_number="RO1",
                              ro_type=r.RoType.SCHEDULED_MAINTENANCE, labour_amount=D(100), parts_amount=D(300),
                              sublet_amount=D(0), total_amount=D(400), tax_amount=D(52), parts_cost=D(200), sublet_cost=D(0),
                              sold_hours=D(1), amounts_by_pay_type={r.PayType.CUSTOMER: D(400)}, lines=[]),
        # RO2: no job lines, promised 09:30, ready 11:30.
        arrive("V2", "08:10"), ro("RO2", "V2", r.RoType.GENERAL_REPAIR, "08:10", "08:40", "09:30"),
        r.RepairOrderReady(site_id=site, occurred_at=at("11:30"), repair_order_id="RO2", ro_number="RO2"),
        # RO3: no promise; its job's parts are backordered from 09:25; the job is withdrawn at 11:00.
        arrive("V3", "08:30"), ro("RO3", "V3", r.RoType.GENERAL_REPAIR, "08:30", "09:10", None),
        queued("J3", "RO3", "09:15"), request("P3", "RO3", "J3", "09:20"),
        p.PartsBackordered(site_id=site, occurred_at=at("09:25"), request_id="P3", backorder_id="BO3", request_line_id="P3-1",
                           repair_order_id="RO3", job_id="J3", part_number="PN", quantity=D(1)),
        job(w.JobWithdrawn, "J3", "RO3", "11:00", reason="declined"),
        # V4 waits at reception all day (no RO).
        arrive("V4", "08:50"),
        # RO4: promised 13:00; T2 on its job from 10:00, parts requested 10:05 (never issued); T2 clocks out at 11:50 with
        # the job clock running (flagged 11:55), clocks in again at 13:00, clocks off the job at 14:00.
        arrive("V5", "09:40"), ro("RO4", "V5", r.RoType.GENERAL_REPAIR, "09:40", "09:45", "13:00"),
        queued("J4", "RO4", "09:50"), clock(w.JobClockedOn, "J4", "RO4", "10:00", "T2", "B2"), request("P4", "RO4", "J4", "10:05"),
        tech(w.TechnicianClockedOut, "T2", "11:50"),
        stale("T2", "J4", w.StaleClockKind.JOB_PAST_CLOCK_OUT, "11:50", "11:55"),
        tech(w.TechnicianClockedIn, "T2", "13:00", name="Bob"),
        clock(w.JobClockedOff, "J4", "RO4", "14:00", "T2", "B2"),
        # RO5: a first free service, promised 17:00; T1 and T3 run over the sold hours of its two jobs. T1 clocks off at
        # 12:30; the foreman ends T3's clock at 12:15 by a correction made at 12:20.
        arrive("V6", "11:00"), ro("RO5", "V6", r.RoType.FIRST_FREE_SERVICE, "11:00", "11:05", "17:00"),
        queued("J5", "RO5", "11:10", "0.5"), queued("J6", "RO5", "11:10", "0.5"),
        clock(w.JobClockedOn, "J5", "RO5", "11:15", "T1", "B1"), clock(w.JobClockedOn, "J6", "RO5", "11:20", "T3", "B3"),
        stale("T1", "J5", w.StaleClockKind.JOB_OVER_SOLD_HOURS, "12:00", "12:05"),
        stale("T3", "J6", w.StaleClockKind.JOB_OVER_SOLD_HOURS, "12:00", "12:10"),
        w.ClockingAdjusted(site_id=site, occurred_at=at("12:20"), technician_id="T3", adjustment_id="ADJ1", job_id="J6",
                           original_start=at("11:20"), corrected_start=at("11:20"), corrected_end=at("12:15"),
                           reason="forgot to clock off", adjusted_by="foreman"),
        clock(w.JobClockedOff, "J5", "RO5", "12:30", "T1", "B1"),
        # T3 stays past the end of the shift (16:00): flagged at 16:20, clocks out at 16:45.
        stale("T3", None, w.StaleClockKind.SHIFT_OVERRUN, "16:00", "16:20"),
        tech(w.TechnicianClockedOut, "T3", "16:45"), tech(w.TechnicianClockedOut, "T1", "17:00"),
    ]


STALE_NONE = {"job_past_clock_out": 0, "job_over_sold_hours": 0, "shift_overrun": 0}

# moment → (queue, longest wait s, past promise, waiting parts, stale clocks by kind)
AT: dict[str, tuple[int, float, int, int, dict[str, int]]] = {
    # V2 (08:10) and V3 (08:30) wait: the first 25 min; V0 came yesterday. No promise passed, no parts asked for.
    "08:35": (2, 1500, 0, 0, STALE_NONE),
    # V4 waits 45 min (V3 got RO3 at 09:10). RO2's 09:30 promise passed. RO1 (P1 open, J1 paused) and RO3 (P3 backordered).
    "09:35": (1, 2700, 1, 2, STALE_NONE),
    # RO1's 10:00 promise passed too. P1 was issued at 09:50; RO3 still waits, and RO4 (P4 from 10:05).
    "10:15": (1, 5100, 2, 2, STALE_NONE),
    # RO1 ready 10:45 (P5 is for its finished job), RO2 still open and late; RO3, RO4 wait for parts.
    "10:50": (1, 7200, 1, 2, STALE_NONE),
    # T2 is clocked out with J4's clock on, but the flag comes at 11:55. RO3's job was withdrawn at 11:00. RO2 ready.
    "11:52": (1, 10920, 0, 1, STALE_NONE),
    # J4 past clock-out; J5 and J6 over their sold hours (T3's clock ends 12:15 by the correction).
    "12:12": (1, 12120, 0, 1, {"job_past_clock_out": 1, "job_over_sold_hours": 2, "shift_overrun": 0}),
    "12:25": (1, 12900, 0, 1, {"job_past_clock_out": 1, "job_over_sold_hours": 1, "shift_overrun": 0}),
    # T2 clocked in again at 13:00; T1 clocked off J5 at 12:30. RO4's 13:00 promise passed.
    "13:10": (1, 15600, 1, 1, STALE_NONE),
    # T3 past the end of the shift; RO4 still late and waiting for P4.
    "16:30": (1, 27600, 1, 1, {"job_past_clock_out": 0, "job_over_sold_hours": 0, "shift_overrun": 1}),
    "17:00": (1, 29400, 1, 1, STALE_NONE),
}

"""A second scripted day: a job clock running through a break, one forgotten across clock-out, and surveys with weak items.

Site-local times, opening hours 08:00–18:00, bay B1 open all day; the test reads it in the evening (20:00–21:00).

T1 (Chen) clocked in 08:00–17:00, break 12:00–12:30 with J1's clock still on (a device that did not pause it):
   attendance 8.5 h = 30600 s.
T2 (Dana) clocked in 08:00–17:00, no break: 32400 s.
J1 (sold 2.0 h, bay B1): T1 on 09:00, T2 on 10:00–11:00, completed 13:00.
   T1 worked on it 09:00–12:00 + 12:30–13:00 = 12600 s (the break pauses it); T2 3600 s; 16200 s in all.
   Sold 7200 s split by worked time: T1 7/9 = 5600 s, T2 2/9 = 1600 s; efficiency 7200 / 16200 = 4/9 for both and the site.
J2 (sold 1.0 h, bay B1): T1 on at 15:00 and clocks out of attendance at 17:00 with J2's clock still on. The workshop
   flags it past clock-out (17:05) and over its sold hours (17:10): one stale clock, of the most urgent kind.
   J2 counts 15:00–17:00 = 7200 s; nothing after clock-out.
T1 job time 12600 + 7200 = 19800 s; T2 3600 s; site 23400 s of 63000 s attendance.
B1: open 36000 s; busy (as job time) 09:00–13:00 minus the break + 15:00–17:00 = 19800 s → 0.55;
   held (occupancy runs on through the break and after clock-out): J1 09:00–13:00 14400 s + J2 15:00–18:00 (closing)
   10800 s = 25200 s → 0.7.
At 19:00 the foreman corrects J2's clock to 15:00–16:30: J2 5400 s, T1 18000 s, site 21600 s, B1 busy 18000 s → 0.5;
   the stale clock is gone; occupancy unchanged (the car still holds the bay).
Surveys (advisor amy, for cars delivered yesterday), each item "was this good?" (true = good, false = weak):
   S1 fair_price no, charges_explained yes, vehicle_clean no; S2 fair_price no, charges_explained no;
   S3 fair_price yes, waiting_area yes.
   Share weak per item: fair_price 2/3, charges_explained 1/2, vehicle_clean 1/1, waiting_area 0/1.
   Mix (weak answers 4): fair_price 2/4, charges_explained 1/4, vehicle_clean 1/4, waiting_area 0/4.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.contracts import reception as r
from shared.contracts import workshop as w
from shared.contracts.base import Event

OPENING = [r.OpeningHours(weekday=d, opens="08:00", closes="18:00") for d in range(7)]
T1, T2 = (("technician", "T1"),), (("technician", "T2"),)
B1: tuple = (("bay", "B1"),)
NONE: tuple = ()

TECHNICIANS = {
    ("attendance_time", T1): 30600, ("job_time", T1): 19800, ("sold_time", T1): 5600,
    ("completed_jobs_clocked_time", T1): 12600, ("technician_productivity", T1): 19800 / 30600,
    ("technician_efficiency", T1): 4 / 9,
    ("attendance_time", T2): 32400, ("job_time", T2): 3600, ("sold_time", T2): 1600,
    ("completed_jobs_clocked_time", T2): 3600, ("technician_productivity", T2): 3600 / 32400,
    ("technician_efficiency", T2): 4 / 9,
    ("attendance_time", NONE): 63000, ("job_time", NONE): 23400, ("sold_time", NONE): 7200,
    ("completed_jobs_clocked_time", NONE): 16200, ("technician_productivity", NONE): 23400 / 63000,
    ("technician_efficiency", NONE): 4 / 9, ("technician_proficiency", NONE): 7200 / 63000,
}
BAYS = {
    ("bay_open_time", B1): 36000, ("bay_busy_time", B1): 19800, ("bay_occupied_time", B1): 25200,
    ("bay_utilization", B1): 0.55, ("bay_occupancy", B1): 0.7, ("bay_utilization", NONE): 0.55,
}
STALE = {"job_past_clock_out": 1, "job_over_sold_hours": 0, "shift_overrun": 0}
CORRECTED_TECHNICIANS = {
    ("job_time", T1): 18000, ("job_time", NONE): 21600, ("technician_productivity", T1): 18000 / 30600,
    ("technician_productivity", NONE): 21600 / 63000, ("technician_efficiency", NONE): 4 / 9,
}
CORRECTED_BAYS = {("bay_busy_time", B1): 18000, ("bay_utilization", B1): 0.5, ("bay_occupied_time", B1): 25200,
                  ("bay_utilization", NONE): 0.5}
CORRECTED_STALE = {"job_past_clock_out": 0, "job_over_sold_hours": 0, "shift_overrun": 0}
WEAK_SHARE = {"fair_price": 2 / 3, "charges_explained": 1 / 2, "vehicle_clean": 1.0, "waiting_area": 0.0}
WEAK_MIX = {"fair_price": 0.5, "charges_explained": 0.25, "vehicle_clean": 0.25, "waiting_area": 0.0}

# On /metrics (window "today"; month to date is the same single day), before the correction.
METRICS = {
    ("pitwall_kpi_technician_job_seconds", T1): 19800,
    ("pitwall_kpi_technician_productivity_ratio", T1): 19800 / 30600,
    ("pitwall_kpi_technician_efficiency_ratio", T1): 4 / 9,
    ("pitwall_kpi_job_seconds", NONE): 23400,
    ("pitwall_kpi_productivity_ratio", NONE): 23400 / 63000,
    ("pitwall_kpi_completed_jobs_clocked_seconds", NONE): 16200,
    ("pitwall_kpi_bay_busy_seconds", B1): 19800,
    ("pitwall_kpi_bay_utilization_ratio", B1): 0.55,
    ("pitwall_kpi_bay_occupancy_ratio", B1): 0.7,
    ("pitwall_kpi_utilization_ratio", NONE): 0.55,
    **{("pitwall_kpi_weak_item_no_ratio", (("item", i),)): v for i, v in WEAK_SHARE.items()},
    **{("pitwall_kpi_weak_item_mix_ratio", (("item", i),)): v for i, v in WEAK_MIX.items()},
    **{("pitwall_kpi_advisor_weak_item_mix_ratio", (("advisor", "amy"), ("item", i))): v for i, v in WEAK_MIX.items()},
}
STATE_METRICS = {("pitwall_kpi_stale_clocks", (("kind", k),)): v for k, v in STALE.items()}
CORRECTED_METRICS = {
    ("pitwall_kpi_technician_job_seconds", T1): 18000, ("pitwall_kpi_job_seconds", NONE): 21600,
    ("pitwall_kpi_bay_utilization_ratio", B1): 0.5,
}
CORRECTED_STATE_METRICS = {("pitwall_kpi_stale_clocks", (("kind", k),)): v for k, v in CORRECTED_STALE.items()}


class ForgottenClockDay:
    """Builds the events of `site` on `day` in time zone `tz`."""

    def __init__(self, site: str, tz: str, day: date) -> None:
        self.site, self.tz, self.day = site, tz, day

    def at(self, hhmm: str, days: int = 0) -> datetime:
        hours, minutes = map(int, hhmm.split(":"))
        when = datetime(self.day.year, self.day.month, self.day.day, hours, minutes, tzinfo=ZoneInfo(self.tz))
        return when + timedelta(days=days)

    def tech(self, cls: type, technician: str, hhmm: str, **extra: object) -> Event:
        return cls(site_id=self.site, occurred_at=self.at(hhmm), technician_id=technician, **extra)

    def clock(self, cls: type, job_id: str, hhmm: str, technician: str, **extra: object) -> Event:
        return cls(site_id=self.site, occurred_at=self.at(hhmm), job_id=job_id, repair_order_id="R" + job_id,
                   technician_id=technician, bay_id="B1", **extra)

    def survey(self, attempt: str, hhmm: str, weak_items: dict[str, bool]) -> r.FollowUpRecorded:
        return r.FollowUpRecorded(
            site_id=self.site, occurred_at=self.at(hhmm), repair_order_id="RO-" + attempt, attempt_id=attempt, attempt_number=1,
            channel=r.FollowUpChannel.PHONE, reached=True, advisor="amy", delivered_at=self.at("16:00", days=-1),
            due_at=self.at("23:59", days=2), weak_items=weak_items, closes_follow_up=True)

    def events(self) -> list[Event]:
        """The day up to the evening, in the order things happened."""
        s, at, tech, clock = self.site, self.at, self.tech, self.clock
        queued = [w.JobQueued(site_id=s, occurred_at=at("08:30"), job_id=j, repair_order_id="R" + j, ro_number="R" + j,
                              sold_hours=Decimal(h), approved_at=at("08:30")) for j, h in (("J1", "2.0"), ("J2", "1.0"))]
        return [
            r.SiteConfigured(site_id=s, occurred_at=at("06:00"), name="Forgotten clock", time_zone=self.tz,
                             opening_hours=OPENING, labour_rate=Decimal(100), technician_cost_rate=Decimal(30),
                             tax_rate=Decimal("0.13"), comeback_window_days=30),
            w.BayStatusChanged(site_id=s, occurred_at=at("07:00"), bay_id="B1", name="Lift 1", kind="lift", status=w.BayStatus.OPEN),
            tech(w.TechnicianClockedIn, "T1", "08:00", name="Chen", shift_end=at("17:00")),
            tech(w.TechnicianClockedIn, "T2", "08:00", name="Dana", shift_end=at("17:00")),
            *queued,
            clock(w.JobClockedOn, "J1", "09:00", "T1"),
            clock(w.JobClockedOn, "J1", "10:00", "T2"), clock(w.JobClockedOff, "J1", "11:00", "T2"),
            self.survey("S1", "10:30", {"fair_price": False, "charges_explained": True, "vehicle_clean": False}),
            self.survey("S2", "11:30", {"fair_price": False, "charges_explained": False}),
            tech(w.TechnicianBreakStarted, "T1", "12:00"), tech(w.TechnicianBreakEnded, "T1", "12:30"),
            clock(w.JobCompleted, "J1", "13:00", "T1", sold_hours=Decimal("2.0")),
            self.survey("S3", "14:00", {"fair_price": True, "waiting_area": True}),
            clock(w.JobClockedOn, "J2", "15:00", "T1"),
            tech(w.TechnicianClockedOut, "T1", "17:00"), tech(w.TechnicianClockedOut, "T2", "17:00"),
            tech(w.StaleClockFlagged, "T1", "17:05", job_id="J2", kind=w.StaleClockKind.JOB_PAST_CLOCK_OUT, since=at("17:00")),
            tech(w.StaleClockFlagged, "T1", "17:10", job_id="J2", kind=w.StaleClockKind.JOB_OVER_SOLD_HOURS, since=at("16:00")),
        ]

    def correction(self) -> w.ClockingAdjusted:
        """The foreman ends the forgotten clock at 16:30."""
        return w.ClockingAdjusted(site_id=self.site, occurred_at=self.at("19:00"), technician_id="T1", adjustment_id="ADJ-J2",
                                  job_id="J2", original_start=self.at("15:00"), corrected_start=self.at("15:00"),
                                  corrected_end=self.at("16:30"), reason="forgot to clock off", adjusted_by="foreman")

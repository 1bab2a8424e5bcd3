"""What every dashboard query and alert must return for the two test sites, written out.

Site "A" is the KPI tests' scripted day (tests/kpi/day.py, hand-computed in tests/kpi/expected.py), seen in the
evening after the site closed; site "B" is the live morning of tests/deploy/floor.py; site "C" the follow-ups and
complaints of tests/deploy/aftercare.py. A new site has only this day, so month to date equals today. Values are
keyed by the label that tells the series apart ("" for one series).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.deploy import floor


@dataclass(frozen=True)
class Expect:
    """The series a query returns for `site`: `by` label value → value."""

    site: str
    values: dict[str, float]
    by: str = ""
    tolerance: float = 1e-9
    where: tuple[tuple[str, str], ...] = ()  # only the series with these labels


def one(site: str, value: float) -> Expect:
    return Expect(site, {"": value})


# Wait p90 by histogram_quantile on the KPI's buckets (60, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, ...),
# linear inside the bucket where rank 0.9 × count falls:
#   reception 300, 600, 600, 1200, 1800: rank 4.5 in (900, 1800] holding 2 of 5 → 900 + 900 × 1.5/2 = 1575
#   approval 600, 600, 1200, 1800, 3600: rank 4.5 in (1800, 3600] → 1800 + 1800 × 0.5/1 = 2700
#   dispatch 900, 1200, 1800, 9600: rank 3.6 in (7200, 14400] → 7200 + 7200 × 0.6 = 11520
#   parts 1800: rank 0.9 in (900, 1800] → 900 + 900 × 0.9 = 1710
#   qc 900, 900, 900: rank 2.7 in (600, 900] → 600 + 300 × 2.7/3 = 870
#   pickup 2700, 3600: rank 1.8 in (1800, 3600] → 1800 + 1800 × 1.8/2 = 3420
#   dwell 14400, 25200: rank 1.8 in (14400, 28800], 1 below → 14400 + 14400 × 0.8 = 25920
P90_TODAY = {"reception": 1575, "approval": 2700, "dispatch": 11520, "parts": 1710, "qc": 870}
P90_ALL = {**P90_TODAY, "pickup": 3420, "dwell": 25920}

WALL = {
    "Waiting at reception": one("B", floor.WAITING_AT_RECEPTION),
    "Reception wait p90, last hour": one("B", floor.RECEPTION_P90_LAST_HOUR),
    "In work": one("B", floor.WIP["in_work"]),
    "Waiting for work": one("B", floor.WIP["awaiting_work"]),
    "Ready for pickup": one("B", floor.WIP["ready"]),
    "Entries today": one("A", 5),
    "Bays now": Expect("B", {bay: float(state) for bay, state in floor.BAY_STATES.items()}, "bay"),
    "Bay utilization today": Expect("A", {"B1": 0.375, "B2": 1 / 3}, "bay"),
    "Productivity today": Expect("A", {"T1": 17100 / 30600, "T2": 10800 / 34200}, "technician"),
    "Efficiency today": Expect("A", {"T1": 11250 / 11700, "T2": 0.625}, "technician"),
    "Waits today, p90 against target": Expect("A", {k: float(v) for k, v in P90_TODAY.items()}, "kind"),
    "Revenue today": one("A", 700),
    "On time today": one("A", 0.5),
    "Parts on backorder": one("A", 1),
}

MANAGER = {
    "Entries, month to date": one("A", 5),
    "Customer-pay entries, month to date": one("A", 2),
    "ROs invoiced, month to date": one("A", 2),
    "Revenue, month to date": one("A", 700),
    "Labour revenue, month to date": one("A", 500),
    "Parts revenue, month to date": one("A", 80),
    "Revenue per RO (客单价), month to date": one("A", 350),
    "Effective labour rate, month to date": one("A", 100),  # 500 ÷ 5.0 sold hours invoiced
    "Technician efficiency, month to date": one("A", 0.8),
    "On time, month to date": one("A", 0.5),
    "Parts fill rate, month to date": one("A", 1 / 3),
    "Appointment show rate, month to date": one("A", 2 / 3),
    "Revenue by who pays, month to date": Expect("A", {"customer": 600, "warranty": 100}, "pay_type"),
    "Revenue by RO type, month to date": Expect("A", {"scheduled_maintenance": 230, "general_repair": 470}, "ro_type"),
    "Revenue mix, month to date": Expect("A", {"A": 500 / 700, "B": 80 / 700, "C": 120 / 700}, "refId"),
    "First-time fix, month to date": one("A", 0.5),
    "QC first pass, month to date": one("A", 0.5),
    "Warranty share of revenue, month to date": one("A", 100 / 700),
    "Warranty revenue, month to date": one("A", 100),
    "CSI, month to date": one("C", 4.5),  # one response: mean of 4 and 5
    "Follow-ups on time, month to date": one("C", 0.5),  # RC1 reached before its due day ended; RC2 not reached
    "Complaints per 100 ROs, month to date": one("C", 100),  # 2 complaints, 2 ROs delivered
    "Complaints open": one("C", 1),  # K1 resolved, K2 open
    "Radar 3 Paid-service ratio": one("A", 2 / 5),
    "Radar 4 Vehicles per technician": one("A", 1.0),
    "Radar 5 Bay utilization": one("A", 24300 / 68400),
    "Radar 6 Paid labour ÷ revenue": one("A", 400 / 700),
    "Radar 8 Gross margin": one("A", 410 / 700),
    "Radar 9 Comeback rate": one("A", 0.4),
    "Radar 10 Technician productivity": one("A", 27900 / 64800),
    "Entries per day": one("A", 5),
    "Revenue per day": one("A", 700),
    "Revenue per RO per day": one("A", 350),
    "Productivity per day": one("A", 27900 / 64800),
    "Bay utilization per day": one("A", 24300 / 68400),
    "Revenue month to date, day by day": one("A", 700),
}
BOARDS = {"pitwall-wall": WALL, "pitwall-manager": MANAGER}

# Recording rules the KPI's own exposition cannot check (it does not export these figures).
RECORDS = {
    "site:pitwall_kpi_effective_labour_rate": [Expect("A", {"today": 100, "month_to_date": 100}, "window")],
    "site:pitwall_kpi_paid_service_ratio": [Expect("A", {"today": 0.4, "month_to_date": 0.4}, "window")],
    "site:pitwall_kpi_wait_seconds:p90": [Expect("A", {f"{k}/{w}": float(v) for k, v in P90_ALL.items()
                                                       for w in ("today", "month_to_date")}, "kind/window"),
                                           Expect("B", {"reception": floor.RECEPTION_P90_LAST_HOUR}, "kind",
                                                  where=(("window", "rolling_hour"),)),
                                           Expect("B", floor.P90_TODAY, "kind", where=(("window", "today"),))],
    "site:pitwall_site_open": [one("A", 0), one("B", 1)],
    "site:pitwall_bay_state": [Expect("A", {"B1": 0, "B2": 0}, "bay"),
                               Expect("B", {bay: float(s) for bay, s in floor.BAY_STATES.items()}, "bay")],
    "site:pitwall_reception_waiting_vehicles": [one("A", 0), one("B", floor.WAITING_AT_RECEPTION)],
}
TARGETS = {"reception": 600, "approval": 1800, "dispatch": 3600, "parts": 3600, "qc": 1800}


@dataclass(frozen=True)
class Alert:
    """The series an alert's expression returns for the test's sites and processes, and its state once loaded."""

    labels: dict[str, str] = field(default_factory=dict)  # the one series' distinguishing labels; {} for none
    value: float = 0.0
    tolerance: float = 1e-9
    state: str = ""  # "active" (pending or firing) or "firing" in /api/v1/alerts
    above: tuple[str, float] | None = None  # returns exactly the series of this expression over this threshold
    others: str = ""  # besides the expected series, only series this expression returns (what other tests cause)


LAG = "sum by (group, topic) (max by (group, topic, partition) (pitwall_consumer_lag_events))"
API_P95 = "histogram_quantile(0.95, sum by (job, service, le) (rate(pitwall_http_request_duration_seconds_bucket[5m])))"

# "{A}", "{B}", "{group}" and "{dead}" are filled in with the test's sites, the kpi consumer group and the address
# nobody listens on. Of the alerts the test cannot provoke (Kafka stays up), those about the outbox return nothing
# (the kpi publishes nothing); those about load return exactly the series they measure over their threshold.
ALERTS = {
    "ReceptionWaitOverTarget": Alert({"site": "{B}", "kind": "reception"}, floor.RECEPTION_P90_LAST_HOUR, state="active"),
    "BayIdleWhileWorkWaits": Alert({"site": "{B}", "bay": "BI"}, 1, state="active"),
    # TS's job clock runs at one second per second while TS is clocked out (the slope over the KPI's refresh steps
    # reaches 1 once the 5-minute range is full).
    "JobClockRunningWhileNotClockedIn": Alert({"site": "{B}", "technician": "TS"}, 1, 0.5, state="active"),
    "RepairOrdersInProgressTooLong": Alert({"site": "{B}"}, floor.OVER_AGE_THRESHOLD, state="active"),
    "PitwallServiceDown": Alert({"instance": "{dead}", "job": "pitwall-services"}, 0, state="active"),
    # Other tests' poison events on the shared topics are dead-lettered by the kpi too.
    "EventsDeadLettered": Alert({"group": "{group}", "topic": "pitwall.parts.v1"}, 1, state="firing",
                                others='sum by (group, topic) (pitwall_consumer_events_total{outcome="dead_lettered"}) > 0'),
    "OutboxBacklogGrowing": Alert(),
    "OutboxOldestUnsentTooOld": Alert(above=("pitwall_outbox_oldest_unsent_age_seconds", 300)),
    "OutboxPublishFailing": Alert(),
    # Other tests keep publishing to the shared topics, so the kpi's lag is whatever it is: the alert must agree.
    "ConsumerLagHigh": Alert(above=(LAG, 1000)),
    # How fast the kpi answers depends on the machine's load: the alert must agree with the latency it measures.
    "ApiSlow": Alert(above=(API_P95, 1.0)),
}

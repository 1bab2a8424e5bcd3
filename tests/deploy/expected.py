"""What every dashboard query and alert must return for the two test sites, written out.

Site "A" is the KPI tests' scripted day (tests/kpi/day.py, hand-computed in tests/kpi/expected.py), seen in the
evening after the site closed, with the month's targets and reference data below (TARGETS_A, REFERENCE_A); site "B"
is the live morning of tests/deploy/floor.py; site "C" the follow-ups, complaints and warranty claims of
tests/deploy/aftercare.py. A new site has only this day, so month to date equals today. Values are keyed by the
label that tells the series apart ("" for one series).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.deploy import floor
from tests.deploy.aftercare import WARRANTY


@dataclass(frozen=True)
class Expect:
    """The series a query returns for `site`: `by` label value → value."""

    site: str
    values: dict[str, float]
    by: str = ""
    tolerance: float = 1e-9
    where: tuple[tuple[str, str], ...] = ()  # only the series with these labels
    age: bool = False  # values: how long before the live site's `now` something started; shown: its age when queried


# The month's targets and reference data the test enters for site A (PUT /kpi/sites/A/targets/{year} and
# /reference-data/{month}): yearly values, counts and money split equally over the twelve months.
TARGETS_A = {
    "vehicle_entries": 1200, "customer_pay_entries": 600, "labour_revenue": 120000, "parts_revenue": 60000,
    "revenue_per_vehicle": 400, "technician_productivity": 0.8, "bay_utilization": 0.7, "first_time_fix_rate": 0.95,
    "free_inspection_completion_rate": 0.9, "paid_maintenance_completion_rate": 0.5, "paid_service_ratio": 0.6,
    "vehicles_per_technician": 2, "customer_labour_revenue_share": 0.4, "revenue_per_service_employee": 50000,
    "gross_margin": 0.45, "comeback_rate": 0.02, "vehicle_retention_rate": 0.6, "staff_turnover_rate": 0.01,
}
MONTHLY_A = {name: value / 12 if name in ("vehicle_entries", "customer_pay_entries", "labour_revenue", "parts_revenue")
             else value for name, value in TARGETS_A.items()}
REFERENCE_A = {"vehicles_in_operation": 100, "service_headcount": 10, "leavers": 1, "vehicles_due_free_inspection": 4,
               "vehicles_due_paid_maintenance": 10}
# The twelve radar indicators of the day, month to date (with REFERENCE_A): 1 RO4 is a first free service ÷ 4 due;
# 2 RO1 scheduled maintenance ÷ 10 due; 7 700 ÷ 10 employees; 11 5 vehicles ÷ 100 in operation; 12 1 leaver ÷ 10.
RADAR_A = [
    ("free_inspection_completion_rate", 0.25), ("paid_maintenance_completion_rate", 0.1), ("paid_service_ratio", 0.4),
    ("vehicles_per_technician", 1.0), ("bay_utilization", 24300 / 68400), ("customer_labour_revenue_share", 400 / 700),
    ("revenue_per_service_employee", 70), ("gross_margin", 410 / 700), ("comeback_rate", 0.4),
    ("technician_productivity", 27900 / 64800), ("vehicle_retention_rate", 0.05), ("staff_turnover_rate", 0.1),
]
RADAR_TITLES = ["Free-inspection completion", "Paid-maintenance completion", "Paid-service ratio", "Vehicles per technician",
                "Bay utilization", "Paid labour ÷ revenue", "Revenue per service employee", "Gross margin", "Comeback rate",
                "Technician productivity", "Vehicle retention", "Staff turnover"]
# Month to date ÷ target of the MSI indicators (bars A–H): entries 5, customer-pay 2, labour 500, parts 80, revenue per
# vehicle 350, productivity, bay utilization, first-time fix 0.5.
ATTAINMENT_A = {"A": 5 / 100, "B": 2 / 50, "C": 500 / 10000, "D": 80 / 5000, "E": 350 / 400, "F": (27900 / 64800) / 0.8,
                "G": (24300 / 68400) / 0.7, "H": 0.5 / 0.95}


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
    "Longest wait at reception": Expect("B", {"": floor.LONGEST_WAIT_SINCE}, age=True),
    "Reception wait p90, last hour": one("B", floor.RECEPTION_P90_LAST_HOUR),
    "Entries today": one("A", 5),
    "Revenue today": one("A", 700),
    "On time today": one("A", 0.5),
    "In work": one("B", floor.WIP["in_work"]),
    "Waiting for work": one("B", floor.WIP["awaiting_work"]),
    "Waiting for parts": one("B", floor.WAITING_PARTS),
    "Ready for pickup": one("B", floor.WIP["ready"]),
    "Stale clocks": Expect("B", dict(zip("ABC", map(float, floor.STALE_CLOCKS.values()), strict=True)), "refId"),
    "Bays now": Expect("B", {floor.BAY_NAMES[bay]: float(state) for bay, state in floor.BAY_STATES.items()}, "name"),
    "Bay utilization today": Expect("A", {"Bay B1": 0.375, "Bay B2": 1 / 3}, "name"),
    "Productivity today": Expect("A", {"Alice": 17100 / 30600, "Bob": 10800 / 34200}, "name"),
    "Efficiency today": Expect("A", {"Alice": 11250 / 11700, "Bob": 0.625}, "name"),
    "Waits today, p90 against target": Expect("A", {k: float(v) for k, v in P90_TODAY.items()}, "kind"),
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
    "Weak items (mix), month to date": Expect("C", {"explained_work": 1.0}, "item"),  # F1's only weak answer
    "Month to date ÷ target (目标达成率)": Expect("A", ATTAINMENT_A, "refId"),
    **{f"Radar {i} {title}": Expect("A", {"A": value, "B": MONTHLY_A[name]}, "refId")
       for i, (title, (name, value)) in enumerate(zip(RADAR_TITLES, RADAR_A, strict=True), start=1)},
    "Warranty claims by status": Expect("C", {k: float(v) for k, v in WARRANTY["by_status"].items()}, "status"),
    "Warranty receivable": one("C", WARRANTY["receivable"]),
    "Warranty claimed and paid, month to date": Expect("C", {"A": WARRANTY["claimed"], "B": WARRANTY["paid"]}, "refId"),
    "Warranty rejection rate, month to date": one("C", WARRANTY["rejection"]),
    "Repair to submission, month to date": one("C", WARRANTY["to_submission"]),
    "Repair to payment, month to date": one("C", WARRANTY["to_payment"]),
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
    # TS's job clock, flagged by the workshop after TS clocked out, still runs.
    "StaleClock": Alert({"site": "{B}", "kind": "job_past_clock_out"}, 1, state="active"),
    "WipPastPromisedTime": Alert({"site": "{B}"}, floor.PAST_PROMISE, state="active"),
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

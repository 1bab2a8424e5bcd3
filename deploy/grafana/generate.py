"""Write the Grafana dashboards as JSON into deploy/grafana/dashboards/ (committed; provisioned by Grafana).

    .venv/bin/python deploy/grafana/generate.py           # write
    .venv/bin/python deploy/grafana/generate.py --check   # exit 1 if the committed JSON differs

Every query reads the `site:*` series of deploy/prometheus/rules/kpi-records.yml: one copy per site however many
KPI instances run. The wait targets come from the same file, so the board and the alerts agree.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import yaml
from grafana_foundation_sdk.builders import bargauge, piechart, stat, text, timeseries
from grafana_foundation_sdk.builders import common as options
from grafana_foundation_sdk.builders.dashboard import Dashboard, QueryVariable, ThresholdsConfig
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.piechart import PieChartLegendValues, PieChartType
from grafana_foundation_sdk.models.text import TextMode
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    DynamicConfigValue,
    GridPos,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
RULES = HERE.parent / "prometheus" / "rules" / "kpi-records.yml"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="pitwall-prometheus")
SITE = 'site="$site"'
WAIT_KINDS = ("reception", "approval", "dispatch", "parts", "qc")

Builder = stat.Panel | bargauge.Panel | piechart.Panel | timeseries.Panel | text.Panel


def wait_targets() -> dict[str, float]:
    """The p90 target of each wait kind, as recorded in Prometheus (`pitwall:wait_p90_target_seconds`)."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["labels"]["kind"]: float(rule["expr"].removeprefix("vector(").removesuffix(")"))
            for group in groups for rule in group["rules"] if rule.get("record") == "pitwall:wait_p90_target_seconds"}


def q(expr: str, legend: str = "", ref: str = "A", instant: bool = True) -> Dataquery:
    """A Prometheus query; instant for the current value, range for trends."""
    query = Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE).legend_format(legend or "__auto")
    return query.instant() if instant else query.range()


def steps(*pairs: tuple[float | None, str]) -> ThresholdsConfig:
    """Absolute thresholds: (from value, colour); the first from None."""
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([Threshold(value=v, color=c) for v, c in pairs])


def sizes(title: int, value: int | None) -> options.VizTextDisplayOptions:
    """Text sizes in pixels (value None: as large as the panel allows)."""
    chosen = options.VizTextDisplayOptions().title_size(title)
    return chosen.value_size(value) if value is not None else chosen


LAST = options.ReduceDataOptions().calcs(["lastNotNull"]).values(False)
NEUTRAL = steps((None, "blue"))
UP_IS_GOOD = {  # ratios where higher is better: red, orange, green bands
    "productivity": steps((None, "red"), (0.6, "orange"), (0.8, "green")),
    "efficiency": steps((None, "red"), (0.8, "orange"), (1.0, "green")),
    "utilization": steps((None, "red"), (0.5, "orange"), (0.7, "green")),
    "on_time": steps((None, "red"), (0.8, "orange"), (0.9, "green")),
    "first_time_fix": steps((None, "red"), (0.9, "orange"), (0.95, "green")),
}


class Layout:
    """Places panels left to right in rows of the 24-column grid, numbering them."""

    def __init__(self) -> None:
        self.panels: list[Builder] = []
        self._x = self._y = self._row_height = 0

    def row(self) -> None:
        """Start a new row below the tallest panel of this one."""
        self._y += self._row_height
        self._x = self._row_height = 0

    def add(self, panel: Builder, w: int, h: int) -> None:
        """Place a panel of w columns and h rows."""
        if self._x + w > 24:
            self.row()
        panel.id(len(self.panels) + 1).grid_pos(GridPos(h=h, w=w, x=self._x, y=self._y)).datasource(DATASOURCE)
        self.panels.append(panel)
        self._x += w
        self._row_height = max(self._row_height, h)


def big_stat(title: str, description: str, *queries: Dataquery, unit: str = "none", thresholds: ThresholdsConfig = NEUTRAL,
             decimals: int | None = 0, value_size: int | None = None) -> stat.Panel:
    """A single big number (or one per series), coloured by thresholds, readable from across the floor."""
    panel = (stat.Panel().title(title).description(description).unit(unit).thresholds(thresholds)
             .color_mode(common.BigValueColorMode.BACKGROUND).graph_mode(common.BigValueGraphMode.NONE)
             .text_mode(common.BigValueTextMode.VALUE).justify_mode(common.BigValueJustifyMode.CENTER)
             .reduce_options(LAST)
             .text(sizes(28, value_size)).no_value("–"))
    if decimals is not None:
        panel.decimals(decimals)
    for query in queries:
        panel.with_target(query)
    return panel


def bars(title: str, description: str, query: Dataquery, unit: str, thresholds: ThresholdsConfig,
         max_value: float | None = None) -> bargauge.Panel:
    """One horizontal bar per series (bay, technician, wait kind)."""
    panel = (bargauge.Panel().title(title).description(description).unit(unit).min(0).thresholds(thresholds)
             .with_target(query).orientation(common.VizOrientation.HORIZONTAL)
             .display_mode(common.BarGaugeDisplayMode.BASIC).show_unfilled(True).value_mode(common.BarGaugeValueMode.COLOR)
             .reduce_options(LAST)
             .text(sizes(24, 36)).no_value("–"))
    return panel.max(max_value) if max_value is not None else panel


def site_variable() -> QueryVariable:
    """The site shown; every query filters on it."""
    return (QueryVariable("site").label("Site").datasource(DATASOURCE)
            .query("label_values(site:pitwall_kpi_vehicle_entries, site)")
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD).sort(VariableSort.ALPHABETICAL_ASC))


def wip(state: str) -> str:
    return f'site:pitwall_kpi_wip_repair_orders{{{SITE}, state="{state}"}}'


def now(name: str, extra: str = "") -> str:
    """A `site:pitwall_kpi_*` state of the chosen site, now (no window)."""
    return f'site:pitwall_kpi_{name}{{{SITE}{", " + extra if extra else ""}}}'


def named(expr: str, key: str) -> str:
    """Per technician or bay (`key`), with its display name in `name`: joined from the KPI's info series, else its id."""
    info = f"site:pitwall_kpi_{key}_info{{{SITE}}}"
    return (f"({expr} * on (site, {key}) group_left (name) {info})"
            f' or ignoring (name) label_replace({expr}, "name", "$1", "{key}", "(.*)")')


def donut(title: str, description: str, expr: str, label: str, unit: str) -> piechart.Panel:
    """A donut of the series' shares, one slice per value of `label` (zero slices hidden)."""
    return (piechart.Panel().title(title).description(description).unit(unit)
            .with_target(q(f"{expr} > 0", "{{" + label + "}}")).pie_type(PieChartType.DONUT)
            .reduce_options(LAST)
            .legend(piechart.PieChartLegendOptions().show_legend(True).display_mode(common.LegendDisplayMode.TABLE)
                    .placement(common.LegendPlacement.RIGHT).values([PieChartLegendValues.VALUE, PieChartLegendValues.PERCENT])))


def fig(name: str, window: str, extra: str = "") -> str:
    """A `site:pitwall_kpi_*` figure of the chosen site over a window."""
    return f'site:pitwall_kpi_{name}{{{SITE}, window="{window}"{", " + extra if extra else ""}}}'


def wall() -> Dashboard:
    """The workshop wall: a TV across the floor, a few large panels, refreshed every 10 s."""
    targets = wait_targets()
    layout = Layout()
    reception = [
        ("Waiting at reception", "Cars that arrived today and have no repair order yet.", now("reception_queue_vehicles"),
         "none", steps((None, "green"), (3, "orange"), (5, "red"))),
        ("Longest wait at reception", "How long the car waiting longest for its repair order has been here; red past the "
         "reception wait target.", now("reception_queue_longest_wait_seconds"), "s",
         steps((None, "green"), (targets["reception"] / 2, "orange"), (targets["reception"], "red"))),
        ("Reception wait p90, last hour", "9 in 10 customers who got a repair order in the last hour waited at most this "
         "long from arrival; red over target.", fig("wait_seconds:p90", "rolling_hour", 'kind="reception"'), "s",
         steps((None, "green"), (targets["reception"], "red"))),
        ("Entries today", "Cars that arrived today.", fig("vehicle_entries", "today"), "none", NEUTRAL),
        ("Revenue today", "Invoiced today, before tax.", fig("revenue", "today"), "short", NEUTRAL),
        ("On time today", "Repair orders ready by their promised time ÷ those that became ready today.",
         fig("on_time_ratio", "today"), "percentunit", UP_IS_GOOD["on_time"]),
        ("In work", "Repair orders with a job started and not all finished (a paused job counts).", wip("in_work"), "none",
         NEUTRAL),
        ("Waiting for work", "Repair orders with approved jobs, none started yet: dispatch them.", wip("awaiting_work"),
         "none", steps((None, "green"), (1, "orange"))),
        ("Waiting for parts", "Repair orders not ready with a parts request or backorder not yet issued in full for an "
         "unfinished job (they also count in In work or Waiting for work).", now("waiting_parts_repair_orders"), "none",
         steps((None, "green"), (1, "orange"))),
        ("Ready for pickup", "Repair orders ready or invoiced, vehicle not yet handed back.",
         f'sum(site:pitwall_kpi_wip_repair_orders{{{SITE}, state=~"ready|invoiced"}})', "none", NEUTRAL),
    ]
    for title, description, expr, unit, thresholds in reception:
        layout.add(big_stat(title, description, q(expr), unit=unit, thresholds=thresholds,
                            decimals=None if unit == "s" else 1 if unit == "percentunit" else 0), w=4, h=7)
    stale = steps((None, "green"), (1, "red"))
    layout.add(big_stat("Stale clocks", "Clocks the workshop flagged stale that still run: fix them on the job board "
                        "(clock the job off or the technician out, or the foreman corrects the clocking).",
                        q(now("stale_clocks", 'kind="job_past_clock_out"'), "Job on after clock-out", "A"),
                        q(now("stale_clocks", 'kind="job_over_sold_hours"'), "Job far over sold hours", "B"),
                        q(now("stale_clocks", 'kind="shift_overrun"'), "Shift overrun", "C"), thresholds=stale, value_size=48)
               .text_mode(common.BigValueTextMode.VALUE_AND_NAME), w=8, h=7)
    layout.row()
    bay_states = ValueMap({"0": ValueMappingResult(text="Closed", color="#555555", index=0),
                           "1": ValueMappingResult(text="Empty", color="orange", index=1),
                           "2": ValueMappingResult(text="Car waiting", color="yellow", index=2),
                           "3": ValueMappingResult(text="Working", color="green", index=3)})
    layout.add(big_stat("Bays now", "Each bay: working (a job clocked on), car waiting (a car held, nobody on it), "
                        "empty (open, no car) or closed / out of service.",
                        q(named("site:pitwall_bay_state{" + SITE + "}", "bay"), "{{name}}"), value_size=40)
               .mappings([bay_states]).text_mode(common.BigValueTextMode.VALUE_AND_NAME), w=12, h=8)
    layout.add(bars("Bay utilization today", "Time a job was clocked on in the bay ÷ the bay's open time today.",
                    q(named(fig("bay_utilization_ratio", "today"), "bay"), "{{name}}"), "percentunit",
                    UP_IS_GOOD["utilization"], 1), w=12, h=8)
    layout.row()
    layout.add(bars("Productivity today", "Each technician: time clocked on jobs ÷ time clocked in today.",
                    q(named(fig("technician_productivity_ratio", "today"), "technician"), "{{name}}"), "percentunit",
                    UP_IS_GOOD["productivity"], 1), w=8, h=9)
    layout.add(bars("Efficiency today", "Each technician: sold hours of the jobs finished today ÷ the hours clocked on them.",
                    q(named(fig("technician_efficiency_ratio", "today"), "technician"), "{{name}}"), "percentunit",
                    UP_IS_GOOD["efficiency"], 1.5), w=8, h=9)
    kinds = "|".join(WAIT_KINDS)
    waits = bars("Waits today, p90 against target", "9 in 10 waits that ended today took at most this long; a bar turns "
                 "red over its target (reception: arrival → RO; approval: proposed → answered; dispatch: approved → "
                 "clocked on; parts: requested → issued; QC: job done → QC result).",
                 q(fig("wait_seconds:p90", "today", f'kind=~"{kinds}"'), "{{kind}}"), "s", steps((None, "green")))
    for kind in WAIT_KINDS:
        waits.override_by_name(kind, [DynamicConfigValue(id_val="thresholds", value=steps(
            (None, "green"), (targets[kind], "red")).build())])
    layout.add(waits, w=8, h=9)
    return board("pitwall-wall", "Workshop wall", "The floor right now, for the TV in the workshop.", "10s", "now-12h",
                 layout, DashboardCursorSync.OFF)


def daily(title: str, description: str, expr: str, unit: str) -> timeseries.Panel:
    """One bar per day over the last 30 days."""
    return (timeseries.Panel().title(title).description(description).unit(unit).interval("1d").min(0)
            .with_target(q(expr, title, instant=False)).draw_style(common.GraphDrawStyle.BARS).fill_opacity(60)
            .legend(options.VizLegendOptions().show_legend(False).display_mode(common.LegendDisplayMode.HIDDEN)
                    .placement(common.LegendPlacement.BOTTOM).calcs([])))


def day_max(name: str) -> str:
    """A "today" figure at its daily peak: the day's total (it only grows until the site's midnight)."""
    return f"max_over_time({fig(name, 'today')}[1d])"


def target(indicator: str) -> str:
    """This month's target of a radar or MSI indicator."""
    return f'site:pitwall_kpi_target{{{SITE}, figure="{indicator}"}}'


MTD = "month_to_date"
# The twelve radar indicators of the monthly review: (title, what it is, month-to-date expression, unit); their names
# in the KPI's targets are RADAR_INDICATORS, in the same order.
RADAR = [
    ("Free-inspection completion", "免费定检实施率: first free services opened ÷ vehicles due (reference data).",
     fig("free_inspection_completion_ratio", MTD), "percentunit"),
    ("Paid-maintenance completion", "有费定保实施率: scheduled maintenance opened ÷ vehicles due (reference data).",
     fig("paid_maintenance_completion_ratio", MTD), "percentunit"),
    ("Paid-service ratio", "有费服务比率: customer-pay entries ÷ entries.", fig("paid_service_ratio", MTD), "percentunit"),
    ("Vehicles per technician", "每维修工服务台数: ROs ready ÷ technicians who clocked in.", fig("vehicles_per_technician", MTD),
     "none"),
    ("Bay utilization", "修车位利用: bay busy time ÷ bay open time.", fig("utilization_ratio", MTD), "percentunit"),
    ("Paid labour ÷ revenue", "有费工资和总服务收入比: customer-pay labour revenue ÷ total revenue.",
     fig("customer_labour_revenue_share_ratio", MTD), "percentunit"),
    ("Revenue per service employee", "每服务人员的总服务收入: total revenue ÷ service headcount (reference data).",
     fig("revenue_per_service_employee", MTD), "short"),
    ("Gross margin", "毛利率: (revenue − parts, sublet and technician cost) ÷ revenue.", fig("gross_margin_ratio", MTD),
     "percentunit"),
    ("Comeback rate", "返修率: comeback ROs opened ÷ ROs opened (lower is better).", fig("comeback_ratio", MTD), "percentunit"),
    ("Technician productivity", "维修工生产率: job time ÷ attendance time.", fig("productivity_ratio", MTD), "percentunit"),
    ("Vehicle retention", "保有率: vehicles seen in the last 12 months ÷ vehicles in operation (reference data).",
     fig("vehicle_retention_ratio", MTD), "percentunit"),
    ("Staff turnover", "员工离职率: leavers ÷ service headcount (reference data; lower is better).",
     fig("staff_turnover_ratio", MTD), "percentunit"),
]
RADAR_INDICATORS = ("free_inspection_completion_rate", "paid_maintenance_completion_rate", "paid_service_ratio",
                    "vehicles_per_technician", "bay_utilization", "customer_labour_revenue_share",
                    "revenue_per_service_employee", "gross_margin", "comeback_rate", "technician_productivity",
                    "vehicle_retention_rate", "staff_turnover_rate")
# The MSI report's indicators: (bar name, month-to-date expression, indicator).
MSI = [
    ("Entries", fig("vehicle_entries", MTD), "vehicle_entries"),
    ("Customer-pay entries", fig("customer_pay_entries", MTD), "customer_pay_entries"),
    ("Labour revenue", fig("labour_revenue", MTD), "labour_revenue"),
    ("Parts revenue", fig("parts_revenue", MTD), "parts_revenue"),
    ("Revenue per vehicle", fig("revenue_per_repair_order", MTD), "revenue_per_vehicle"),
    ("Technician productivity", fig("productivity_ratio", MTD), "technician_productivity"),
    ("Bay utilization", fig("utilization_ratio", MTD), "bay_utilization"),
    ("First-time fix", fig("first_time_fix_ratio", MTD), "first_time_fix_rate"),
]


def attainment_panel() -> bargauge.Panel:
    """Month to date ÷ this month's target for each indicator of the MSI report (目标达成率)."""
    panel = bars("Month to date ÷ target (目标达成率)", "Each MSI indicator against this month's target (set on the KPI "
                 "service, PUT /kpi/sites/{site}/targets/{year}). Counts and money build up over the month: compare them "
                 "with the share of the month gone; rates compare as they are. No bar: no target set.",
                 q(f"{MSI[0][1]} / on (site) {target(MSI[0][2])}", MSI[0][0], "A"), "percentunit",
                 steps((None, "red"), (0.9, "orange"), (1.0, "green")), 1.2)
    for i, (name, expr, indicator) in enumerate(MSI[1:], start=1):
        panel.with_target(q(f"{expr} / on (site) {target(indicator)}", name, chr(ord("A") + i)))
    return panel.orientation(common.VizOrientation.VERTICAL)


def warranty(layout: Layout) -> None:
    """The warranty claims row: claims by status and money owed now; rejections, claimed, paid and delays this month."""
    statuses = bars("Warranty claims by status", "Claims towards the OEM by their status now (draft, validated, submitted, "
                    "accepted, returned for correction, rejected, paid, debited, closed).",
                    q(now("warranty_claims"), "{{status}}"), "none", NEUTRAL)
    layout.add(statuses, w=6, h=8)
    layout.add(big_stat("Warranty receivable", "Still to come from the OEM: claims submitted, accepted or returned and not "
                        "yet paid (approved amount, else claimed), before tax.", q(now("warranty_receivable")), unit="short",
                        value_size=36), w=3, h=8)
    layout.add(big_stat("Warranty claimed and paid, month to date", "Amounts claimed at first submission, and paid by the "
                        "OEM, this month.", q(fig("warranty_claimed", MTD), "Claimed", "A"),
                        q(fig("warranty_paid", MTD), "Paid", "B"), unit="short", value_size=28)
               .text_mode(common.BigValueTextMode.VALUE_AND_NAME), w=5, h=8)
    layout.add(big_stat("Warranty rejection rate, month to date", "Claims rejected ÷ claims decided (first decision: "
                        "accepted or rejected) this month.", q(fig("warranty_rejection_ratio", MTD)), unit="percentunit",
                        thresholds=steps((None, "green"), (0.05, "orange"), (0.1, "red")), decimals=1, value_size=36),
               w=4, h=8)
    for title, name, description in (
            ("Repair to submission", "warranty_repair_to_submission_seconds", "Mean time from the repair to the claim's "
             "first submission, over the claims first submitted this month (the OEM's deadline counts from the repair)."),
            ("Repair to payment", "warranty_repair_to_payment_seconds", "Mean time from the repair to the OEM's payment, "
             "over the claims paid this month.")):
        layout.add(big_stat(f"{title}, month to date", description, q(fig(name, MTD)), unit="s", decimals=None,
                            value_size=36), w=3, h=8)


def manager() -> Dashboard:
    """The service manager's board: month to date, revenue mix, quality, the radar items, trends by day."""
    layout = Layout()
    mtd = MTD
    month = [
        ("Entries", "Cars that arrived this month.", "vehicle_entries", "none", NEUTRAL),
        ("Customer-pay entries", "Arrivals whose RO has a customer-pay line.", "customer_pay_entries", "none", NEUTRAL),
        ("ROs invoiced", "Repair orders invoiced this month.", "repair_orders_invoiced", "none", NEUTRAL),
        ("Revenue", "Total service revenue invoiced, before tax.", "revenue", "short", NEUTRAL),
        ("Labour revenue", "Sold hours × labour rate, whoever pays.", "labour_revenue", "short", NEUTRAL),
        ("Parts revenue", "Parts invoiced, before tax.", "parts_revenue", "short", NEUTRAL),
        ("Revenue per RO (客单价)", "Total revenue ÷ repair orders invoiced.", "revenue_per_repair_order", "short", NEUTRAL),
        ("Effective labour rate", "Labour revenue ÷ sold hours invoiced.", "effective_labour_rate", "short", NEUTRAL),
        ("Technician efficiency", "Sold hours of the jobs completed ÷ the hours clocked on them.", "efficiency_ratio",
         "percentunit", UP_IS_GOOD["efficiency"]),
        ("On time", "ROs ready by the promised time ÷ ROs that became ready.", "on_time_ratio", "percentunit",
         UP_IS_GOOD["on_time"]),
        ("Parts fill rate", "Request lines issued in full from stock at first pick.", "parts_fill_ratio", "percentunit",
         NEUTRAL),
        ("Appointment show rate", "Appointments due whose car arrived.", "appointment_show_ratio", "percentunit", NEUTRAL),
    ]
    for title, description, name, unit, thresholds in month:
        layout.add(big_stat(f"{title}, month to date", description, q(fig(name, mtd)), unit=unit, thresholds=thresholds,
                            decimals=1 if unit == "percentunit" else 0), w=4, h=5)
    layout.row()
    for title, name, label in (("Revenue by who pays, month to date", "revenue_by_pay_type", "pay_type"),
                               ("Revenue by RO type, month to date", "revenue_by_ro_type", "ro_type")):
        layout.add(donut(title, "Invoiced before tax; zero slices are hidden.", fig(name, mtd), label, "short"), w=8, h=8)
    layout.add(big_stat("Revenue mix, month to date", "Labour, parts and sublet revenue ÷ total revenue.",
                        q(fig("labour_revenue_share_ratio", mtd), "Labour", "A"),
                        q(fig("parts_revenue_share_ratio", mtd), "Parts", "B"),
                        q(fig("sublet_revenue_share_ratio", mtd), "Sublet", "C"), unit="percentunit", decimals=1)
               .text_mode(common.BigValueTextMode.VALUE_AND_NAME), w=8, h=8)
    layout.row()
    quality = [
        ("First-time fix", "ROs invoiced with no QC fail and no comeback ÷ ROs invoiced (一次修复率; comebacks: radar 9).",
         "first_time_fix_ratio", "", "percentunit", UP_IS_GOOD["first_time_fix"]),
        ("QC first pass", "ROs whose first QC result was a pass ÷ ROs with a QC result.", "qc_first_pass_ratio", "",
         "percentunit", UP_IS_GOOD["first_time_fix"]),
        ("Warranty share of revenue", "Warranty-paid amounts invoiced ÷ total revenue (the claims to the OEM: below).",
         "revenue_share_by_pay_type_ratio", 'pay_type="warranty"', "percentunit", NEUTRAL),
        ("Warranty revenue", "Invoice amounts the OEM pays under warranty, before tax.", "revenue_by_pay_type",
         'pay_type="warranty"', "short", NEUTRAL),
    ]
    for title, description, name, extra, unit, thresholds in quality:
        layout.add(big_stat(f"{title}, month to date", description, q(fig(name, mtd, extra)), unit=unit,
                            thresholds=thresholds, decimals=1 if unit == "percentunit" else 0), w=6, h=5)
    layout.row()
    customers = [
        ("CSI", "Overall satisfaction, 1–5: mean of each follow-up response's mean score (回访).", "csi_score", "none",
         steps((None, "red"), (4, "orange"), (4.5, "green")), 2),
        ("Follow-ups on time", "Delivered ROs whose customer was reached by the end of the due day ÷ those due.",
         "follow_up_completion_ratio", "percentunit", UP_IS_GOOD["on_time"], 1),
        ("Complaints per 100 ROs", "Complaints opened × 100 ÷ ROs delivered (投诉).", "complaints_per_100_repair_orders", "none",
         steps((None, "green"), (1, "orange"), (3, "red")), 1),
    ]
    for title, description, name, unit, thresholds, decimals in customers:
        layout.add(big_stat(f"{title}, month to date", description, q(fig(name, mtd)), unit=unit, thresholds=thresholds,
                            decimals=decimals), w=6, h=5)
    layout.add(big_stat("Complaints open", "Complaints opened and not yet resolved.",
                        q("site:pitwall_kpi_complaints_open{" + SITE + "}"), thresholds=steps((None, "green"), (1, "orange"))),
               w=6, h=5)
    layout.add(donut("Weak items (mix), month to date",
                     "Each item's 'weak' answers ÷ all 'weak' answers of the follow-up surveys (顾客满意度弱项分析).",
                     fig("weak_item_mix_ratio", mtd), "item", "percentunit"), w=8, h=8)
    layout.row()
    layout.add(attainment_panel(), w=24, h=9)
    layout.row()
    for number, (title, description, expr, unit) in enumerate(RADAR, start=1):
        indicator = RADAR_INDICATORS[number - 1]
        panel = big_stat(f"Radar {number} {title}", description + " Month to date, and this month's target.",
                         q(expr, "Month to date", "A"), q(target(indicator), "Target", "B"), unit=unit,
                         decimals=2 if unit in ("none", "short") else 1)
        layout.add(panel.text_mode(common.BigValueTextMode.VALUE_AND_NAME), w=4, h=6)
    layout.row()
    warranty(layout)
    layout.row()
    trends = [
        ("Entries per day", day_max("vehicle_entries"), "none"),
        ("Revenue per day", day_max("revenue"), "short"),
        ("Revenue per RO per day", f"{day_max('revenue')} / ({day_max('repair_orders_invoiced')} > 0)", "short"),
        ("Productivity per day", f"{day_max('job_seconds')} / ({day_max('attendance_seconds')} > 0)", "percentunit"),
        ("Bay utilization per day", f"{day_max('busy_seconds')} / ({day_max('open_seconds')} > 0)", "percentunit"),
        ("Revenue month to date, day by day", fig("revenue", mtd), "short"),
    ]
    for title, expr, unit in trends:
        panel = daily(title, "Each bar: the site's day that ended in the 24 hours before it.", expr, unit)
        if "day by day" in title:
            panel.description("Month-to-date revenue as it built up.").draw_style(common.GraphDrawStyle.LINE)
        layout.add(panel, w=8, h=8)
    return board("pitwall-manager", "Service manager", "Month to date, revenue mix, quality, radar and trends by day.",
                 "1m", "now-30d", layout, DashboardCursorSync.CROSSHAIR)


def board(uid: str, title: str, description: str, refresh: str, since: str, layout: Layout,
          cursor: DashboardCursorSync) -> Dashboard:
    """A dashboard with the site variable and the laid-out panels."""
    dashboard = (Dashboard(title).uid(uid).description(description).tags(["pitwall", "generated"]).refresh(refresh)
                 .time(since, "now").timezone("browser").tooltip(cursor).readonly().with_variable(site_variable()))
    for panel in layout.panels:
        dashboard.with_panel(panel)
    return dashboard


BOARDS: dict[str, Callable[[], Dashboard]] = {"workshop-wall.json": wall, "service-manager.json": manager}


def render() -> dict[str, str]:
    """File name → JSON text of every board."""
    encoder = JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False)
    return {name: encoder.encode(build().build()) + "\n" for name, build in BOARDS.items()}


def main() -> int:
    """Write the boards, or with --check say whether the committed ones are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed board differs from the generator")
    args = parser.parse_args()
    stale = []
    for name, content in render().items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text() != content:
                stale.append(name)
        else:
            path.write_text(content)
    if stale:
        print(f"out of date: {', '.join(stale)}; run .venv/bin/python deploy/grafana/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reading the KPI service as a manager would (REST and /metrics) and saying where it differs from the log's figures."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.expected import WAIT_KINDS, Expected, Key, nearest_rank
from tests.kit import auth

AREAS = ("technicians", "bays", "waits", "wip", "money", "quality", "parts", "appointments")
# The Prometheus names the KPI service publishes (its documented contract), under pitwall_kpi_[technician_|bay_].
METRICS: dict[str, str | None] = {
    "attendance_time": "attendance_seconds", "job_time": "job_seconds", "sold_time": "sold_seconds",
    "completed_jobs_clocked_time": "completed_jobs_clocked_seconds", "technician_productivity": "productivity_ratio",
    "technician_efficiency": "efficiency_ratio", "technician_proficiency": "proficiency_ratio",
    "technicians_clocked_in": "technicians_clocked_in", "vehicles_per_technician": "vehicles_per_technician",
    "bay_open_time": "open_seconds", "bay_busy_time": "busy_seconds", "bay_occupied_time": "occupied_seconds",
    "bay_utilization": "utilization_ratio", "bay_occupancy": "occupancy_ratio", "bays_open": "bays_open",
    "bay_turnover": "bay_turnover", "on_time_rate": "on_time_ratio", "vehicle_entries": "vehicle_entries",
    "repair_orders_opened": "repair_orders_opened", "repair_orders_ready": "repair_orders_ready",
    "repair_orders_invoiced": "repair_orders_invoiced", "repair_orders_delivered": "repair_orders_delivered",
    "entry_share_by_ro_type": "entries_share_by_ro_type_ratio", "customer_pay_entries": "customer_pay_entries",
    "comeback_entry_share": "comeback_entries_share_ratio", "wip": "wip_repair_orders", "wip_total": "wip_total_repair_orders",
    "wip_oldest_age": "wip_oldest_age_seconds", "wip_over_threshold": "wip_over_threshold_repair_orders",
    "labour_revenue": "labour_revenue", "parts_revenue": "parts_revenue", "sublet_revenue": "sublet_revenue",
    "total_revenue": "revenue", "revenue_per_repair_order": "revenue_per_repair_order", "invoiced_sold_time": "invoiced_sold_seconds",
    "effective_labour_rate": None, "gross_margin": "gross_margin_ratio", "labour_revenue_share": "labour_revenue_share_ratio",
    "parts_revenue_share": "parts_revenue_share_ratio", "sublet_revenue_share": "sublet_revenue_share_ratio",
    "customer_labour_revenue_share": "customer_labour_revenue_share_ratio", "revenue_by_pay_type": "revenue_by_pay_type",
    "revenue_share_by_pay_type": "revenue_share_by_pay_type_ratio", "revenue_by_ro_type": "revenue_by_ro_type",
    "revenue_share_by_ro_type": "revenue_share_by_ro_type_ratio", "comeback_rate": "comeback_ratio",
    "first_time_fix_rate": "first_time_fix_ratio", "qc_first_pass_rate": "qc_first_pass_ratio", "parts_fill_rate": "parts_fill_ratio",
    "open_backorders": "open_backorders", "parts_below_reorder_point": "parts_below_reorder_point",
    "appointments_due": "appointments_due", "appointment_show_rate": "appointment_show_ratio",
    "booked_arrival_share": "booked_arrivals_share_ratio",
}
STATES = {"wip", "wip_total", "wip_oldest_age", "wip_over_threshold", "open_backorders", "parts_below_reorder_point"}


def close(a: float | None, b: float | None) -> bool:
    """Equal, up to float noise."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@dataclass
class Rest:
    """One site's figures over one window, as the KPI REST API gives them."""

    values: dict[Key, float | None]
    waits: dict[str, dict[str, Any]]
    names: dict[str, str]
    as_of: str


async def rest(client: httpx.AsyncClient, site: str, params: dict[str, str]) -> Rest:
    """Every area of the site over the window."""
    values: dict[Key, float | None] = {}
    waits: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    as_of = ""
    for area in AREAS:
        answer = await client.get(f"/kpi/sites/{site}/{area}", params=params, headers=auth(["manager"], [site]))
        assert answer.status_code == 200, f"{area}: {answer.status_code} {answer.text}"
        body = answer.json()
        as_of = body["window"]["as_of"]
        for figure in body["figures"]:
            values[(figure["name"], tuple(sorted(figure["labels"].items())))] = figure["value"]
        waits.update({w["kind"]: w for w in body["waits"]})
        names.update(body["names"])
    return Rest(values, waits, names, as_of)


def rest_differences(expected: Expected, got: Rest) -> list[str]:
    """Every figure and wait where the KPI's answer is not the log's."""
    problems = []
    for key in sorted(set(expected.values) | set(got.values)):
        if key not in got.values:
            problems.append(f"KPI lacks {key} (expected {expected.values[key]})")
        elif key not in expected.values:
            problems.append(f"KPI has {key} = {got.values[key]} that the log does not give")
        elif not close(expected.values[key], got.values[key]):
            problems.append(f"{key}: KPI {got.values[key]}, log {expected.values[key]}")
    for kind in WAIT_KINDS:
        samples = expected.waits[kind]
        mine = {"count": len(samples), "sum": float(sum(samples)), "p50": nearest_rank(samples, 0.5),
                "p90": nearest_rank(samples, 0.9), "max": max(samples) if samples else None}
        theirs = got.waits.get(kind)
        if theirs is None:
            problems.append(f"KPI lacks the {kind} wait")
            continue
        for stat, value in mine.items():
            if not close(value, theirs[stat]):
                problems.append(f"{kind} wait {stat}: KPI {theirs[stat]}, log {value}")
    return problems


def parse_metrics(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Prometheus text as (sample name, labels) → value."""
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def metric_differences(expected: Expected, site: str, samples: dict[tuple[str, frozenset[tuple[str, str]]], float],
                       skip: Iterable[str] = ()) -> list[str]:
    """Where /metrics (window "today") differs from the log's figures of the day."""
    problems = []
    for (name, labels), value in sorted(expected.values.items(), key=str):
        metric = METRICS[name]
        if metric is None or name in skip:
            continue
        keys = dict(labels)
        scope = "technician_" if "technician" in keys else "bay_" if "bay" in keys else ""
        keys["site"] = site
        if name not in STATES:
            keys["window"] = "today"
        found = samples.get((f"pitwall_kpi_{scope}{metric}", frozenset(keys.items())))
        if value is None:
            if found is not None:
                problems.append(f"/metrics has {name}{keys} = {found}, the log gives none")
        elif found is None or not close(value, found):
            problems.append(f"/metrics {name}{keys}: {found}, log {value}")
    for kind in WAIT_KINDS:
        labels = {"site": site, "kind": kind, "window": "today"}
        data = expected.waits[kind]
        count = samples.get(("pitwall_kpi_wait_seconds_count", frozenset(labels.items())))
        total = samples.get(("pitwall_kpi_wait_seconds_sum", frozenset(labels.items())))
        if not close(count, float(len(data))) or not close(total, float(sum(data))):
            problems.append(f"/metrics {kind} wait: count {count} sum {total}, log count {len(data)} sum {sum(data)}")
        for (sample, keys), value in samples.items():
            d = dict(keys)
            if sample == "pitwall_kpi_wait_seconds_bucket" and {k: d.get(k) for k in labels} == labels:
                bound = float(d["le"])
                if not close(value, float(sum(1 for x in data if x <= bound))):
                    problems.append(f"/metrics {kind} wait bucket le={d['le']}: {value}, log {sum(1 for x in data if x <= bound)}")
    return problems

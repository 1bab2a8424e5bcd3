"""Assertions on what the kpi service answers for the scripted day, over REST and /metrics."""

from __future__ import annotations

import subprocess
from datetime import date

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.kpi import expected
from tests.kpi.support import area, by_name, next_day


def check_area(answer: dict, wanted: dict) -> None:
    """Each wanted figure has its hand-computed value, a unit, a formula and the answer's window."""
    got = by_name(answer)
    for key, value in wanted.items():
        assert key in got, f"{key} missing from {sorted(got)}"
        assert got[key] == pytest.approx(value, abs=1e-9), key
    for figure in answer["figures"]:
        assert figure["unit"] and figure["formula"] and figure["window"] == answer["window"]


def check_waits(answer: dict) -> None:
    """The seven waits with their hand-computed count, sum, p50, p90 and max."""
    waits = {w["kind"]: (w["count"], w["sum"], w["p50"], w["p90"], w["max"]) for w in answer["waits"]}
    assert waits == expected.WAITS
    assert all(w["unit"] == "seconds" and w["formula"] for w in answer["waits"])


async def check_day_over_rest(client: httpx.AsyncClient, site: str, **window: str) -> None:
    """Every area of the scripted day."""
    for path, wanted in expected.AREAS.items():
        answer = await area(client, site, path, **window)
        check_area(answer, wanted)
        if path == "waits":
            check_waits(answer)
    names = (await area(client, site, "technicians", **window))["names"]
    assert names == {"T1": "Alice", "T2": "Bob"}
    assert not any(f["provisional"] for f in (await area(client, site, "technicians", **window))["figures"])


async def check_day(client: httpx.AsyncClient, site: str, day: date) -> None:
    """The scripted day over the `today` window and the same day given as a from/to range."""
    await check_day_over_rest(client, site, window="today")
    await check_day_over_rest(client, site, **{"from": day.isoformat(), "to": next_day(day)})


# Written out: the metric names and values the scripted day must show for window="today".
METRICS = {
    ("pitwall_kpi_technician_attendance_seconds", (("technician", "T1"),)): 30600,
    ("pitwall_kpi_technician_attendance_seconds", (("technician", "T2"),)): 34200,
    ("pitwall_kpi_technician_job_seconds", (("technician", "T1"),)): 17100,
    ("pitwall_kpi_technician_sold_seconds", (("technician", "T2"),)): 6750,
    ("pitwall_kpi_technician_efficiency_ratio", (("technician", "T2"),)): 0.625,
    ("pitwall_kpi_attendance_seconds", ()): 64800,
    ("pitwall_kpi_job_seconds", ()): 27900,
    ("pitwall_kpi_sold_seconds", ()): 18000,
    ("pitwall_kpi_productivity_ratio", ()): 27900 / 64800,
    ("pitwall_kpi_efficiency_ratio", ()): 0.8,
    ("pitwall_kpi_proficiency_ratio", ()): 18000 / 64800,
    ("pitwall_kpi_vehicles_per_technician", ()): 1.0,
    ("pitwall_kpi_bay_open_seconds", (("bay", "B2"),)): 32400,
    ("pitwall_kpi_bay_busy_seconds", (("bay", "B1"),)): 13500,
    ("pitwall_kpi_bay_occupied_seconds", (("bay", "B1"),)): 20700,
    ("pitwall_kpi_bay_utilization_ratio", (("bay", "B1"),)): 0.375,
    ("pitwall_kpi_bay_occupancy_ratio", (("bay", "B1"),)): 0.575,
    ("pitwall_kpi_utilization_ratio", ()): 24300 / 68400,
    ("pitwall_kpi_occupancy_ratio", ()): 31500 / 68400,
    ("pitwall_kpi_bay_turnover", ()): 1.0,
    ("pitwall_kpi_on_time_ratio", ()): 0.5,
    ("pitwall_kpi_vehicle_entries", ()): 5,
    ("pitwall_kpi_repair_orders_opened", ()): 5,
    ("pitwall_kpi_repair_orders_delivered", ()): 2,
    ("pitwall_kpi_entries_share_by_ro_type_ratio", (("ro_type", "general_repair"),)): 0.4,
    ("pitwall_kpi_revenue", ()): 700,
    ("pitwall_kpi_labour_revenue", ()): 500,
    ("pitwall_kpi_revenue_per_repair_order", ()): 350,
    ("pitwall_kpi_gross_margin_ratio", ()): 410 / 700,
    ("pitwall_kpi_revenue_share_by_pay_type_ratio", (("pay_type", "warranty"),)): 100 / 700,
    ("pitwall_kpi_revenue_share_by_ro_type_ratio", (("ro_type", "scheduled_maintenance"),)): 230 / 700,
    ("pitwall_kpi_comeback_ratio", ()): 0.4,
    ("pitwall_kpi_first_time_fix_ratio", ()): 0.5,
    ("pitwall_kpi_qc_first_pass_ratio", ()): 0.5,
    ("pitwall_kpi_parts_fill_ratio", ()): 1 / 3,
    ("pitwall_kpi_appointment_show_ratio", ()): 2 / 3,
    ("pitwall_kpi_booked_arrivals_share_ratio", ()): 0.4,
    ("pitwall_kpi_wait_seconds_count", (("kind", "reception"),)): 5,
    ("pitwall_kpi_wait_seconds_sum", (("kind", "reception"),)): 4500,
    ("pitwall_kpi_wait_seconds_bucket", (("kind", "reception"), ("le", "300.0"))): 1,
    ("pitwall_kpi_wait_seconds_bucket", (("kind", "reception"), ("le", "600.0"))): 3,
    ("pitwall_kpi_wait_seconds_bucket", (("kind", "reception"), ("le", "1800.0"))): 5,
    ("pitwall_kpi_wait_seconds_bucket", (("kind", "reception"), ("le", "+Inf"))): 5,
    ("pitwall_kpi_wait_seconds_bucket", (("kind", "dispatch"), ("le", "3600.0"))): 3,
    ("pitwall_kpi_wait_seconds_sum", (("kind", "dwell"),)): 39600,
}
STATE_METRICS = {  # read now, without a window label
    ("pitwall_kpi_wip_repair_orders", (("state", "open"),)): 2,
    ("pitwall_kpi_wip_repair_orders", (("state", "in_work"),)): 1,
    ("pitwall_kpi_wip_total_repair_orders", ()): 3,
    ("pitwall_kpi_open_backorders", ()): 1,
    ("pitwall_kpi_parts_below_reorder_point", ()): 1,
}


def samples_of(text: str, site: str) -> dict[tuple[str, tuple], float]:
    """(sample name, labels other than site) → value, for one site."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("site") == site:
                labels = {k: v for k, v in sample.labels.items() if k != "site"}
                found[(sample.name, tuple(sorted(labels.items())))] = sample.value
    return found


def day_metrics_mismatches(text: str, site: str) -> list[str]:
    """What /metrics shows differently from the scripted day (empty when it all matches)."""
    got = samples_of(text, site)
    wanted = {(name, tuple(sorted((*labels, ("window", "today"))))): value for (name, labels), value in METRICS.items()}
    wanted.update(STATE_METRICS)
    return [f"{key}: {got.get(key)} != {value}" for key, value in wanted.items()
            if key not in got or got[key] != pytest.approx(value, abs=1e-9)]


def kpi_families(text: str) -> list[str]:
    """The kpi families a /metrics page declares (by their TYPE lines), in page order."""
    return [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE pitwall_kpi_")]


def check_metric_names(text: str) -> None:
    """Only allowed labels; nothing like an RO id, VIN or customer; and promtool accepts the page."""
    # `name`: a technician's or bay's display name (info figures); `figure`: the indicator a target is for; `status`: a warranty claim's.
    allowed = {"site", "technician", "advisor", "bay", "pay_type", "ro_type", "state", "kind", "window", "le", "name", "figure", "status"}
    for family in text_string_to_metric_families(text):
        if family.name.startswith("pitwall_kpi_"):
            for sample in family.samples:
                assert set(sample.labels) <= allowed, sample
    assert "RO1" not in text and "VINV1" not in text and "c-V1" not in text
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result.stdout + result.stderr

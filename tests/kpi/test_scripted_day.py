"""A scripted day published on the real Kafka: every figure over REST and on /metrics, by hand."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.kit import auth, caught_up, eventually, new_site, publish, running
from tests.kpi import checks
from tests.kpi.day import Day
from tests.kpi.support import app_for, area, evening_zone, kpi_settings, start_at_end_of_topics

MANAGER = ["manager"]


async def check_summary(client: httpx.AsyncClient, site: str) -> None:
    answer = (await client.get(f"/kpi/sites/{site}/summary", headers=auth(["advisor"], [site]))).json()
    today, month = answer["windows"]
    assert today["window"]["kind"] == "today" and month["window"]["kind"] == "month_to_date"
    for window in (today, month):  # a new site: month to date is this day
        figures = {f["name"]: f["value"] for f in window["figures"]}
        assert figures["vehicle_entries"] == 5 and figures["total_revenue"] == 700 and figures["wip_total"] == 3
        assert figures["technician_productivity"] == pytest.approx(27900 / 64800)
        assert {w["kind"] for w in window["waits"]} == {"reception", "approval", "dispatch", "parts", "qc", "pickup", "dwell"}


async def check_reports(client: httpx.AsyncClient, site: str, month: str) -> None:
    year = int(month[:4])
    headers = auth(MANAGER, [site])
    reference = {"vehicles_in_operation": 100, "service_headcount": 10, "leavers": 1,
                 "vehicles_due_free_inspection": 4, "vehicles_due_paid_maintenance": 10}
    response = await client.put(f"/kpi/sites/{site}/reference-data/{month}", json=reference, headers=headers)
    assert response.status_code == 200, response.text
    labour = [1000.0] * 12
    labour[int(month[5:]) - 1] = 2000.0
    targets = {"targets": [
        {"indicator": "vehicle_entries", "yearly": 1200},
        {"indicator": "technician_productivity", "yearly": 0.8},
        {"indicator": "comeback_rate", "yearly": 0.05},
        {"indicator": "labour_revenue", "months": labour},
    ]}
    response = await client.put(f"/kpi/sites/{site}/targets/{year}", json=targets, headers=headers)
    assert response.status_code == 200, response.text

    radar = (await client.get(f"/kpi/sites/{site}/radar", params={"month": month}, headers=headers)).json()
    items = {i["indicator"]: i for i in radar["items"]}
    assert [i["number"] for i in radar["items"]] == list(range(1, 13))
    values = {name: item["value"] for name, item in items.items()}
    assert values == pytest.approx({
        "free_inspection_completion_rate": 1 / 4,  # RO4 is a first free service; 4 vehicles due
        "paid_maintenance_completion_rate": 1 / 10,  # RO1 scheduled maintenance; 10 due
        "paid_service_ratio": 2 / 5,  # customer-pay entries ÷ entries
        "vehicles_per_technician": 1.0,
        "bay_utilization": 24300 / 68400,
        "customer_labour_revenue_share": 400 / 700,
        "revenue_per_service_employee": 70.0,  # 700 ÷ 10
        "gross_margin": 410 / 700,
        "comeback_rate": 0.4,
        "technician_productivity": 27900 / 64800,
        "vehicle_retention_rate": 0.05,  # 5 distinct vehicles ÷ 100 in operation
        "staff_turnover_rate": 0.1,  # 1 leaver ÷ 10
    })
    assert items["comeback_rate"]["target"] == pytest.approx(0.05)
    assert items["comeback_rate"]["ratio"] == pytest.approx(0.05 / 0.4)  # lower is better
    assert items["technician_productivity"]["ratio"] == pytest.approx((27900 / 64800) / 0.8)
    assert items["gross_margin"]["target"] is None and items["gross_margin"]["ratio"] is None

    msi = (await client.get(f"/kpi/sites/{site}/msi", params={"month": month}, headers=headers)).json()
    rows = {i["indicator"]: i for i in msi["items"]}
    assert rows["vehicle_entries"] | {"label": ""} == rows["vehicle_entries"] | {
        "label": "", "actual": 5.0, "target": 100.0, "achievement_rate": 0.05, "last_year": 0.0}
    assert rows["labour_revenue"]["achievement_rate"] == pytest.approx(500 / 2000)
    assert rows["first_time_fix_rate"]["actual"] == 0.5 and rows["first_time_fix_rate"]["target"] is None
    assert rows["revenue_per_vehicle"]["actual"] == 350 and rows["revenue_per_vehicle"]["last_year"] is None


async def _none(mismatches: object) -> bool:
    return not await mismatches  # type: ignore[misc]


async def test_scripted_day_over_rest_and_metrics(database_url: str, kafka: str, tmp_path: Path) -> None:
    site = new_site()
    tz, day = evening_zone()
    settings = kpi_settings(database_url, kafka)
    await start_at_end_of_topics(settings)
    await publish(kafka, *Day(site, tz, day).events())
    app = app_for(settings)
    async with running(app) as client:
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=60)
        await checks.check_day(client, site, day)
        await check_summary(client, site)

        scraped: list[str] = []

        async def metrics_ready() -> list[str]:
            scraped[:] = [(await client.get("/metrics")).text]
            return checks.day_metrics_mismatches(scraped[0], site)

        try:
            await eventually(lambda: _none(metrics_ready()), timeout=20)
        except AssertionError:
            assert checks.day_metrics_mismatches(scraped[0], site) == []
        text = scraped[0]
        checks.check_metric_names(text)
        await check_reports(client, site, day.isoformat()[:7])
        oldest = next(f for f in (await area(client, site, "wip", window="today"))["figures"] if f["name"] == "wip_oldest_age")
        assert 7 * 3600 < oldest["value"] < 8 * 3600  # RO3 arrived at 13:00; it is now between 20:00 and 21:00
    await check_a_fresh_kpi_lists_every_family_of_the_day(kafka, tmp_path, text)


async def check_a_fresh_kpi_lists_every_family_of_the_day(kafka: str, tmp_path: Path, day_text: str) -> None:
    """A KPI that has seen no site yet declares every family the scripted day fills, each once: a new site's alerts and
    panels find the family rather than nothing."""
    fresh = kpi_settings(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}", kafka, run_consumer=False)
    async with running(app_for(fresh)) as client:
        text = (await client.get("/metrics")).text
    day, empty = checks.kpi_families(day_text), checks.kpi_families(text)
    assert len(day) == len(set(day)) and len(empty) == len(set(empty))
    assert set(day) <= set(empty), sorted(set(day) - set(empty))
    assert {"pitwall_kpi_on_time_ratio", "pitwall_kpi_target", "pitwall_kpi_advisor_csi_score", "pitwall_kpi_warranty_claims"} <= set(empty)
    assert "site=" not in text
    checks.check_metric_names(text)

"""The REST API without Kafka: windows, access, targets, reference data, time keeps moving, provisional hours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from services.kpi.app import create_app
from services.kpi.figures.reports import INDICATORS
from services.kpi.settings import KpiSettings
from shared.contracts import reception as r
from shared.contracts import workshop as w
from shared.outbox import utcnow
from tests.kit import auth, running
from tests.kpi.day import Day
from tests.kpi.harness import feed
from tests.kpi.support import area, by_name

SITE = "site-api"
DAY = Day(SITE, "Asia/Shanghai", date(2025, 3, 12))
MANAGER = auth(["manager"], [SITE])
ADVISOR = auth(["advisor"], [SITE])


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(KpiSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/kpi.db", run_relay=False, run_consumer=False))
    async with running(app) as c:
        c.app = app  # type: ignore[attr-defined]
        await feed(app.state.runtime.engine, [DAY.events()])
        yield c


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize("params, detail", [
    ({"from": "2025-03-12"}, "give both from and to"),
    ({"window": "today", "from": "2025-03-12", "to": "2025-03-13"}, "either window or from/to"),
    ({"from": "12/03/2025", "to": "2025-03-13"}, "from must be a date"),
    ({"from": "2025-03-13", "to": "2025-03-12"}, "to must be after from"),
    ({"from": "2020-01-01", "to": "2025-03-12"}, "at most 400 days"),
    ({"window": "yesterday"}, "window"),
])
async def test_a_bad_window_is_a_422_naming_the_problem(client: httpx.AsyncClient, params: dict, detail: str) -> None:
    body = problem(await client.get(f"/kpi/sites/{SITE}/money", params=params, headers=ADVISOR), 422)
    assert detail in body["detail"]


async def test_access_is_by_role_and_site(client: httpx.AsyncClient) -> None:
    problem(await client.get(f"/kpi/sites/{SITE}/bays"), 401)
    problem(await client.get(f"/kpi/sites/{SITE}/bays", headers=auth(["technician"], [SITE])), 403)
    problem(await client.get(f"/kpi/sites/{SITE}/bays", headers=auth(["manager"], ["elsewhere"])), 403)
    body = problem(await client.get("/kpi/sites/never-seen/bays", headers=auth(["manager"], ["*"])), 404)
    assert "never-seen" in body["detail"]
    for role in ("manager", "foreman", "advisor"):
        assert (await client.get(f"/kpi/sites/{SITE}/bays", headers=auth([role], [SITE]))).status_code == 200
    problem(await client.put(f"/kpi/sites/{SITE}/reference-data/2025-03", json={"leavers": 1}, headers=ADVISOR), 403)


async def test_a_date_range_is_read_in_the_site_time_zone(client: httpx.AsyncClient) -> None:
    answer = await area(client, SITE, "wip", **{"from": "2025-03-12", "to": "2025-03-13"})
    assert answer["window"]["start"] == "2025-03-12T00:00:00+08:00" and answer["window"]["time_zone"] == "Asia/Shanghai"
    assert by_name(answer)[("vehicle_entries", ())] == 5
    morning = await area(client, SITE, "wip", **{"from": "2025-03-12T08:00:00+08:00", "to": "2025-03-12T11:45"})
    figures = by_name(morning)
    assert figures[("vehicle_entries", ())] == 2 and figures[("repair_orders_delivered", ())] == 0  # RO1 leaves at 12:00
    assert figures[("wip_total", ())] == 2  # at 11:45 (local, as no offset was given): RO1 invoiced, RO2 in work
    assert figures[("wip", (("state", "invoiced"),))] == 1 and figures[("wip", (("state", "in_work"),))] == 1


async def test_targets_split_a_year_into_months_and_are_versioned(client: httpx.AsyncClient) -> None:
    url = f"/kpi/sites/{SITE}/targets"
    first = await client.get(url, params={"year": 2025}, headers=ADVISOR)
    assert first.status_code == 200 and first.json()["version"] == 0
    body = {"targets": [{"indicator": "vehicle_entries", "yearly": "1000", "weights": [1] * 11 + [9]},
                        {"indicator": "first_time_fix_rate", "yearly": "0.9"}]}
    response = await client.put(f"{url}/2025", json=body, headers=MANAGER | {"If-Match": first.headers["ETag"]})
    assert response.status_code == 200, response.text
    targets = {t["indicator"]: t for t in response.json()["targets"]}
    assert targets["vehicle_entries"]["months"] == [50.0] * 11 + [450.0]  # 1000 × 1/20 each, 9/20 in December
    assert targets["vehicle_entries"]["yearly"] == 1000.0
    assert targets["first_time_fix_rate"]["months"] == [0.9] * 12  # a rate is not split
    assert targets["gross_margin"]["months"] == [None] * 12
    stale = await client.put(f"{url}/2025", json=body, headers=MANAGER | {"If-Match": first.headers["ETag"]})
    problem(stale, 412)
    months = [Decimal(0)] * 12
    months[2] = Decimal(120)
    edited = await client.put(f"{url}/2025", json={"targets": [{"indicator": "vehicle_entries", "months": [str(m) for m in months]}]},
                              headers=MANAGER | {"If-Match": response.headers["ETag"]})
    assert edited.json()["version"] == 2
    assert {t["indicator"]: t for t in edited.json()["targets"]}["vehicle_entries"]["yearly"] == 120.0


@pytest.mark.parametrize("target, detail", [
    ({"indicator": "happiness", "yearly": 1}, "unknown indicator"),
    ({"indicator": "vehicle_entries", "yearly": 1, "months": [1] * 12}, "either yearly or months"),
    ({"indicator": "comeback_rate", "yearly": 0.1, "weights": [1] * 12}, "weights split a yearly count"),
    ({"indicator": "vehicle_entries", "months": [1] * 11}, "at least 12"),
    ({"indicator": "vehicle_entries", "yearly": -1}, "greater than or equal to 0"),
    ({"indicator": "vehicle_entries", "yearly": 1, "colour": "red"}, "Extra inputs"),
])
async def test_bad_targets_are_refused_and_nothing_is_saved(client: httpx.AsyncClient, target: dict, detail: str) -> None:
    body = problem(await client.put(f"/kpi/sites/{SITE}/targets/2025", json={"targets": [target]}, headers=MANAGER), 422)
    assert detail in body["detail"]
    assert (await client.get(f"/kpi/sites/{SITE}/targets", params={"year": 2025}, headers=MANAGER)).json()["version"] == 0


async def test_the_known_indicators_are_declared_in_openapi_as_they_are_enforced(client: httpx.AsyncClient) -> None:
    schema = client.app.openapi()["components"]["schemas"]["TargetInput"]["properties"]["indicator"]  # type: ignore[attr-defined]
    assert schema["enum"] == sorted(INDICATORS)
    for name in schema["enum"]:
        response = await client.put(f"/kpi/sites/{SITE}/targets/2026", json={"targets": [{"indicator": name, "yearly": 1}]},
                                    headers=MANAGER)
        assert response.status_code == 200, (name, response.text)


async def test_reference_data_per_month(client: httpx.AsyncClient) -> None:
    url = f"/kpi/sites/{SITE}/reference-data"
    problem(await client.get(f"{url}/2025-03", headers=ADVISOR), 404)
    problem(await client.put(f"{url}/2025-03", json={"leavers": -2}, headers=MANAGER), 422)
    problem(await client.put(f"{url}/2025-13", json={"leavers": 2}, headers=MANAGER), 422)
    saved = await client.put(f"{url}/2025-03", json={"service_headcount": 12, "leavers": 2}, headers=MANAGER)
    assert saved.status_code == 200 and saved.json()["version"] == 1 and saved.json()["updated_by"] == "tester"
    got = await client.get(f"{url}/2025-03", headers=ADVISOR)
    assert got.json()["service_headcount"] == 12 and got.json()["vehicles_in_operation"] is None
    problem(await client.put(f"{url}/2025-03", json={"leavers": 3}, headers=MANAGER | {"If-Match": '"stale"'}), 412)
    assert [m["month"] for m in (await client.get(url, params={"year": 2025}, headers=ADVISOR)).json()] == ["2025-03"]
    radar = (await client.get(f"/kpi/sites/{SITE}/radar", params={"month": "2025-03"}, headers=ADVISOR)).json()
    items = {i["indicator"]: i for i in radar["items"]}
    assert items["staff_turnover_rate"]["value"] == pytest.approx(2 / 12)
    assert items["vehicle_retention_rate"]["value"] is None
    assert items["vehicle_retention_rate"]["missing_reference_data"] == ["vehicles_in_operation"]
    problem(await client.get(f"/kpi/sites/{SITE}/radar", params={"month": "March"}, headers=ADVISOR), 422)


async def test_time_keeps_moving_for_a_job_clocked_on_now(client: httpx.AsyncClient) -> None:
    site = "site-moving"
    now = utcnow()
    started = now - timedelta(minutes=30)
    await feed(client.app.state.runtime.engine, [[  # type: ignore[attr-defined]
        w.BayStatusChanged(site_id=site, occurred_at=now - timedelta(hours=2), bay_id="B", name="B", kind="lift",
                           status=w.BayStatus.OPEN),
        w.TechnicianClockedIn(site_id=site, occurred_at=now - timedelta(hours=1), technician_id="T", name="T"),
        w.JobClockedOn(site_id=site, occurred_at=started, job_id="J", repair_order_id="R", technician_id="T", bay_id="B"),
    ]])
    headers = auth(["foreman"], [site])

    async def job_time() -> float:
        answer = await client.get(f"/kpi/sites/{site}/technicians", params={"window": "rolling_hour"}, headers=headers)
        return by_name(answer.json())[("job_time", (("technician", "T"),))]

    first = await job_time()
    second = await job_time()
    assert 1800 <= first < second < 1800 + 60  # the open interval runs to now, and now moves
    bays = by_name(await area(client, site, "bays", window="rolling_hour"))
    assert bays[("bay_busy_time", (("bay", "B"),))] >= 1800 and bays[("bay_utilization", (("bay", "B"),))] > 0.5


async def test_sold_hours_are_provisional_until_invoiced_then_restated(client: httpx.AsyncClient) -> None:
    site, engine = "site-sold", client.app.state.runtime.engine  # type: ignore[attr-defined]
    now = utcnow()
    job = {"site_id": site, "job_id": "J", "repair_order_id": "R", "technician_id": "T", "bay_id": "B"}
    await feed(engine, [[
        w.JobClockedOn(occurred_at=now - timedelta(minutes=50), **job),
        w.JobCompleted(occurred_at=now - timedelta(minutes=20), sold_hours=Decimal("1.0"), **job),
    ]])
    headers = auth(["manager"], [site])
    sold = [f for f in (await client.get(f"/kpi/sites/{site}/technicians", params={"window": "rolling_hour"},
                                         headers=headers)).json()["figures"] if f["name"] == "sold_time" and not f["labels"]]
    assert sold[0]["value"] == 3600 and sold[0]["provisional"] is True
    await feed(engine, [[r.RepairOrderInvoiced(
        site_id=site, occurred_at=now - timedelta(minutes=10), repair_order_id="R", invoice_id="I", ro_number="R",
        ro_type=r.RoType.GENERAL_REPAIR, labour_amount=Decimal(120), parts_amount=Decimal(0), sublet_amount=Decimal(0),
        total_amount=Decimal(120), tax_amount=Decimal(0), parts_cost=Decimal(0), sublet_cost=Decimal(0),
        sold_hours=Decimal("1.2"), amounts_by_pay_type={r.PayType.CUSTOMER: Decimal(120)},
        lines=[r.InvoiceLine(kind="labour", pay_type=r.PayType.CUSTOMER, amount=Decimal(120), job_line_id="J",
                             sold_hours=Decimal("1.2"))])]])
    sold = [f for f in (await client.get(f"/kpi/sites/{site}/technicians", params={"window": "rolling_hour"},
                                         headers=headers)).json()["figures"] if f["name"] == "sold_time" and not f["labels"]]
    assert sold[0]["value"] == pytest.approx(1.2 * 3600) and sold[0]["provisional"] is False

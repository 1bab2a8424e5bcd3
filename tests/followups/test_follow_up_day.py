"""A delivered RO's follow-up through reception and kpi on the real Kafka: due list by the site's day, figures by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.followups.support import Floor, delivered_ro, floor
from tests.kit import auth, eventually

SCORES = {"service_preparation": 5, "repair_supervision": 4, "repair_experience": 4, "vehicle_pickup": 5,
          "friendliness": 5, "repair_quality": 2}  # product_issues skipped by the customer
WEAK = {"fair_price": False, "charges_explained": True, "vehicle_clean": False}


async def listed(f: Floor, day: date) -> list[dict[str, Any]]:
    page = await f.desk.ok("GET", f"/sites/{f.site}/follow-ups", params={"day": day.isoformat()}, headers=f.clerk())
    return list(page["items"])


async def figures(f: Floor, start: date, end: date) -> dict[tuple[str, tuple[tuple[str, str], ...]], Any]:
    assert f.kpi is not None
    response = await f.kpi.get(f"/kpi/sites/{f.site}/customer-satisfaction", params={"from": start.isoformat(), "to": end.isoformat()},
                               headers=auth(["manager"], [f.site]))
    assert response.status_code == 200, response.text
    return {(x["name"], tuple(sorted(x["labels"].items()))): x for x in response.json()["figures"]}


@pytest.mark.asyncio
async def test_follow_up_list_result_complaint_and_figures(database_url: str, kafka: str, tmp_path: Any) -> None:
    async with floor(database_url, kafka, kpi_db=f"sqlite+aiosqlite:///{tmp_path}/kpi.db") as f:
        # 17:30 UTC is 01:30 the next day in Shanghai: the local delivery day is what counts
        utc_day = datetime.now(UTC).date() - timedelta(days=6)
        delivered = datetime(utc_day.year, utc_day.month, utc_day.day, 17, 30, tzinfo=UTC)
        local_day = utc_day + timedelta(days=1)
        ro = await delivered_ro(f.desk, kafka, delivered)
        declined = await delivered_ro(f.desk, kafka, delivered + timedelta(minutes=1), consent=False)

        assert await listed(f, local_day + timedelta(days=2)) == []
        due = await listed(f, local_day + timedelta(days=3))
        assert [(x["repair_order_id"], x["due_day"], x["overdue"]) for x in due] == [(ro["id"], str(local_day + timedelta(days=3)), False)]
        overdue = await listed(f, local_day + timedelta(days=4))
        assert [(x["repair_order_id"], x["overdue"], x["status"]) for x in overdue] == [(ro["id"], True, "due")]
        assert declined["id"] not in {x["repair_order_id"] for x in overdue}

        window = (local_day - timedelta(days=1), local_day + timedelta(days=6))
        before = await eventually(lambda: _delivered_seen(f, *window), timeout=30)
        assert before[("follow_ups_due", ())]["value"] == 1  # the declined customer's RO is not due
        assert before[("follow_up_completion_rate", ())]["value"] == 0.0
        assert before[("follow_up_attempts", ())]["value"] == 0
        assert before[("csi", ())]["value"] is None

        first = await f.desk.ok("POST", f"/repair-orders/{ro['id']}/follow-up-attempts", 201, headers=f.clerk(("manager",)),
                                json={"channel": "phone", "occurred_at": (delivered + timedelta(days=1)).isoformat()})
        await f.desk.ok("POST", f"/follow-up-attempts/{first['id']}/result", headers=f.clerk(("manager",)),
                        json={"reached": False, "occurred_at": (delivered + timedelta(days=1, minutes=1)).isoformat()})
        second = await f.desk.ok("POST", f"/repair-orders/{ro['id']}/follow-up-attempts", 201, headers=f.clerk(("manager",)),
                                 json={"channel": "link", "occurred_at": (delivered + timedelta(days=2)).isoformat()})
        result = await f.desk.ok("POST", f"/follow-up-attempts/{second['id']}/result", headers=f.clerk(("manager",)), json={
            "reached": True, "scores": SCORES, "weak_items": WEAK, "comment": "brakes still squeal a little",
            "occurred_at": (delivered + timedelta(days=2, minutes=5)).isoformat()})
        assert (result["status"], result["number"], result["scores"]) == ("reached", 2, SCORES)
        assert await listed(f, local_day + timedelta(days=4)) == []  # reached: off the list

        opened_at = delivered + timedelta(days=2, minutes=10)
        complaint = await f.desk.ok("POST", f"/sites/{f.site}/complaints", 201, headers=f.clerk(("manager",)), json={
            "follow_up_attempt_id": second["id"], "category": "repair_quality", "severity": "high", "owner": "manager-mo",
            "description": "brakes still squeal", "occurred_at": opened_at.isoformat()})
        assert (complaint["repair_order_id"], complaint["status"]) == (ro["id"], "open")
        acted = await f.desk.ok("POST", f"/complaints/{complaint['id']}/actions", headers=f.clerk(("manager",)), json={
            "action": "called back, booked a free check", "occurred_at": (opened_at + timedelta(hours=2)).isoformat()})
        assert [a["action"] for a in acted["actions"]] == ["called back, booked a free check"]
        resolved_at = opened_at + timedelta(days=1)
        done = await f.desk.ok("POST", f"/complaints/{complaint['id']}/resolve", headers=f.clerk(("manager",)), json={
            "outcome": "pads re-seated, customer satisfied", "occurred_at": resolved_at.isoformat()})
        assert (done["status"], done["outcome"]) == ("resolved", "pads re-seated, customer satisfied")
        again = await f.desk.client.post(f"/complaints/{complaint['id']}/resolve", headers=f.clerk(("manager",)), json={"outcome": "x"})
        assert again.status_code == 409 and again.json()["state"] == "resolved"

        after = await eventually(lambda: _complaint_seen(f, *window), timeout=30)
        csi = (5 + 4 + 4 + 5 + 5 + 2) / 6
        for labels in ((), (("advisor", "advisor-amy"),)):
            def v(name: str, *extra: tuple[str, str]) -> Any:
                return after[(name, tuple(sorted((*labels, *extra))))]["value"]
            assert v("follow_ups_due") == 1 and v("follow_ups_on_time") == 1 and v("follow_up_completion_rate") == 1.0
            assert v("follow_up_attempts") == 2 and v("follow_up_contact_rate") == 0.5
            assert v("satisfaction_score", ("category", "repair_quality")) == 2.0
            assert v("satisfaction_score", ("category", "friendliness")) == 5.0
            assert ("satisfaction_score", tuple(sorted((*labels, ("category", "product_issues"))))) not in after
            assert v("csi") == pytest.approx(csi)
            assert v("weak_item_no_share", ("item", "fair_price")) == 1.0
            assert v("weak_item_no_share", ("item", "charges_explained")) == 0.0
            assert v("weak_item_mix", ("item", "fair_price")) == 0.5  # weak (false) answers: fair_price, vehicle_clean
            assert v("weak_item_mix", ("item", "vehicle_clean")) == 0.5
            assert v("weak_item_mix", ("item", "charges_explained")) == 0.0
            assert v("complaints_opened") == 1 and v("complaints_resolved") == 1 and v("complaints_open") == 0
            assert v("complaint_resolution_time") == (resolved_at - opened_at).total_seconds()
            assert v("repair_orders_delivered") == 2 and v("complaints_per_100_ros") == 50.0

        # a complaint opened directly, today: on /metrics at once
        await f.desk.ok("POST", f"/sites/{f.site}/complaints", 201, headers=f.clerk(),
                        json={"category": "waiting_time", "severity": "low", "owner": "clerk-cora"})
        assert f.kpi is not None
        await eventually(lambda: _metric(f, f'pitwall_kpi_complaints_open{{site="{f.site}"}} 1.0'), timeout=30)
        await eventually(lambda: _metric(f, f'pitwall_kpi_complaints_opened{{site="{f.site}",window="today"}} 1.0'), timeout=30)


async def _delivered_seen(f: Floor, start: date, end: date) -> Any:
    found = await figures(f, start, end)
    return found if found[("repair_orders_delivered", ())]["value"] == 2 else None


async def _complaint_seen(f: Floor, start: date, end: date) -> Any:
    found = await figures(f, start, end)
    return found if found[("complaints_resolved", ())]["value"] == 1 and found[("csi", ())]["value"] else None


async def _metric(f: Floor, line: str) -> bool:
    assert f.kpi is not None
    return line in (await f.kpi.get("/metrics")).text

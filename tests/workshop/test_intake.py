"""Jobs from reception's events and parts news from the parts service, in any order, on real Kafka."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from services.workshop.app import create_app
from shared.contracts import parts, reception, workshop
from shared.outbox import utcnow
from tests.kit import EventTap, eventually, new_site, publish, running
from tests.workshop.floor import Ids, Site, approved, declined, issued, line, morning, ro_opened, settings, summary


async def test_reception_events_in_any_order_make_and_unmake_jobs(tmp_path: Path, kafka: str) -> None:
    site_id = new_site()
    ids = Ids(site_id)
    t0 = morning(2)
    app = create_app(settings(f"sqlite+aiosqlite:///{tmp_path}/w.db", kafka))
    async with running(app) as client, EventTap(kafka, [workshop.TOPIC], [site_id]) as tap:
        site = Site(client, site_id)
        a, b, c, d = (line(ids[n], "engine", "1.0", n) for n in ("A", "B", "C", "D"))
        e, f = line(ids["E"], None, "0.8", "wash"), line(ids["F"], None, "0.3", "check tyres")
        await publish(
            kafka,
            approved(site_id, ids["ro1"], a, t0 + timedelta(minutes=5)),  # before its RO
            ro_opened(site_id, ids["ro1"], "RO-1", [a, b, c, d], t0),
            approved(site_id, ids["ro1"], a, t0 + timedelta(minutes=5)),  # the same fact again (a retry upstream)
            declined(site_id, ids["ro1"], ids["B"], t0 + timedelta(minutes=7)),
            approved(site_id, ids["ro1"], b, t0 + timedelta(minutes=6)),  # older than the decline: ignored
            approved(site_id, ids["ro1"], c, t0 + timedelta(minutes=8)),
            declined(site_id, ids["ro1"], ids["C"], t0 + timedelta(minutes=9)),  # the customer changes their mind
            approved(site_id, ids["ro1"], c, t0 + timedelta(minutes=10)),  # and back again: queued again
            reception.JobLineChanged(site_id=site_id, occurred_at=t0 + timedelta(minutes=11), repair_order_id=ids["ro1"],
                                     line=c.model_copy(update={"sold_hours": Decimal("1.4")})),
            ro_opened(site_id, ids["ro2"], "RO-2", [e, f], t0),
            approved(site_id, ids["ro2"], e, t0 + timedelta(minutes=12)),
            reception.RepairOrderCancelled(site_id=site_id, occurred_at=t0 + timedelta(minutes=13), repair_order_id=ids["ro2"],
                                           reason="customer left"),
            approved(site_id, ids["ro2"], f, t0 + timedelta(minutes=14)),  # after the cancellation: ignored
        )
        await tap.wait_for(workshop.JobWithdrawn, 2)

        async def queued() -> list[tuple[str, str, str]]:
            items = (await site.get(f"/sites/{site_id}/dispatch-queue"))["items"]
            return [(ids.aliases()[j["job_id"]], j["ro_number"], j["sold_hours"]) for j in items]

        assert await eventually(lambda: _is(queued(), [("A", "RO-1", "1.0"), ("C", "RO-1", "1.4")]))
        assert (await site.get(f"/jobs/{ids['B']}"))["status"] == "withdrawn"
        await site.get(f"/jobs/{ids['D']}", expect=404)  # proposed, never approved: not a job

        # A line removed while a technician is clocked on it: the clock stops, then the job is withdrawn.
        bay = await site.bay("B1", "general", occurred_at=t0)
        await site.technician("li", "Li Wei", ["engine"])
        await site.post("/technicians/li/clock-in", site.tech("li"), {"occurred_at": (t0 + timedelta(minutes=15)).isoformat()})
        await site.post(f"/jobs/{ids['A']}/dispatch", site.foreman, {"technician_id": "li", "bay_id": bay})
        await site.post(f"/jobs/{ids['A']}/clock-on", site.tech("li"))
        await publish(kafka, reception.JobLineRemoved(site_id=site_id, occurred_at=utcnow(), repair_order_id=ids["ro1"],
                                                      job_line_id=ids["A"]))
        await tap.wait_for(workshop.JobWithdrawn, 3)
        assert (await site.get("/technicians/li"))["state"] == "idle"
        assert (await site.get(f"/bays/{bay}"))["job_id"] is None

        await tap.wait_for(workshop.BayStatusChanged)
        assert summary(tap.events, ids.aliases()) == [
            ("JobQueued", "A", ""),
            ("JobQueued", "C", "RO-1"), ("JobWithdrawn", "C", "declined"), ("JobQueued", "C", "RO-1"),
            ("JobQueued", "E", "RO-2"), ("JobWithdrawn", "E", "repair_order_cancelled"),
            ("BayStatusChanged", "B1", "open"), ("TechnicianClockedIn", "li"),
            ("JobDispatched", "A", "li", bay), ("JobClockedOn", "A", "li"),
            ("JobClockedOff", "A", "li"), ("JobWithdrawn", "A", "line_removed"),
        ]
        queued_a = tap.of(workshop.JobQueued)[0].data
        assert queued_a["approved_at"] == (t0 + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
        assert tap.of(workshop.JobQueued)[2].data["sold_hours"] == "1.0"  # as approved; the change came after


async def test_parts_news_shows_on_the_job_and_site_hours_set_the_shift_end(tmp_path: Path, kafka: str) -> None:
    site_id = new_site()
    ids = Ids(site_id)
    t0 = morning(1)
    app = create_app(settings(f"sqlite+aiosqlite:///{tmp_path}/w.db", kafka))
    async with running(app) as client:
        site = Site(client, site_id)
        job = line(ids["J"], None, "1.0")
        local = t0.astimezone(ZoneInfo("Asia/Shanghai"))
        closes = (local + timedelta(hours=2)).strftime("%H:%M") if local.hour < 21 else "23:59"
        await publish(
            kafka,
            reception.SiteConfigured(site_id=site_id, occurred_at=t0 - timedelta(days=1), name="Pitwall Pudong", time_zone="Asia/Shanghai",
                                     opening_hours=[reception.OpeningHours(weekday=local.weekday(), opens="00:00", closes=closes)],
                                     labour_rate=Decimal("300"), technician_cost_rate=Decimal("80"), tax_rate=Decimal("0.06"),
                                     comeback_window_days=30),
            ro_opened(site_id, ids["ro"], "RO-9", [job], t0), approved(site_id, ids["ro"], job, t0),
        )
        await eventually(lambda: _has_job(site, ids["J"]))
        await site.technician("li", "Li Wei", [])
        clocked = await site.post("/technicians/li/clock-in", site.tech("li"), {"occurred_at": t0.isoformat()})
        shift_end = datetime.fromisoformat(clocked["shift_end"])
        assert shift_end.astimezone(local.tzinfo).strftime("%H:%M") == closes

        asked = await site.post(f"/jobs/{ids['J']}/parts-requests", site.foreman, {"lines": [{"part_number": "P-1", "quantity": "2"}]}, 201)
        assert asked["requested_by"] == "foreman-zhao"
        await publish(
            kafka,
            issued(site_id, asked["id"], ids["J"], ids["ro"], utcnow(), full=False),
            parts.PartsBackordered(site_id=site_id, occurred_at=utcnow(), request_id=asked["id"], backorder_id="bo-1",
                                   request_line_id="rl-1", repair_order_id=ids["ro"], job_id=ids["J"], part_number="P-1",
                                   quantity=Decimal("1"), expected_at=utcnow() + timedelta(days=2)),
            parts.PartsRequestReceived(site_id=site_id, occurred_at=utcnow(), request_id=f"counter-{site_id}", repair_order_id=ids["ro"],
                                       job_id=ids["J"], origin="counter", requested_at=utcnow(),
                                       lines=[parts.RequestLine(request_line_id="rl-9", part_number="OIL-5W30", quantity=Decimal("4"))]),
        )

        async def parts_state() -> tuple[int, int, bool]:
            summary_ = (await site.get(f"/jobs/{ids['J']}"))["parts"]
            return summary_["requests"], summary_["issued"], summary_["backordered"]

        assert await eventually(lambda: _is(parts_state(), (2, 0, True)))
        await publish(kafka, issued(site_id, asked["id"], ids["J"], ids["ro"], utcnow()),
                      issued(site_id, f"counter-{site_id}", ids["J"], ids["ro"], utcnow()))
        assert await eventually(lambda: _is(parts_state(), (2, 2, False)))
        requests = await site.get(f"/jobs/{ids['J']}/parts-requests")
        assert [r["requested_by"] for r in requests] == ["foreman-zhao", "parts counter"]
        assert all(r["issued_at"] for r in requests)


async def _has_job(site: Site, job_id: str) -> bool:
    response = await site.client.get(f"/jobs/{job_id}", headers=site.foreman)
    return response.status_code == 200


async def _is(awaitable: object, expected: object) -> bool:
    return await awaitable == expected  # type: ignore[misc]

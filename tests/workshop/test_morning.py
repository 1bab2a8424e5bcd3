"""Two technicians and three bays through a morning, on SQLite and PostgreSQL, with the events read back from real Kafka."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from services.workshop.app import create_app
from shared.contracts import workshop
from tests.kit import EventTap, eventually, new_site, publish, running
from tests.workshop.floor import Ids, Site, approved, declined, issued, line, morning, ro_opened, settings, summary


def iso(t: datetime) -> str:
    return t.isoformat()


async def test_a_morning_on_the_floor(database_url: str, kafka: str) -> None:
    site_id = new_site()
    ids = Ids(site_id)
    t0 = morning(3)

    def at(minutes: int) -> str:
        return iso(t0 + timedelta(minutes=minutes))

    app = create_app(settings(database_url, kafka))
    async with running(app) as client, EventTap(kafka, [workshop.TOPIC], [site_id]) as tap:
        site = Site(client, site_id)
        foreman, li, wang = site.foreman, site.tech("li"), site.tech("wang")

        # The floor: three bays (one taken out of service), two technicians.
        opened = t0 - timedelta(minutes=30)
        b1 = await site.bay("B1", "general", occurred_at=opened)
        b2 = await site.bay("B2", "alignment", ["chassis", "alignment"], occurred_at=opened)
        b3 = await site.bay("B3", "general", occurred_at=opened)
        await site.post(f"/bays/{b3}/status", foreman, {"status": "out_of_service", "reason": "lift hydraulics leak",
                                                        "expected_return": at(300), "occurred_at": at(0)})
        await site.technician("li", "Li Wei", ["engine", "electrical", "diagnosis"], "master")
        await site.technician("wang", "Wang Fang", ["chassis", "body"])

        # Reception's events: two ROs, an approval that arrives before its RO, a line declined before approval.
        l1, l2 = line(ids["L1"], "engine", "2.0", "oil leak at sump"), line(ids["L2"], "electrical", "1.0", "replace battery")
        l3, l4 = line(ids["L3"], "chassis", "2.0", "four-wheel alignment"), line(ids["L4"], "chassis", "0.5", "rotate tyres")
        l5 = line(ids["L5"], "body", "2.5", "repair rear bumper")
        await publish(kafka,
                      ro_opened(site_id, ids["ro1"], "RO-0001", [l1, l2], t0),
                      ro_opened(site_id, ids["ro2"], "RO-0002", [l3, l4], t0 + timedelta(minutes=1)),
                      approved(site_id, ids["ro1"], l1, t0 + timedelta(minutes=2)),
                      approved(site_id, ids["ro1"], l2, t0 + timedelta(minutes=2, seconds=30)),
                      approved(site_id, ids["ro2"], l3, t0 + timedelta(minutes=3)),
                      declined(site_id, ids["ro2"], ids["L4"], t0 + timedelta(minutes=3)),
                      approved(site_id, ids["ro3"], l5, t0 + timedelta(minutes=4)),
                      ro_opened(site_id, ids["ro3"], "RO-0003", [l5], t0 + timedelta(minutes=3, seconds=30)))

        async def queue() -> list[tuple[str, str]]:
            page = await site.get(f"/sites/{site_id}/dispatch-queue")
            return [(ids.aliases()[j["job_id"]], j["ro_number"]) for j in page["items"]]

        await eventually(lambda: _equals(queue(), [("L1", "RO-0001"), ("L2", "RO-0001"), ("L3", "RO-0002"), ("L5", "RO-0003")]))
        first = (await site.get(f"/sites/{site_id}/dispatch-queue"))["items"][0]
        assert first["approved_at"] == iso(t0 + timedelta(minutes=2)).replace("+00:00", "Z")
        assert first["waiting_seconds"] >= 3 * 3600 - 5 * 60

        await site.post("/technicians/li/clock-in", li, {"occurred_at": at(0)})

        # Dispatch refusals, each with its reasons.
        refused = await site.post(f"/jobs/{ids['L1']}/dispatch", foreman, {"technician_id": "wang", "bay_id": b1, "occurred_at": at(5)}, 409)
        assert refused["type"] == "/problems/dispatch-refused"
        assert [r["code"] for r in refused["reasons"]] == ["lacks_skill", "not_clocked_in"]
        refused = await site.post(f"/jobs/{ids['L3']}/dispatch", foreman, {"technician_id": "wang", "bay_id": b2, "occurred_at": at(5)}, 409)
        assert [r["code"] for r in refused["reasons"]] == ["not_clocked_in"]
        await site.post("/technicians/wang/clock-in", wang, {"occurred_at": at(6)})
        refused = await site.post(f"/jobs/{ids['L1']}/dispatch", foreman, {"technician_id": "li", "bay_id": b3, "occurred_at": at(7)}, 409)
        assert [r["code"] for r in refused["reasons"]] == ["bay_out_of_service"]
        assert "lift hydraulics leak" in refused["detail"]
        refused = await site.post(f"/jobs/{ids['L1']}/dispatch", foreman, {"technician_id": "li", "bay_id": b2, "occurred_at": at(7)}, 409)
        assert [r["code"] for r in refused["reasons"]] == ["wrong_bay_kind"]

        # Suggestions: by skill first, then load.
        candidates = await site.get(f"/jobs/{ids['L3']}/candidates")
        assert [(c["technician_id"], c["eligible"]) for c in candidates["technicians"]] == [("wang", True), ("li", False)]
        assert candidates["technicians"][1]["reasons"][0]["code"] == "lacks_skill"
        assert [(c["name"], c["eligible"]) for c in candidates["bays"]] == [("B2", True), ("B1", True), ("B3", False)]

        await site.post(f"/jobs/{ids['L1']}/dispatch", foreman, {"technician_id": "li", "bay_id": b1, "occurred_at": at(8)})
        await site.post(f"/jobs/{ids['L2']}/dispatch", foreman, {"technician_id": "li", "bay_id": b1, "occurred_at": at(8)})
        await site.post(f"/jobs/{ids['L3']}/dispatch", foreman, {"technician_id": "wang", "bay_id": b2, "occurred_at": at(8)})
        never_started = await site.post(f"/jobs/{ids['L3']}/complete", wang, {"occurred_at": at(9)}, 409)
        assert never_started["state"] == "dispatched" and "complete" not in never_started["allowed"]
        assert "clock-on" in never_started["allowed"]

        # The job clock: one job per technician, one job per bay, technicians only clock themselves.
        await site.post(f"/jobs/{ids['L1']}/clock-on", li, {"occurred_at": at(10)})
        second = await site.post(f"/jobs/{ids['L2']}/clock-on", li, {"occurred_at": at(11)}, 409)
        assert second["state"] == "on_job" and second["job_id"] == ids["L1"] and second["allowed"] == ["pause", "clock-off", "complete"]
        not_yourself = await site.post(f"/jobs/{ids['L1']}/pause", wang, {"technician_id": "li", "reason": "other"}, 403)
        assert "only clock themselves" in not_yourself["detail"]
        await site.post(f"/jobs/{ids['L3']}/clock-on", wang, {"occurred_at": at(12)})
        await site.post("/jobs/nope/clock-on", li, {}, 404)

        # Pause for parts; the parts service's issue shows on the job; resume.
        request = await site.post(f"/jobs/{ids['L1']}/parts-requests", li,
                                  {"lines": [{"part_number": "15400-RTA-003", "quantity": "1"}], "occurred_at": at(40)}, 201)
        paused = await site.post(f"/jobs/{ids['L1']}/pause", li, {"reason": "waiting_parts", "note": "sump gasket", "occurred_at": at(41)})
        assert paused["status"] == "paused" and paused["clocked_seconds"] == 31 * 60 and paused["parts"]["all_issued"] is False
        occupied = await site.post(f"/jobs/{ids['L2']}/clock-on", li, {"occurred_at": at(42)}, 409)
        assert occupied["state"] == "bay_occupied" and occupied["job_id"] == ids["L1"]
        await publish(kafka, issued(site_id, request["id"], ids["L1"], ids["ro1"], t0 + timedelta(minutes=55)))

        async def parts_in() -> bool:
            return bool((await site.get(f"/jobs/{ids['L1']}"))["parts"]["all_issued"])

        await eventually(parts_in)
        board = await site.get(f"/sites/{site_id}/board")
        bay1 = next(b for b in board["bays"] if b["name"] == "B1")
        assert bay1["job"]["job_id"] == ids["L1"] and bay1["job"]["pause_reason"] == "waiting_parts"
        assert bay1["job"]["parts"]["all_issued"] is True and bay1["job"]["ro_number"] == "RO-0001"
        assert bay1["job"]["technician_name"] == "Li Wei" and bay1["job"]["sold_seconds"] == 7200
        assert [(t["technician_id"], t["state"]) for t in board["technicians"]] == [("li", "idle"), ("wang", "on_job")]
        assert [q["job_id"] for q in board["queue"]] == [ids["L5"]]
        await site.post(f"/jobs/{ids['L1']}/resume", li, {"occurred_at": at(56)})

        # Wang's lunch stops his job clock.
        await site.post("/technicians/wang/break-start", wang, {"occurred_at": at(60)})
        assert (await site.get(f"/jobs/{ids['L3']}"))["pause_reason"] == "break"
        await site.post("/technicians/wang/break-end", wang, {"occurred_at": at(75)})
        await site.post(f"/jobs/{ids['L3']}/resume", wang, {"occurred_at": at(76)})

        done = await site.post(f"/jobs/{ids['L1']}/complete", li, {"occurred_at": at(100)})
        assert done["clocked_seconds"] == (31 + 44) * 60
        await site.post(f"/jobs/{ids['L2']}/clock-on", li, {"occurred_at": at(101)})
        await site.post(f"/jobs/{ids['L3']}/complete", wang, {"occurred_at": at(120)})
        await site.post(f"/jobs/{ids['L2']}/complete", li, {"occurred_at": at(130)})

        # QC fails one job back to rework; a pass must wait for it.
        failed = await site.post(f"/sites/{site_id}/repair-orders/{ids['ro1']}/qc", site.inspector,
                                 {"result": "fail", "reason": "oil still seeping at sump plug", "job_ids": [ids["L1"]], "occurred_at": at(135)}, 201)
        assert failed["result"] == "fail" and failed["inspector"] == "qc-sun"
        rework = await site.get(f"/jobs/{ids['L1']}")
        assert (rework["status"], rework["technician_id"], rework["bay_id"], rework["rework_round"]) == ("dispatched", "li", b1, 1)
        early = await site.post(f"/sites/{site_id}/repair-orders/{ids['ro1']}/qc", site.inspector, {"result": "pass", "occurred_at": at(136)}, 409)
        assert early["state"] == "in_work" and early["job_ids"] == [ids["L1"]]
        await site.post(f"/jobs/{ids['L1']}/clock-on", li, {"occurred_at": at(136)})
        await site.post(f"/jobs/{ids['L1']}/complete", li, {"occurred_at": at(150)})
        await site.post(f"/sites/{site_id}/repair-orders/{ids['ro1']}/qc", site.inspector, {"result": "pass", "occurred_at": at(152)}, 201)

        # Wang clocks out with the bumper job still clocked on: a stale clock, flagged once.
        await site.post(f"/jobs/{ids['L5']}/dispatch", foreman, {"technician_id": "wang", "bay_id": b1, "occurred_at": at(153)})
        await site.post(f"/jobs/{ids['L5']}/clock-on", wang, {"occurred_at": at(155)})
        await site.post("/technicians/wang/clock-out", wang, {"occurred_at": at(170)})
        flagged = await tap.wait_for(workshop.StaleClockFlagged)
        assert flagged[0].data["kind"] == "job_past_clock_out" and flagged[0].data["job_id"] == ids["L5"]
        assert flagged[0].data["since"] == _z(at(170))
        board = await site.get(f"/sites/{site_id}/board")
        assert [(f["technician_id"], f["kind"]) for f in board["stale_clocks"]] == [("wang", "job_past_clock_out")]
        assert next(t for t in board["technicians"] if t["technician_id"] == "wang")["stale"] is True

        # The foreman corrects it (and Li's clock-in); the originals stay visible.
        interval = next(i for i in (await site.get("/technicians/wang/clockings"))["jobs"] if i["job_id"] == ids["L5"])
        fixed = await site.post(f"/sites/{site_id}/clocking-adjustments", foreman,
                                {"interval_id": interval["id"], "corrected_start": at(155), "corrected_end": at(168),
                                 "reason": "forgot to clock off before leaving"}, 201)
        assert fixed["original_end"] is None and fixed["adjusted_by"] == "foreman-zhao"
        shift = (await site.get("/technicians/li/clockings"))["attendance"][0]
        await site.post(f"/sites/{site_id}/clocking-adjustments", foreman,
                        {"interval_id": shift["id"], "corrected_start": at(-10), "reason": "badge reader was down at 8:00"}, 201)
        wang_clock = await site.get("/technicians/wang/clockings")
        l5 = next(i for i in wang_clock["jobs"] if i["job_id"] == ids["L5"])
        assert (l5["start"], l5["end"], l5["recorded_end"], l5["adjusted"]) == (_z(at(155)), _z(at(168)), None, True)
        assert [(a["interval_id"], a["original_end"], a["corrected_end"]) for a in wang_clock["adjustments"]] == [
            (interval["id"], None, _z(at(168)))]
        li_shift = (await site.get("/technicians/li/clockings"))["attendance"][0]
        assert (li_shift["start"], li_shift["recorded_start"]) == (_z(at(-10)), _z(at(0)))
        board = await site.get(f"/sites/{site_id}/board")
        assert board["stale_clocks"] == []
        assert next(b for b in board["bays"] if b["name"] == "B1")["job"]["status"] == "paused"
        assert len(await site.get(f"/sites/{site_id}/stale-clocks?include_cleared=true")) == 1

        await tap.wait_for(workshop.ClockingAdjusted, 2)
        await _settle(app)
        assert summary(tap.events, ids.aliases()) == [
            ("BayStatusChanged", "B1", "open"), ("BayStatusChanged", "B2", "open"), ("BayStatusChanged", "B3", "open"),
            ("BayStatusChanged", "B3", "out_of_service"),
            ("JobQueued", "L1", "RO-0001"), ("JobQueued", "L2", "RO-0001"), ("JobQueued", "L3", "RO-0002"), ("JobQueued", "L5", ""),
            ("TechnicianClockedIn", "li"), ("TechnicianClockedIn", "wang"),
            ("JobDispatched", "L1", "li", b1), ("JobDispatched", "L2", "li", b1), ("JobDispatched", "L3", "wang", b2),
            ("JobClockedOn", "L1", "li"), ("JobClockedOn", "L3", "wang"),
            ("PartsRequested", "L1"), ("JobPaused", "L1", "li", "waiting_parts"), ("JobResumed", "L1", "li"),
            ("JobPaused", "L3", "wang", "break"), ("TechnicianBreakStarted", "wang"), ("TechnicianBreakEnded", "wang"),
            ("JobResumed", "L3", "wang"),
            ("JobCompleted", "L1", "li", Decimal("2.0")), ("JobClockedOn", "L2", "li"), ("JobCompleted", "L3", "wang", Decimal("2.0")),
            ("JobCompleted", "L2", "li", Decimal("1.0")),
            ("QcFailed", "ro1", ("L1",)), ("JobClockedOn", "L1", "li"), ("JobCompleted", "L1", "li", Decimal("2.0")), ("QcPassed", "ro1"),
            ("JobDispatched", "L5", "wang", b1), ("JobClockedOn", "L5", "wang"), ("TechnicianClockedOut", "wang"),
            ("StaleClockFlagged", "wang", "L5", "job_past_clock_out"),
            ("ClockingAdjusted", "wang", "L5"), ("ClockingAdjusted", "li", None),
        ]
        times = {(e.type, e.data.get("job_id"), e.data.get("technician_id")): e.time for e in tap.events}
        assert times[(workshop.JobPaused.type, ids["L1"], "li")] == t0 + timedelta(minutes=41)


def _z(value: str) -> str:
    return value.replace("+00:00", "Z")


async def _equals(awaitable: object, expected: object) -> bool:
    return await awaitable == expected  # type: ignore[misc]


async def _settle(app: object) -> None:
    """Wait until the relay has sent everything committed (the outbox is empty of unsent rows)."""
    from sqlalchemy import func, select

    runtime = app.state.runtime  # type: ignore[attr-defined]
    table = runtime.infra.outbox

    async def sent() -> bool:
        async with runtime.engine.connect() as connection:
            return int((await connection.execute(select(func.count()).where(table.c.sent_at.is_(None)))).scalar_one()) == 0

    await eventually(sent)

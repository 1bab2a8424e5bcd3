"""What reception learns from workshop and parts events (published here as those services would), in any order, any number of times."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from shared.contracts import reception as rc
from shared.contracts.parts import IssuedLine, PartsIssued, PartsReturned
from shared.contracts.workshop import JobClockedOn, JobCompleted, QcFailed, QcPassed
from tests.kit import EventTap, caught_up, eventually, new_site, publish, running
from tests.reception.helpers import Desk, app, approve_all, day_start, line, state_is, when


async def test_jobs_and_qc_in_any_order_make_the_ro_ready_once_and_parts_become_lines(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    service = app(f"sqlite+aiosqlite:///{tmp_path / 'reception.db'}", kafka)
    t = day_start()
    async with running(service) as client, EventTap(kafka, [rc.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure()
        ro = await desk.walk_in_ro([line("BRK01"), line("SUS02", "2.0"), line("WIP01", "0.3")])
        a, b, c = (x["id"] for x in ro["lines"])
        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/request-approval", json={})
        for job, verdict in ((a, "approve"), (b, "approve"), (c, "decline")):
            ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/lines/{job}/{verdict}", json={"by": "Wang", "method": "phone"})
        assert ro["state"] == "approved"

        def at(minutes: int) -> object:
            return t + timedelta(minutes=minutes)

        floor = {"site_id": site, "repair_order_id": ro["id"], "technician_id": "tech-1", "bay_id": "bay-1"}
        qc_pass = QcPassed(site_id=site, occurred_at=at(140), repair_order_id=ro["id"], inspector="qc-1")
        a_done = JobCompleted(occurred_at=at(60), job_id=a, sold_hours=Decimal("1.5"), **floor)
        issued = PartsIssued(site_id=site, occurred_at=at(30), request_id="req-1", repair_order_id=ro["id"], job_id=a,
                             request_fully_issued=False, lines=[IssuedLine(request_line_id="rl-1", part_number="P-1", quantity=Decimal("2"),
                                                                            unit_cost=Decimal("10"), unit_price=Decimal("25"),
                                                                            from_stock_at_first_pick=True)])
        await publish(
            kafka,
            qc_pass,  # the final inspection's event overtakes the work it inspected
            JobCompleted(occurred_at=at(130), job_id=b, sold_hours=Decimal("2.0"), **floor),
            a_done,
            JobClockedOn(occurred_at=at(10), job_id=a, **floor),
            QcFailed(site_id=site, occurred_at=at(100), repair_order_id=ro["id"], inspector="qc-1", job_ids=[b], reason="noise"),
            JobCompleted(occurred_at=at(90), job_id=b, sold_hours=Decimal("2.0"), **floor),
            JobClockedOn(occurred_at=at(20), job_id=b, **floor),
            a_done, qc_pass,  # delivered twice
            JobClockedOn(occurred_at=at(5), job_id="no-such-job", **floor),
            JobClockedOn(occurred_at=at(5), job_id=a, **{**floor, "repair_order_id": "no-such-ro"}),
            issued,
            PartsIssued(site_id=site, occurred_at=at(50), request_id="req-1", repair_order_id=ro["id"], job_id=a,
                        request_fully_issued=True, lines=[IssuedLine(request_line_id="rl-1", part_number="P-1", quantity=Decimal("1"),
                                                                      unit_cost=Decimal("10"), unit_price=Decimal("25"),
                                                                      from_stock_at_first_pick=False)]),
            issued,  # re-sent by a relay that crashed before marking it sent
            PartsReturned(site_id=site, occurred_at=at(70), request_id="req-1", repair_order_id=ro["id"], job_id=a,
                          part_number="P-1", quantity=Decimal("1"), unit_cost=Decimal("10"), unit_price=Decimal("25")),
            PartsIssued(site_id=site, occurred_at=at(55), request_id="req-2", repair_order_id=None, request_fully_issued=True,
                        lines=[IssuedLine(request_line_id="rl-9", part_number="P-9", quantity=Decimal("1"), unit_cost=Decimal("1"),
                                          unit_price=Decimal("2"), from_stock_at_first_pick=True)]),
        )
        await eventually(lambda: caught_up(service.state.runtime, kafka), timeout=60)
        ro = await desk.ok("GET", f"/repair-orders/{ro['id']}")
        assert (ro["state"], when(ro["ready_at"]), when(ro["last_qc_at"]), ro["last_qc_passed"]) == ("ready", at(140), at(140), True)
        assert [x["work"] for x in ro["lines"]] == ["complete", "complete", "not_started"]
        assert [(p["part_number"], p["job_line_id"], p["quantity"], p["amount"], p["cost"]) for p in ro["parts_lines"]] == [
            ("P-1", a, "2", "50.00", "20.00")]
        day = await desk.ok("GET", f"/sites/{site}/day")
        assert [r["id"] for r in day["ready_for_pickup"]["items"]] == [ro["id"]]
        # late and repeated facts change nothing a tablet sees: not even the ETag
        await publish(kafka, a_done, qc_pass, JobClockedOn(occurred_at=at(25), job_id=b, **floor))
        await eventually(lambda: caught_up(service.state.runtime, kafka), timeout=60)
        assert (await desk.ok("GET", f"/repair-orders/{ro['id']}"))["version"] == ro["version"]

        # a later QC fail sends it back; the rework and a new pass make it ready again
        await publish(kafka, QcFailed(site_id=site, occurred_at=at(150), repair_order_id=ro["id"], inspector="qc-2", job_ids=[a],
                                      reason="pads not bedded"))
        await eventually(lambda: state_is(desk, ro["id"], "in_progress"))
        rework = (await desk.ok("GET", f"/repair-orders/{ro['id']}"))["lines"][0]
        assert rework["work"] == "in_progress"
        await publish(kafka, JobCompleted(occurred_at=at(165), job_id=a, sold_hours=Decimal("1.5"), **floor),
                      QcPassed(site_id=site, occurred_at=at(170), repair_order_id=ro["id"], inspector="qc-2"))
        await eventually(lambda: state_is(desk, ro["id"], "ready"))

        bill = await desk.ok("POST", f"/repair-orders/{ro['id']}/invoice", 201, json={})
        assert (bill["labour_amount"], bill["parts_amount"], bill["parts_cost"]) == ("1050.00", "50.00", "20.00")
        await tap.wait_for(rc.RepairOrderInvoiced)
        assert [when(e.data["occurred_at"]) for e in tap.of(rc.RepairOrderReady)] == [at(140), at(170)]


async def test_comebacks_are_detected_linked_and_can_be_overridden(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    service = app(f"sqlite+aiosqlite:///{tmp_path / 'reception.db'}", kafka)
    async with running(service) as client, EventTap(kafka, [rc.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure(comeback_window_days=30)
        customer = await desk.customer()
        car = await desk.vehicle(customer["id"])
        old_car = await desk.vehicle(customer["id"])
        other_car = await desk.vehicle(customer["id"])

        first = await done_and_delivered(desk, kafka, car, [line("BRK01", complaint="Squeal when braking")], days_ago=3)
        stale = await done_and_delivered(desk, kafka, old_car, [line("BRK01")], days_ago=40)
        await done_and_delivered(desk, kafka, other_car, [line("OIL01", complaint="")], days_ago=2)

        back = await desk.open_ro((await desk.arrive(car["id"]))["id"], [line("BRK07", complaint="  squeal WHEN braking ")])
        assert (back["is_comeback"], back["comeback_of"]) == (True, first["id"])
        assert back["comeback_reason"] == f"repeats concern 'squeal when braking' of RO {first['ro_number']}"
        beyond_window = await desk.open_ro((await desk.arrive(old_car["id"]))["id"], [line("BRK01")])
        assert beyond_window["is_comeback"] is False
        unrelated = await desk.open_ro((await desk.arrive(other_car["id"]))["id"], [line("BRK01", complaint="")])
        assert unrelated["is_comeback"] is False

        await desk.ok("POST", f"/repair-orders/{unrelated['id']}/lines", 201, json=line("OIL01", complaint=""))
        flagged = await desk.ok("GET", f"/repair-orders/{unrelated['id']}")
        assert (flagged["is_comeback"], flagged["comeback_reason"]) == (True, "repeats op code OIL01 of RO RO-000003")

        unflagged = await desk.ok("PUT", f"/repair-orders/{unrelated['id']}/comeback",
                                  json={"is_comeback": False, "reason": "oil change is routine, not a repeat"})
        assert (unflagged["is_comeback"], unflagged["comeback_of"]) == (False, None)
        await desk.ok("PATCH", f"/repair-orders/{unrelated['id']}/lines/{unflagged['lines'][1]['id']}", json={"complaint": "oil"})
        assert (await desk.ok("GET", f"/repair-orders/{unrelated['id']}"))["is_comeback"] is False
        wrong_car = await desk.client.put(f"/repair-orders/{beyond_window['id']}/comeback", headers=desk.headers,
                                          json={"is_comeback": True, "comeback_of": first["id"], "reason": "same noise"})
        assert wrong_car.status_code == 422 and "same vehicle" in wrong_car.json()["detail"]
        by_hand = await desk.ok("PUT", f"/repair-orders/{beyond_window['id']}/comeback",
                                json={"is_comeback": True, "comeback_of": stale["id"], "reason": "same noise, customer insists"})
        assert (by_hand["is_comeback"], by_hand["comeback_of"], by_hand["comeback_reason"]) == (
            True, stale["id"], "same noise, customer insists")

        await tap.wait_for(rc.ComebackFlagged, 3)
        await tap.wait_for(rc.ComebackUnflagged)
        opened = {e.data["repair_order_id"]: e.data for e in tap.of(rc.RepairOrderOpened)}
        assert (opened[back["id"]]["is_comeback"], opened[back["id"]]["comeback_of"]) == (True, first["id"])
        assert opened[beyond_window["id"]]["is_comeback"] is False
        assert [(e.data["repair_order_id"], e.data["comeback_of"], e.data["automatic"]) for e in tap.of(rc.ComebackFlagged)] == [
            (back["id"], first["id"], True), (unrelated["id"], flagged["comeback_of"], True), (beyond_window["id"], stale["id"], False)]
        assert [e.data["reason"] for e in tap.of(rc.ComebackUnflagged)] == ["oil change is routine, not a repeat"]


async def done_and_delivered(desk: Desk, kafka: str, vehicle: dict[str, object], lines: list[dict[str, object]], days_ago: int) -> dict[str, object]:
    """An RO written, approved, worked, inspected, invoiced and delivered `days_ago` days ago."""
    t = day_start() - timedelta(days=days_ago)
    visit = await desk.arrive(str(vehicle["id"]), at=t)
    ro = await desk.open_ro(visit["id"], lines, at=t + timedelta(minutes=5))
    ro = await approve_all(desk, ro, t + timedelta(minutes=10))
    floor = {"site_id": desk.site, "repair_order_id": ro["id"], "technician_id": "tech-1", "bay_id": "bay-1"}
    events: list[object] = []
    for job in ro["lines"]:
        events += [JobClockedOn(occurred_at=t + timedelta(minutes=20), job_id=job["id"], **floor),
                   JobCompleted(occurred_at=t + timedelta(minutes=80), job_id=job["id"], sold_hours=Decimal(job["sold_hours"]), **floor)]
    events.append(QcPassed(site_id=desk.site, occurred_at=t + timedelta(minutes=90), repair_order_id=ro["id"], inspector="qc"))
    await publish(kafka, *events)  # type: ignore[arg-type]
    await eventually(lambda: state_is(desk, ro["id"], "ready"))
    await desk.ok("POST", f"/repair-orders/{ro['id']}/invoice", 201, json={"occurred_at": (t + timedelta(minutes=100)).isoformat()})
    return await desk.ok("POST", f"/repair-orders/{ro['id']}/deliver",
                         json={"mileage_out": 30600, "occurred_at": (t + timedelta(minutes=110)).isoformat()})

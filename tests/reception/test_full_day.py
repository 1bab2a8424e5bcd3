"""One RO's whole day through the API, with its events read back from the real Kafka in order."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from shared.contracts import reception as rc
from shared.contracts.parts import IssuedLine, PartsIssued
from shared.contracts.workshop import JobClockedOn, JobCompleted, QcPassed
from tests.kit import EventTap, auth, eventually, new_site, publish, running
from tests.reception.helpers import Desk, app, day_start, iso, line, new_vin, state_is, when

EXPECTED = [
    rc.SiteConfigured, rc.AppointmentBooked, rc.AppointmentRescheduled, rc.VehicleArrived, rc.RecallChecked,
    rc.RepairOrderOpened, rc.JobLineAdded, rc.JobLineChanged, rc.JobLineAdded, rc.JobLineRemoved, rc.ApprovalRequested,
    rc.JobLineApproved, rc.JobLineApproved, rc.JobLineDeclined, rc.RepairOrderReady, rc.RepairOrderInvoiced, rc.VehicleDelivered,
]


async def next_slot(desk: Desk, after: datetime) -> datetime:
    """The first free standard slot starting at or after a moment."""
    for day in (after.date(), after.date() + timedelta(days=1)):
        slots = await desk.ok("GET", f"/sites/{desk.site}/slots", params={"date": day.isoformat(), "free_only": "true"})
        starts = [datetime.fromisoformat(s["start"]) for s in slots if datetime.fromisoformat(s["start"]) >= after]
        if starts:
            return starts[0]
    raise AssertionError("no free slot")


async def test_a_full_day_of_one_repair_order(database_url: str, kafka: str) -> None:
    site = new_site()
    vin = new_vin("LSGKB5")
    service = app(database_url, kafka, recall_campaigns={vin[:11]: [{"number": "R-24-017", "title": "Airbag inflator"}]})
    t = day_start()
    async with running(service) as client, EventTap(kafka, [rc.TOPIC], [site]) as tap:
        desk = Desk(client, site)
        await desk.configure()
        customer = await desk.customer()
        vehicle = await desk.vehicle(customer["id"], vin=vin, plate="沪A·12345")

        slot = await next_slot(desk, t + timedelta(hours=1))
        booked = await client.post(f"/sites/{site}/appointments", headers=desk.headers, json={
            "customer_id": customer["id"], "vehicle_id": vehicle["id"], "slot_start": iso(slot), "concern": "brakes squeal",
            "occurred_at": iso(t)})
        assert booked.status_code == 201, booked.text
        appointment = booked.json()
        moved = await desk.ok("POST", f"/appointments/{appointment['id']}/reschedule",
                              headers={**desk.headers, "If-Match": booked.headers["ETag"]},
                              json={"slot_start": iso(slot + timedelta(minutes=30)), "occurred_at": iso(t + timedelta(minutes=10))})
        assert when(moved["slot_start"]) == slot + timedelta(minutes=30) and moved["version"] == 2

        arrived_at = slot + timedelta(minutes=25)
        visit = await desk.ok("POST", f"/sites/{site}/arrivals", 201,
                              json={"appointment_id": appointment["id"], "occurred_at": iso(arrived_at)})
        assert visit["recall_status"] == "open_campaigns"
        assert visit["recall_campaigns"] == [{"number": "R-24-017", "title": "Airbag inflator"}]
        queue = await desk.ok("GET", f"/sites/{site}/reception-queue",
                              params={"at": iso(arrived_at + timedelta(minutes=7))})
        assert [(e["visit"]["id"], e["waiting_seconds"], e["booked"]) for e in queue["items"]] == [(visit["id"], 420, True)]

        opened_at = arrived_at + timedelta(minutes=12)
        ro = await desk.open_ro(visit["id"], [
            line("BRK01", "1.5"),
            line("RCL017", "0.8", description="Replace airbag inflator", complaint="", campaign_number="R-24-017", pay_type="warranty"),
        ], at=opened_at, promised_at=iso(opened_at + timedelta(hours=5)))
        assert (ro["ro_number"], ro["state"], ro["recall_status"]) == ("RO-000001", "open", "open_campaigns")
        assert [(x["op_code"], x["pay_type"], x["labour_rate"], x["status"]) for x in ro["lines"]] == [
            ("BRK01", "customer", "300", "draft"), ("RCL017", "warranty", "300", "draft")]
        assert (await desk.ok("GET", f"/sites/{site}/reception-queue"))["items"] == []
        brakes, recall = (x["id"] for x in ro["lines"])

        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/lines", 201,
                           json={**line("WIP01", "0.2", description="Wiper blades", parts_estimate="80"),
                                 "occurred_at": iso(opened_at + timedelta(minutes=5))})
        wipers = ro["lines"][-1]["id"]
        ro = await desk.ok("PATCH", f"/repair-orders/{ro['id']}/lines/{wipers}",
                           json={"sold_hours": "0.3", "occurred_at": iso(opened_at + timedelta(minutes=6))})
        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/lines", 201, json=line("TYR09", "0.5"))
        ro = await desk.ok("DELETE", f"/repair-orders/{ro['id']}/lines/{ro['lines'][-1]['id']}")
        assert [x["op_code"] for x in ro["lines"]] == ["BRK01", "RCL017", "WIP01"]

        asked_at = opened_at + timedelta(minutes=10)
        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/request-approval", json={"occurred_at": iso(asked_at)})
        assert ro["state"] == "awaiting_approval"
        estimate = await desk.ok("GET", f"/repair-orders/{ro['id']}/estimate")
        assert (estimate["labour_amount"], estimate["parts_amount"], estimate["total_amount"]) == ("780.00", "80.00", "860.00")
        assert estimate["amounts_by_pay_type"] == {"customer": "620.00", "warranty": "240.00", "internal": "0.00", "insurance": "0.00"}

        decided = asked_at + timedelta(minutes=20)
        for line_id, verdict, method in ((brakes, "approve", "in_person"), (recall, "approve", "in_person"), (wipers, "decline", "phone")):
            ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/lines/{line_id}/{verdict}",
                               json={"by": "Wang Wei", "method": method, "occurred_at": iso(decided)})
        assert ro["state"] == "approved"
        assert [(x["status"], x["decided_by"], x["decision_method"]) for x in ro["lines"]] == [
            ("approved", "Wang Wei", "in_person"), ("approved", "Wang Wei", "in_person"), ("declined", "Wang Wei", "phone")]
        too_early = await client.post(f"/repair-orders/{ro['id']}/invoice", headers=desk.headers, json={})
        assert too_early.status_code == 409
        assert too_early.json()["state"] == "approved" and "invoice" not in too_early.json()["allowed"]

        w = decided + timedelta(minutes=30)
        common = {"site_id": site, "repair_order_id": ro["id"], "technician_id": "tech-li", "bay_id": "bay-3"}
        await publish(kafka, JobClockedOn(occurred_at=w, job_id=brakes, **common))
        await eventually(lambda: state_is(desk, ro["id"], "in_progress"))
        last_done = w + timedelta(hours=2)
        qc_at = last_done + timedelta(minutes=15)
        await publish(
            kafka,
            JobClockedOn(occurred_at=w + timedelta(minutes=5), job_id=recall, **common),
            PartsIssued(site_id=site, occurred_at=w + timedelta(minutes=40), request_id="preq-1", repair_order_id=ro["id"],
                        job_id=brakes, request_fully_issued=True,
                        lines=[IssuedLine(request_line_id="prl-1", part_number="BP-4471", quantity=Decimal("1"),
                                          unit_cost=Decimal("200"), unit_price=Decimal("350"), from_stock_at_first_pick=True)]),
            JobCompleted(occurred_at=w + timedelta(hours=1), job_id=brakes, sold_hours=Decimal("1.5"), **common),
            # The inspection's event arrives before the last completion it follows.
            QcPassed(site_id=site, occurred_at=qc_at, repair_order_id=ro["id"], inspector="qc-zhao"),
            JobCompleted(occurred_at=last_done, job_id=recall, sold_hours=Decimal("0.8"), **common),
        )
        await eventually(lambda: state_is(desk, ro["id"], "ready"))
        ro = await desk.ok("GET", f"/repair-orders/{ro['id']}")
        assert when(ro["ready_at"]) == qc_at
        assert [(p["part_number"], p["quantity"], p["amount"], p["pay_type"]) for p in ro["parts_lines"]] == [
            ("BP-4471", "1", "350.00", "customer")]

        bill = await desk.ok("POST", f"/repair-orders/{ro['id']}/invoice", 201, json={
            "sublet_lines": [{"description": "Wheel alignment", "pay_type": "customer", "amount": "150", "cost": "100"}],
            "occurred_at": iso(qc_at + timedelta(minutes=30))})
        assert (bill["labour_amount"], bill["parts_amount"], bill["sublet_amount"]) == ("690.00", "350.00", "150.00")
        assert (bill["total_amount"], bill["tax_amount"], bill["total_with_tax"]) == ("1190.00", "154.70", "1344.70")
        assert (bill["customer_pay_amount"], bill["warranty_amount"]) == ("950.00", "240.00")
        assert (bill["parts_cost"], bill["sublet_cost"], bill["labour_cost"], bill["cost"]) == ("200.00", "100.00", "184.00", "484.00")
        assert bill["sold_hours"] == "2.3"

        ro = await desk.ok("POST", f"/repair-orders/{ro['id']}/deliver",
                           json={"mileage_out": 30512, "occurred_at": iso(qc_at + timedelta(minutes=45))})
        assert (ro["state"], ro["mileage_out"], ro["allowed_actions"]) == ("delivered", 30512, ["flag_comeback"])

        await tap.wait_for(rc.VehicleDelivered)
        assert tap.types() == [cls.type for cls in EXPECTED]
        by_type = {e.type: e for e in tap.events}
        opened = rc.RepairOrderOpened.model_validate(by_type[rc.RepairOrderOpened.type].data)
        assert (opened.arrived_at, opened.occurred_at, opened.advisor) == (arrived_at, opened_at, "advisor-amy")
        assert [x.op_code for x in opened.job_lines] == ["BRK01", "RCL017"]
        assert opened.job_lines[1].campaign_number == "R-24-017"
        ready = rc.RepairOrderReady.model_validate(by_type[rc.RepairOrderReady.type].data)
        assert ready.occurred_at == qc_at and ready.ro_number == "RO-000001"
        invoiced = rc.RepairOrderInvoiced.model_validate(by_type[rc.RepairOrderInvoiced.type].data)
        assert invoiced.amounts_by_pay_type == {rc.PayType.CUSTOMER: Decimal("950"), rc.PayType.WARRANTY: Decimal("240"),
                                                rc.PayType.INTERNAL: 0, rc.PayType.INSURANCE: 0}
        assert (invoiced.parts_cost, invoiced.sublet_cost, invoiced.sold_hours) == (Decimal("200"), Decimal("100"), Decimal("2.3"))
        assert [(x.kind, x.job_line_id, x.sold_hours) for x in invoiced.lines if x.kind == "labour"] == [
            ("labour", brakes, Decimal("1.5")), ("labour", recall, Decimal("0.8"))]
        recall_checked = rc.RecallChecked.model_validate(by_type[rc.RecallChecked.type].data)
        assert (recall_checked.status, recall_checked.campaign_numbers) == ("open_campaigns", ["R-24-017"])
        sequences = [e.sequence for e in tap.events if e.subject == f"repair_order/{ro['id']}"]
        assert sequences == list(range(1, len(sequences) + 1))

        technician = auth(["technician"], [site], subject="tech-li")
        assert (await client.get(f"/repair-orders/{ro['id']}", headers=technician)).json()["state"] == "delivered"
        assert (await client.post(f"/repair-orders/{ro['id']}/cancel", headers=technician, json={})).status_code == 403


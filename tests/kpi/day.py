"""A scripted day at one site: every event the floor sends, at site-local times of one date.

The figures this day must give are written out by hand in test_scripted_day.py (the reasoning is in
comments there), never recomputed by the service's code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.contracts import parts as p
from shared.contracts import reception as r
from shared.contracts import workshop as w
from shared.contracts.base import Event

D = Decimal
OPENING = [r.OpeningHours(weekday=d, opens="08:00", closes="18:00") for d in range(7)]


def line(job_line_id: str, pay: r.PayType, hours: str, op: str = "OP") -> r.JobLine:
    return r.JobLine(job_line_id=job_line_id, op_code=op, description=op, pay_type=pay, sold_hours=D(hours), labour_rate=D("100"))


class Day:
    """Builds the events of `site` on `day` in time zone `tz`."""

    def __init__(self, site: str, tz: str, day: date) -> None:
        self.site, self.tz, self.day = site, tz, day

    def at(self, hhmm: str) -> datetime:
        hours, minutes = map(int, hhmm.split(":"))
        return datetime(self.day.year, self.day.month, self.day.day, hours, minutes, tzinfo=ZoneInfo(self.tz))

    def events(self) -> list[Event]:
        """The whole day, in the order things happened."""
        return sorted(self._events(), key=lambda e: e.occurred_at)

    def _events(self) -> list[Event]:  # noqa: PLR0915 - a script
        s, at = self.site, self.at
        L1, L2, L3 = line("L1", r.PayType.CUSTOMER, "1.5"), line("L2", r.PayType.CUSTOMER, "2.0"), line("L3", r.PayType.WARRANTY, "1.0")
        L4, L5 = line("L4", r.PayType.INSURANCE, "3.0"), line("L5", r.PayType.CUSTOMER, "4.0")

        def ro(ro_id: str, visit: str, vehicle: str, kind: r.RoType, arrived: str, opened: str, promised: str | None,
               lines: list[r.JobLine], **extra: object) -> r.RepairOrderOpened:
            return r.RepairOrderOpened(
                site_id=s, occurred_at=at(opened), repair_order_id=ro_id, ro_number=ro_id, visit_id=visit, vehicle_id=vehicle,
                customer_id="c-" + vehicle, vin="VIN" + vehicle, advisor="adv", ro_type=kind, mileage_in=1000,
                arrived_at=at(arrived), promised_at=at(promised) if promised else None, job_lines=lines, **extra)

        def job(cls: type, job_id: str, ro_id: str, hhmm: str, **extra: object) -> Event:
            return cls(site_id=s, occurred_at=at(hhmm), job_id=job_id, repair_order_id=ro_id, **extra)

        def arrive(visit: str, vehicle: str, hhmm: str, appointment: str | None = None) -> r.VehicleArrived:
            return r.VehicleArrived(site_id=s, occurred_at=at(hhmm), visit_id=visit, vehicle_id=vehicle, vin="VIN" + vehicle,
                                    appointment_id=appointment)

        def tech(cls: type, technician: str, hhmm: str, **extra: object) -> Event:
            return cls(site_id=s, occurred_at=at(hhmm), technician_id=technician, **extra)

        def bay(bay_id: str, status: w.BayStatus, hhmm: str) -> w.BayStatusChanged:
            return w.BayStatusChanged(site_id=s, occurred_at=at(hhmm), bay_id=bay_id, name=f"Bay {bay_id}", kind="lift", status=status)

        def book(appointment: str, vehicle: str, slot: str) -> r.AppointmentBooked:
            return r.AppointmentBooked(site_id=s, occurred_at=at("07:00"), appointment_id=appointment, customer_id="c",
                                       vehicle_id=vehicle, slot_start=at(slot), slot_end=at(slot))

        def on(job_id: str, ro_id: str, hhmm: str, technician: str, bay_id: str, cls: type = w.JobClockedOn,
               **extra: object) -> Event:
            return job(cls, job_id, ro_id, hhmm, technician_id=technician, bay_id=bay_id, **extra)

        def queued(job_id: str, ro_id: str, hhmm: str, hours: str) -> Event:
            return job(w.JobQueued, job_id, ro_id, hhmm, ro_number=ro_id, sold_hours=D(hours), approved_at=at(hhmm))

        def approved(ro_id: str, job_line: r.JobLine, hhmm: str) -> r.JobLineApproved:
            return r.JobLineApproved(site_id=s, occurred_at=at(hhmm), repair_order_id=ro_id, job_line_id=job_line.job_line_id,
                                     line=job_line, by="customer", method=r.ApprovalMethod.IN_PERSON)

        def invoice(ro_id: str, kind: r.RoType, hhmm: str, labour: str, parts: str, sublet: str, parts_cost: str,
                    sublet_cost: str, hours: str, by_pay: dict[r.PayType, str], lines: list[r.InvoiceLine]) -> r.RepairOrderInvoiced:
            total = D(labour) + D(parts) + D(sublet)
            return r.RepairOrderInvoiced(
                site_id=s, occurred_at=at(hhmm), repair_order_id=ro_id, invoice_id="INV-" + ro_id, ro_number=ro_id, ro_type=kind,
                labour_amount=D(labour), parts_amount=D(parts), sublet_amount=D(sublet), total_amount=total,
                tax_amount=total * D("0.13"), parts_cost=D(parts_cost), sublet_cost=D(sublet_cost), sold_hours=D(hours),
                amounts_by_pay_type={k: D(v) for k, v in by_pay.items()}, lines=lines)

        def labour(job_line: str, pay: r.PayType, amount: str, hours: str) -> r.InvoiceLine:
            return r.InvoiceLine(kind="labour", pay_type=pay, amount=D(amount), job_line_id=job_line, sold_hours=D(hours))

        def issued(request: str, hhmm: str, lines: list[tuple[str, str, bool]], full: bool) -> p.PartsIssued:
            return p.PartsIssued(site_id=s, occurred_at=at(hhmm), request_id=request, request_fully_issued=full,
                                 lines=[p.IssuedLine(request_line_id=i, part_number="P" + i, quantity=D(q), unit_cost=D("25"),
                                                     unit_price=D("40"), from_stock_at_first_pick=first) for i, q, first in lines])

        C, WA = r.PayType.CUSTOMER, r.PayType.WARRANTY
        return [
            r.SiteConfigured(site_id=s, occurred_at=at("06:00"), name="Scripted", time_zone=self.tz, opening_hours=OPENING,
                             labour_rate=D("100"), technician_cost_rate=D("30"), tax_rate=D("0.13"), comeback_window_days=30),
            bay("B1", w.BayStatus.OPEN, "07:00"), bay("B2", w.BayStatus.OPEN, "07:00"),
            bay("B2", w.BayStatus.OUT_OF_SERVICE, "12:00"), bay("B2", w.BayStatus.OPEN, "13:00"),
            book("A1", "V1", "08:00"), book("A2", "V3", "13:00"), book("A3", "V9", "10:00"), book("A4", "V8", "11:00"),
            r.AppointmentCancelled(site_id=s, occurred_at=at("07:30"), appointment_id="A4"),
            r.AppointmentNoShow(site_id=s, occurred_at=at("10:30"), appointment_id="A3"),
            # technicians
            tech(w.TechnicianClockedIn, "T1", "08:00", name="Alice"), tech(w.TechnicianClockedIn, "T2", "08:30", name="Bob"),
            tech(w.TechnicianBreakStarted, "T1", "12:00"), tech(w.TechnicianBreakEnded, "T1", "12:30"),
            tech(w.TechnicianClockedOut, "T1", "17:00"), tech(w.TechnicianClockedOut, "T2", "17:30"),
            w.ClockingAdjusted(site_id=s, occurred_at=at("17:40"), technician_id="T2", adjustment_id="ADJ1",
                               original_start=at("08:30"), original_end=at("17:30"), corrected_start=at("08:00"),
                               corrected_end=at("17:30"), reason="forgot to clock in", adjusted_by="foreman"),
            # RO1: scheduled maintenance, one customer line, waits for parts, on time
            arrive("V1", "V1", "08:00", "A1"),
            ro("RO1", "V1", "V1", r.RoType.SCHEDULED_MAINTENANCE, "08:00", "08:10", "12:00", [L1]),
            r.ApprovalRequested(site_id=s, occurred_at=at("08:15"), repair_order_id="RO1", job_line_ids=["L1"]),
            approved("RO1", L1, "08:25"), queued("L1", "RO1", "08:25", "1.5"),
            job(w.JobDispatched, "L1", "RO1", "08:40", technician_id="T1", bay_id="B1"),
            on("L1", "RO1", "08:45", "T1", "B1"),
            w.PartsRequested(site_id=s, occurred_at=at("09:25"), request_id="P1", job_id="L1", repair_order_id="RO1",
                             requested_by="T1", lines=[w.RequestedPart(part_number="PPL1", quantity=D("2"))]),
            p.PartsRequestReceived(site_id=s, occurred_at=at("09:26"), request_id="P1", repair_order_id="RO1", job_id="L1",
                                   origin="workshop", requested_at=at("09:25"), lines=[
                                       p.RequestLine(request_line_id="PL1", part_number="PPL1", quantity=D("2")),
                                       p.RequestLine(request_line_id="PL2", part_number="PPL2", quantity=D("1"))]),
            on("L1", "RO1", "09:30", "T1", "B1", w.JobPaused, reason=w.PauseReason.WAITING_PARTS),
            issued("P1", "09:40", [("PL1", "2", True)], full=False),
            p.PartsBackordered(site_id=s, occurred_at=at("09:40"), request_id="P1", backorder_id="BO1", request_line_id="PL2",
                               part_number="PPL2", quantity=D("1")),
            p.PartBelowReorderPoint(site_id=s, occurred_at=at("09:40"), part_number="FILTER", available=D("1"),
                                    reorder_point=D("5"), reorder_quantity=D("10")),
            p.BackorderFilled(site_id=s, occurred_at=at("09:55"), request_id="P1", backorder_id="BO1", part_number="PPL2", quantity=D("1")),
            issued("P1", "09:55", [("PL2", "1", False)], full=True),
            p.PartBelowReorderPoint(site_id=s, occurred_at=at("10:00"), part_number="PAD", available=D("0"),
                                    reorder_point=D("2"), reorder_quantity=D("4")),
            on("L1", "RO1", "10:00", "T1", "B1", w.JobResumed),
            job(w.JobCompleted, "L1", "RO1", "10:30", technician_id="T1", bay_id="B1", sold_hours=D("1.5")),
            w.QcPassed(site_id=s, occurred_at=at("10:45"), repair_order_id="RO1", inspector="qc"),
            p.PartBackAboveReorderPoint(site_id=s, occurred_at=at("11:00"), part_number="PAD", available=D("4"), reorder_point=D("2")),
            r.RepairOrderReady(site_id=s, occurred_at=at("11:00"), repair_order_id="RO1", ro_number="RO1"),
            invoice("RO1", r.RoType.SCHEDULED_MAINTENANCE, "11:30", "150", "80", "0", "50", "0", "1.5", {C: "230"},
                    [labour("L1", C, "150", "1.5"), r.InvoiceLine(kind="parts", pay_type=C, amount=D("80"), cost=D("50"))]),
            r.VehicleDelivered(site_id=s, occurred_at=at("12:00"), repair_order_id="RO1", mileage_out=1001),
            # RO2: general repair, a customer line (two technicians, QC fail and rework) and a warranty line
            arrive("V2", "V2", "09:00"),
            ro("RO2", "V2", "V2", r.RoType.GENERAL_REPAIR, "09:00", "09:30", "15:00", [L2, L3]),
            r.ApprovalRequested(site_id=s, occurred_at=at("09:40"), repair_order_id="RO2", job_line_ids=["L2", "L3"]),
            approved("RO2", L3, "09:50"), queued("L3", "RO2", "09:50", "1.0"),
            approved("RO2", L2, "10:00"), queued("L2", "RO2", "10:00", "2.0"),
            on("L2", "RO2", "10:15", "T2", "B2"),
            on("L2", "RO2", "10:45", "T1", "B2"),
            on("L2", "RO2", "11:45", "T1", "B2", w.JobClockedOff),
            on("L2", "RO2", "12:00", "T2", "B2", w.JobPaused, reason=w.PauseReason.WAITING_APPROVAL),
            on("L3", "RO2", "12:30", "T1", "B1"),
            on("L2", "RO2", "13:00", "T2", "B2", w.JobResumed),
            job(w.JobCompleted, "L3", "RO2", "13:30", technician_id="T1", bay_id="B1", sold_hours=D("1.0")),
            job(w.JobCompleted, "L2", "RO2", "14:00", technician_id="T2", bay_id="B2", sold_hours=D("2.0")),
            w.QcFailed(site_id=s, occurred_at=at("14:15"), repair_order_id="RO2", inspector="qc", job_ids=["L2"], reason="noise"),
            on("L2", "RO2", "14:30", "T2", "B2"),
            job(w.JobCompleted, "L2", "RO2", "14:45", technician_id="T2", bay_id="B2", sold_hours=D("2.0")),
            w.QcPassed(site_id=s, occurred_at=at("15:00"), repair_order_id="RO2", inspector="qc"),
            r.RepairOrderReady(site_id=s, occurred_at=at("15:15"), repair_order_id="RO2", ro_number="RO2"),
            invoice("RO2", r.RoType.GENERAL_REPAIR, "15:30", "350", "0", "120", "0", "90", "3.5", {C: "370", WA: "100"},
                    [labour("L2", C, "250", "2.5"), labour("L3", WA, "100", "1.0"),
                     r.InvoiceLine(kind="sublet", pay_type=C, amount=D("120"), cost=D("90"))]),
            r.VehicleDelivered(site_id=s, occurred_at=at("16:00"), repair_order_id="RO2", mileage_out=1001),
            # RO3: accident, insurance line, a comeback of an older RO; still in work at the end of the day
            arrive("V3", "V3", "13:00", "A2"),
            ro("RO3", "V3", "V3", r.RoType.ACCIDENT, "13:00", "13:20", None, [L4], is_comeback=True, comeback_of="RO-OLD"),
            r.ApprovalRequested(site_id=s, occurred_at=at("13:30"), repair_order_id="RO3", job_line_ids=["L4"]),
            approved("RO3", L4, "14:30"), queued("L4", "RO3", "14:30", "3.0"),
            on("L4", "RO3", "15:00", "T1", "B1"),
            w.PartsRequested(site_id=s, occurred_at=at("15:10"), request_id="P2", job_id="L4", repair_order_id="RO3",
                             requested_by="T1", lines=[w.RequestedPart(part_number="PPL3", quantity=D("1"))]),
            p.PartsRequestReceived(site_id=s, occurred_at=at("15:11"), request_id="P2", repair_order_id="RO3", job_id="L4",
                                   origin="workshop", requested_at=at("15:10"),
                                   lines=[p.RequestLine(request_line_id="PL3", part_number="PPL3", quantity=D("1"))]),
            p.PartsBackordered(site_id=s, occurred_at=at("15:20"), request_id="P2", backorder_id="BO2", request_line_id="PL3",
                               part_number="PPL3", quantity=D("1")),
            on("L4", "RO3", "16:30", "T1", "B1", w.JobClockedOff),
            # RO4: first free service; its only line declined; flagged a comeback by mistake, then unflagged
            arrive("V4", "V4", "16:00"),
            ro("RO4", "V4", "V4", r.RoType.FIRST_FREE_SERVICE, "16:00", "16:05", None, [L5]),
            r.ApprovalRequested(site_id=s, occurred_at=at("16:10"), repair_order_id="RO4", job_line_ids=["L5"]),
            r.ComebackFlagged(site_id=s, occurred_at=at("16:20"), repair_order_id="RO4", comeback_of="RO-OLD", reason="?"),
            r.ComebackUnflagged(site_id=s, occurred_at=at("16:25"), repair_order_id="RO4", reason="not the same concern"),
            r.JobLineDeclined(site_id=s, occurred_at=at("16:40"), repair_order_id="RO4", job_line_id="L5", by="customer",
                              method=r.ApprovalMethod.PHONE),
            # RO5: general repair, flagged a comeback after opening
            arrive("V5", "V5", "16:50"),
            ro("RO5", "V5", "V5", r.RoType.GENERAL_REPAIR, "16:50", "17:00", None, []),
            r.ComebackFlagged(site_id=s, occurred_at=at("17:10"), repair_order_id="RO5", comeback_of="RO-OLD2", reason="same noise"),
        ]

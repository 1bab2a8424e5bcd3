"""Integration-event handlers: each event becomes fact rows keyed by natural ids (see projection.rules)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.db import (
    AppointmentFact,
    BackorderFact,
    BayFact,
    BayStatusFact,
    ClockingAdjustmentFact,
    InvoiceFact,
    JobFact,
    JobLineFact,
    PartsIssueLineFact,
    PartsRequestFact,
    PartsRequestLineFact,
    QcResultFact,
    RepairOrderFact,
    SiteFact,
    StockFlagFact,
    TechnicianFact,
    VisitFact,
)
from services.kpi.projection.rules import ALL_TECHNICIANS, Patch
from services.kpi.satisfaction.projection import projections as satisfaction_projections
from services.kpi.projection.store import add_attendance_mark, add_job_mark, insert_ignore, merge_row, touch_site
from shared.contracts import parts as p
from shared.contracts import reception as r
from shared.contracts import workshop as w
from shared.contracts.base import Event
from shared.uow import UnitOfWork

Handler = Callable[[UnitOfWork, Any], Awaitable[None]]


def _ro(e: r._RepairOrder) -> dict[str, str]:
    return {"site_id": e.site_id, "repair_order_id": e.repair_order_id}


async def _line(s: AsyncSession, e: r._RepairOrder, line: r.JobLine, **extra: Any) -> None:
    latest = {"line_at": (e.occurred_at, {"op_code": line.op_code, "pay_type": line.pay_type.value,
                                          "sold_hours": line.sold_hours, "labour_rate": line.labour_rate})}
    await merge_row(s, JobLineFact, {**_ro(e), "job_line_id": line.job_line_id}, Patch(latest=latest, **extra))


# --- reception -------------------------------------------------------------------------------------


async def site_configured(s: AsyncSession, e: r.SiteConfigured) -> None:
    values = {"name": e.name, "time_zone": e.time_zone, "opening_hours": [h.model_dump() for h in e.opening_hours],
              "labour_rate": e.labour_rate, "technician_cost_rate": e.technician_cost_rate,
              "comeback_window_days": e.comeback_window_days}
    await merge_row(s, SiteFact, {"site_id": e.site_id}, Patch(latest={"configured_at": (e.occurred_at, values)}))


async def appointment_booked(s: AsyncSession, e: r.AppointmentBooked) -> None:
    slot = {"slot_at": (e.occurred_at, {"slot_start": e.slot_start, "slot_end": e.slot_end})}
    await merge_row(s, AppointmentFact, {"site_id": e.site_id, "appointment_id": e.appointment_id},
                    Patch(fill={"vehicle_id": e.vehicle_id}, earliest={"booked_at": e.occurred_at}, latest=slot))


async def appointment_rescheduled(s: AsyncSession, e: r.AppointmentRescheduled) -> None:
    slot = {"slot_at": (e.occurred_at, {"slot_start": e.slot_start, "slot_end": e.slot_end})}
    await merge_row(s, AppointmentFact, {"site_id": e.site_id, "appointment_id": e.appointment_id}, Patch(latest=slot))


async def appointment_cancelled(s: AsyncSession, e: r.AppointmentCancelled) -> None:
    await merge_row(s, AppointmentFact, {"site_id": e.site_id, "appointment_id": e.appointment_id},
                    Patch(earliest={"cancelled_at": e.occurred_at}))


async def appointment_no_show(s: AsyncSession, e: r.AppointmentNoShow) -> None:
    await merge_row(s, AppointmentFact, {"site_id": e.site_id, "appointment_id": e.appointment_id},
                    Patch(earliest={"no_show_at": e.occurred_at}))


async def vehicle_arrived(s: AsyncSession, e: r.VehicleArrived) -> None:
    await merge_row(s, VisitFact, {"site_id": e.site_id, "visit_id": e.visit_id},
                    Patch(fill={"vehicle_id": e.vehicle_id, "appointment_id": e.appointment_id},
                          earliest={"arrived_at": e.occurred_at}))


async def repair_order_opened(s: AsyncSession, e: r.RepairOrderOpened) -> None:
    latest: dict[str, Any] = {
        "ro_type_at": (e.occurred_at, {"ro_type": e.ro_type.value}),
        "comeback_set_at": (e.occurred_at, {"is_comeback": e.is_comeback}),
    }
    if e.promised_at is not None:
        latest["promised_set_at"] = (e.occurred_at, {"promised_at": e.promised_at})
    if e.comeback_of is not None:
        latest["comeback_of_at"] = (e.occurred_at, {"comeback_of": e.comeback_of})
    fill = {"ro_number": e.ro_number, "visit_id": e.visit_id, "vehicle_id": e.vehicle_id, "advisor": e.advisor}
    await merge_row(s, RepairOrderFact, _ro(e),
                    Patch(fill=fill, earliest={"opened_at": e.occurred_at, "arrived_at": e.arrived_at}, latest=latest))
    await merge_row(s, VisitFact, {"site_id": e.site_id, "visit_id": e.visit_id},
                    Patch(fill={"vehicle_id": e.vehicle_id, "repair_order_id": e.repair_order_id},
                          earliest={"ro_arrived_at": e.arrived_at}))
    for line in e.job_lines:
        await _line(s, e, line)


async def job_line_added(s: AsyncSession, e: r.JobLineAdded | r.JobLineChanged) -> None:
    await _line(s, e, e.line)


async def job_line_removed(s: AsyncSession, e: r.JobLineRemoved) -> None:
    await merge_row(s, JobLineFact, {**_ro(e), "job_line_id": e.job_line_id}, Patch(earliest={"removed_at": e.occurred_at}))


async def approval_requested(s: AsyncSession, e: r.ApprovalRequested) -> None:
    for line_id in e.job_line_ids:
        await merge_row(s, JobLineFact, {**_ro(e), "job_line_id": line_id}, Patch(earliest={"proposed_at": e.occurred_at}))


async def job_line_approved(s: AsyncSession, e: r.JobLineApproved) -> None:
    await _line(s, e, e.line, earliest={"approved_at": e.occurred_at})


async def job_line_declined(s: AsyncSession, e: r.JobLineDeclined) -> None:
    await merge_row(s, JobLineFact, {**_ro(e), "job_line_id": e.job_line_id}, Patch(earliest={"declined_at": e.occurred_at}))


async def repair_order_ready(s: AsyncSession, e: r.RepairOrderReady) -> None:
    latest = {"promised_set_at": (e.occurred_at, {"promised_at": e.promised_at})} if e.promised_at else {}
    await merge_row(s, RepairOrderFact, _ro(e),
                    Patch(fill={"ro_number": e.ro_number}, earliest={"ready_at": e.occurred_at}, latest=latest))


async def repair_order_invoiced(s: AsyncSession, e: r.RepairOrderInvoiced) -> None:
    await insert_ignore(
        s, InvoiceFact, site_id=e.site_id, invoice_id=e.invoice_id, repair_order_id=e.repair_order_id,
        invoiced_at=e.occurred_at, ro_type=e.ro_type.value, labour_amount=e.labour_amount, parts_amount=e.parts_amount,
        sublet_amount=e.sublet_amount, total_amount=e.total_amount, parts_cost=e.parts_cost, sublet_cost=e.sublet_cost,
        sold_hours=e.sold_hours, amounts_by_pay_type={k.value: str(v) for k, v in e.amounts_by_pay_type.items()},
        lines=[line.model_dump(mode="json") for line in e.lines],
    )
    await merge_row(s, RepairOrderFact, _ro(e),
                    Patch(fill={"ro_number": e.ro_number}, latest={"ro_type_at": (e.occurred_at, {"ro_type": e.ro_type.value})}))


async def vehicle_delivered(s: AsyncSession, e: r.VehicleDelivered) -> None:
    await merge_row(s, RepairOrderFact, _ro(e), Patch(earliest={"delivered_at": e.occurred_at}))


async def repair_order_cancelled(s: AsyncSession, e: r.RepairOrderCancelled) -> None:
    await merge_row(s, RepairOrderFact, _ro(e), Patch(earliest={"cancelled_at": e.occurred_at}))


async def comeback_flagged(s: AsyncSession, e: r.ComebackFlagged) -> None:
    latest: dict[str, Any] = {"comeback_set_at": (e.occurred_at, {"is_comeback": True})}
    if e.comeback_of is not None:
        latest["comeback_of_at"] = (e.occurred_at, {"comeback_of": e.comeback_of})
    await merge_row(s, RepairOrderFact, _ro(e), Patch(latest=latest))


async def comeback_unflagged(s: AsyncSession, e: r.ComebackUnflagged) -> None:
    await merge_row(s, RepairOrderFact, _ro(e), Patch(latest={"comeback_set_at": (e.occurred_at, {"is_comeback": False})}))


# --- workshop --------------------------------------------------------------------------------------


async def bay_status_changed(s: AsyncSession, e: w.BayStatusChanged) -> None:
    await insert_ignore(s, BayStatusFact, site_id=e.site_id, bay_id=e.bay_id, at=e.occurred_at, status=e.status.value)
    await merge_row(s, BayFact, {"site_id": e.site_id, "bay_id": e.bay_id},
                    Patch(latest={"name_at": (e.occurred_at, {"name": e.name, "kind": e.kind})}))


async def clocked_in(s: AsyncSession, e: w.TechnicianClockedIn) -> None:
    await merge_row(s, TechnicianFact, {"site_id": e.site_id, "technician_id": e.technician_id},
                    Patch(latest={"name_at": (e.occurred_at, {"name": e.name})}))
    await add_attendance_mark(s, e.site_id, e.technician_id, e.occurred_at, "in")


async def clocked_out(s: AsyncSession, e: w.TechnicianClockedOut) -> None:
    await add_attendance_mark(s, e.site_id, e.technician_id, e.occurred_at, "out")


async def break_started(s: AsyncSession, e: w.TechnicianBreakStarted) -> None:
    await add_attendance_mark(s, e.site_id, e.technician_id, e.occurred_at, "break_start")


async def break_ended(s: AsyncSession, e: w.TechnicianBreakEnded) -> None:
    await add_attendance_mark(s, e.site_id, e.technician_id, e.occurred_at, "break_end")


def _job(e: w._Job) -> dict[str, str]:
    return {"site_id": e.site_id, "job_id": e.job_id}


async def job_queued(s: AsyncSession, e: w.JobQueued) -> None:
    await merge_row(s, JobFact, _job(e), Patch(
        fill={"repair_order_id": e.repair_order_id},
        earliest={"queued_at": e.occurred_at, "approved_at": e.approved_at},
        latest={"queued_sold_at": (e.occurred_at, {"queued_sold_hours": e.sold_hours})}))


async def job_withdrawn(s: AsyncSession, e: w.JobWithdrawn) -> None:
    await merge_row(s, JobFact, _job(e), Patch(fill={"repair_order_id": e.repair_order_id},
                                               earliest={"withdrawn_at": e.occurred_at}))
    await add_job_mark(s, e.site_id, e.job_id, e.occurred_at, "withdraw", ALL_TECHNICIANS, None, e.repair_order_id)


async def job_dispatched(s: AsyncSession, e: w.JobDispatched) -> None:
    await merge_row(s, JobFact, _job(e), Patch(fill={"repair_order_id": e.repair_order_id}))
    await add_job_mark(s, e.site_id, e.job_id, e.occurred_at, "dispatch", e.technician_id, e.bay_id, e.repair_order_id)


def _clock(kind: str, first_on: bool = False) -> Callable[[AsyncSession, Any], Awaitable[None]]:
    async def handle(s: AsyncSession, e: Any) -> None:
        earliest = {"first_clock_on": e.occurred_at} if first_on else {}
        await merge_row(s, JobFact, _job(e), Patch(fill={"repair_order_id": e.repair_order_id}, earliest=earliest))
        await add_job_mark(s, e.site_id, e.job_id, e.occurred_at, kind, e.technician_id, e.bay_id, e.repair_order_id)

    handle.__name__ = f"job_{kind}"
    return handle


async def job_completed(s: AsyncSession, e: w.JobCompleted) -> None:
    await merge_row(s, JobFact, _job(e), Patch(
        fill={"repair_order_id": e.repair_order_id},
        first={"first_completed_at": (e.occurred_at, {"completed_by": e.technician_id})},
        latest={"completion_sold_at": (e.occurred_at, {"completion_sold_hours": e.sold_hours})}))
    await add_job_mark(s, e.site_id, e.job_id, e.occurred_at, "complete", e.technician_id, e.bay_id, e.repair_order_id)


async def qc_result(s: AsyncSession, e: w.QcPassed | w.QcFailed) -> None:
    await insert_ignore(s, QcResultFact, site_id=e.site_id, repair_order_id=e.repair_order_id, at=e.occurred_at,
                        passed=isinstance(e, w.QcPassed), inspector=e.inspector)


async def parts_requested(s: AsyncSession, e: w.PartsRequested) -> None:
    await merge_row(s, PartsRequestFact, {"site_id": e.site_id, "request_id": e.request_id},
                    Patch(fill={"repair_order_id": e.repair_order_id, "job_id": e.job_id},
                          earliest={"requested_at": e.occurred_at}))


async def clocking_adjusted(s: AsyncSession, e: w.ClockingAdjusted) -> None:
    await insert_ignore(
        s, ClockingAdjustmentFact, site_id=e.site_id, adjustment_id=e.adjustment_id, technician_id=e.technician_id,
        job_id=e.job_id, original_start=e.original_start, original_end=e.original_end,
        corrected_start=e.corrected_start, corrected_end=e.corrected_end, adjusted_at=e.occurred_at)


# --- parts -----------------------------------------------------------------------------------------


async def parts_request_received(s: AsyncSession, e: p.PartsRequestReceived) -> None:
    await merge_row(s, PartsRequestFact, {"site_id": e.site_id, "request_id": e.request_id},
                    Patch(fill={"repair_order_id": e.repair_order_id, "job_id": e.job_id},
                          earliest={"requested_at": e.requested_at}))
    for line in e.lines:
        await insert_ignore(s, PartsRequestLineFact, site_id=e.site_id, request_id=e.request_id,
                            request_line_id=line.request_line_id, part_number=line.part_number, quantity=line.quantity)


async def parts_issued(s: AsyncSession, e: p.PartsIssued) -> None:
    await merge_row(s, PartsRequestFact, {"site_id": e.site_id, "request_id": e.request_id}, Patch(
        fill={"repair_order_id": e.repair_order_id, "job_id": e.job_id},
        earliest={"fully_issued_at": e.occurred_at if e.request_fully_issued else None}))
    for position, line in enumerate(e.lines):
        await insert_ignore(s, PartsIssueLineFact, site_id=e.site_id, request_id=e.request_id,
                            request_line_id=line.request_line_id, at=e.occurred_at, position=position,
                            quantity=line.quantity, from_stock_at_first_pick=line.from_stock_at_first_pick)


async def parts_backordered(s: AsyncSession, e: p.PartsBackordered) -> None:
    await merge_row(s, BackorderFact, {"site_id": e.site_id, "backorder_id": e.backorder_id},
                    Patch(fill={"request_id": e.request_id, "part_number": e.part_number},
                          earliest={"created_at": e.occurred_at}))


async def backorder_filled(s: AsyncSession, e: p.BackorderFilled) -> None:
    await merge_row(s, BackorderFact, {"site_id": e.site_id, "backorder_id": e.backorder_id},
                    Patch(fill={"request_id": e.request_id, "part_number": e.part_number},
                          earliest={"filled_at": e.occurred_at}))


async def stock_flag(s: AsyncSession, e: p.PartBelowReorderPoint | p.PartBackAboveReorderPoint) -> None:
    await insert_ignore(s, StockFlagFact, site_id=e.site_id, part_number=e.part_number, at=e.occurred_at,
                        below=isinstance(e, p.PartBelowReorderPoint))


async def no_figure(s: AsyncSession, e: Event) -> None:
    """An event no figure depends on (the site is still remembered)."""


PROJECTIONS: dict[type[Event], Callable[[AsyncSession, Any], Awaitable[None]]] = {
    r.SiteConfigured: site_configured,
    r.AppointmentBooked: appointment_booked,
    r.AppointmentRescheduled: appointment_rescheduled,
    r.AppointmentCancelled: appointment_cancelled,
    r.AppointmentNoShow: appointment_no_show,
    r.VehicleArrived: vehicle_arrived,
    r.RecallChecked: no_figure,
    r.RepairOrderOpened: repair_order_opened,
    r.JobLineAdded: job_line_added,
    r.JobLineChanged: job_line_added,
    r.JobLineRemoved: job_line_removed,
    r.ApprovalRequested: approval_requested,
    r.JobLineApproved: job_line_approved,
    r.JobLineDeclined: job_line_declined,
    r.RepairOrderReady: repair_order_ready,
    r.RepairOrderInvoiced: repair_order_invoiced,
    r.VehicleDelivered: vehicle_delivered,
    r.RepairOrderCancelled: repair_order_cancelled,
    r.ComebackFlagged: comeback_flagged,
    r.ComebackUnflagged: comeback_unflagged,
    w.BayStatusChanged: bay_status_changed,
    w.TechnicianClockedIn: clocked_in,
    w.TechnicianClockedOut: clocked_out,
    w.TechnicianBreakStarted: break_started,
    w.TechnicianBreakEnded: break_ended,
    w.JobQueued: job_queued,
    w.JobWithdrawn: job_withdrawn,
    w.JobDispatched: job_dispatched,
    w.JobClockedOn: _clock("on", first_on=True),
    w.JobClockedOff: _clock("off"),
    w.JobPaused: _clock("pause"),
    w.JobResumed: _clock("resume"),
    w.JobCompleted: job_completed,
    w.QcPassed: qc_result,
    w.QcFailed: qc_result,
    w.PartsRequested: parts_requested,
    w.ClockingAdjusted: clocking_adjusted,
    w.StaleClockFlagged: no_figure,
    p.PartsRequestReceived: parts_request_received,
    p.PartsReserved: no_figure,
    p.PartsIssued: parts_issued,
    p.PartsBackordered: parts_backordered,
    p.BackorderFilled: backorder_filled,
    p.BackorderRescheduled: no_figure,
    p.PartsReturned: no_figure,
    p.PartsReceived: no_figure,
    p.StockAdjusted: no_figure,
    p.PartBelowReorderPoint: stock_flag,
    p.PartBackAboveReorderPoint: stock_flag,
}
PROJECTIONS.update(satisfaction_projections(PROJECTIONS))  # follow-ups and complaints (services/kpi/satisfaction)


async def project(session: AsyncSession, event: Event) -> None:
    """Apply one event to the projection (inside the caller's transaction)."""
    # Sites already recorded in this transaction; one is added only once its event applied (a savepoint
    # that rolls back takes its site row with it).
    recorded: set[str] = session.info.setdefault("kpi_sites_recorded", set())
    if event.site_id not in recorded:
        await touch_site(session, event.site_id)
    await PROJECTIONS[type(event)](session, event)
    recorded.add(event.site_id)


def handlers(on_applied: Callable[[AsyncSession, str], None] | None = None) -> dict[type[Event], Handler]:
    """The runtime's handler map: every event type projected, then `on_applied(session, site)` (e.g. metrics)."""

    async def handle(uow: UnitOfWork, event: Event) -> None:
        await project(uow.session, event)
        if on_applied is not None:
            on_applied(uow.session, event.site_id)

    return {event_class: handle for event_class in PROJECTIONS}


HANDLERS = handlers()

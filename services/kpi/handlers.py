"""Integration-event handlers: each event becomes fact rows keyed by natural ids (see projection.rules).

A handler only records what its event means in a `Changes`; `project_batch` writes a whole batch's changes at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC
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
    StaleClockFact,
    StockFlagFact,
    TechnicianFact,
    VisitFact,
)
from services.kpi.projection.rules import ALL_TECHNICIANS, Patch
from services.kpi.satisfaction.projection import projections as satisfaction_projections
from services.kpi.projection.store import Changes, write
from services.kpi.state.live import LiveState
from services.kpi.warranty.projection import projections as warranty_projections
from shared.cloudevents import CloudEvent
from shared.contracts import parts as p
from shared.contracts import reception as r
from shared.contracts import workshop as w
from shared.contracts.base import Event
from shared.uow import UnitOfWork

Handler = Callable[[UnitOfWork, Any], Awaitable[None]]
Projection = Callable[[Changes, Any], None]


def _ro(e: r._RepairOrder) -> dict[str, str]:
    return {"site_id": e.site_id, "repair_order_id": e.repair_order_id}


def _line(c: Changes, e: r._RepairOrder, line: r.JobLine, **extra: Any) -> None:
    latest = {"line_at": (e.occurred_at, {"op_code": line.op_code, "pay_type": line.pay_type.value,
                                          "sold_hours": line.sold_hours, "labour_rate": line.labour_rate})}
    c.merge(JobLineFact, {**_ro(e), "job_line_id": line.job_line_id}, Patch(latest=latest, **extra))


# --- reception -------------------------------------------------------------------------------------


def site_configured(c: Changes, e: r.SiteConfigured) -> None:
    values = {"name": e.name, "time_zone": e.time_zone, "opening_hours": [h.model_dump() for h in e.opening_hours],
              "labour_rate": e.labour_rate, "technician_cost_rate": e.technician_cost_rate,
              "comeback_window_days": e.comeback_window_days}
    c.merge(SiteFact, {"site_id": e.site_id}, Patch(latest={"configured_at": (e.occurred_at, values)}))


def appointment_booked(c: Changes, e: r.AppointmentBooked) -> None:
    slot = {"slot_at": (e.occurred_at, {"slot_start": e.slot_start, "slot_end": e.slot_end})}
    c.merge(AppointmentFact, {"site_id": e.site_id, "appointment_id": e.appointment_id},
            Patch(fill={"vehicle_id": e.vehicle_id}, earliest={"booked_at": e.occurred_at}, latest=slot))


def appointment_rescheduled(c: Changes, e: r.AppointmentRescheduled) -> None:
    slot = {"slot_at": (e.occurred_at, {"slot_start": e.slot_start, "slot_end": e.slot_end})}
    c.merge(AppointmentFact, {"site_id": e.site_id, "appointment_id": e.appointment_id}, Patch(latest=slot))


def appointment_cancelled(c: Changes, e: r.AppointmentCancelled) -> None:
    c.merge(AppointmentFact, {"site_id": e.site_id, "appointment_id": e.appointment_id},
            Patch(earliest={"cancelled_at": e.occurred_at}))


def appointment_no_show(c: Changes, e: r.AppointmentNoShow) -> None:
    c.merge(AppointmentFact, {"site_id": e.site_id, "appointment_id": e.appointment_id},
            Patch(earliest={"no_show_at": e.occurred_at}))


def vehicle_arrived(c: Changes, e: r.VehicleArrived) -> None:
    c.merge(VisitFact, {"site_id": e.site_id, "visit_id": e.visit_id},
            Patch(fill={"vehicle_id": e.vehicle_id, "appointment_id": e.appointment_id},
                  earliest={"arrived_at": e.occurred_at}))


def repair_order_opened(c: Changes, e: r.RepairOrderOpened) -> None:
    latest: dict[str, Any] = {
        "ro_type_at": (e.occurred_at, {"ro_type": e.ro_type.value}),
        "comeback_set_at": (e.occurred_at, {"is_comeback": e.is_comeback}),
    }
    if e.promised_at is not None:
        latest["promised_set_at"] = (e.occurred_at, {"promised_at": e.promised_at})
    if e.comeback_of is not None:
        latest["comeback_of_at"] = (e.occurred_at, {"comeback_of": e.comeback_of})
    fill = {"ro_number": e.ro_number, "visit_id": e.visit_id, "vehicle_id": e.vehicle_id, "advisor": e.advisor}
    c.merge(RepairOrderFact, _ro(e),
            Patch(fill=fill, earliest={"opened_at": e.occurred_at, "arrived_at": e.arrived_at}, latest=latest))
    c.merge(VisitFact, {"site_id": e.site_id, "visit_id": e.visit_id},
            Patch(fill={"vehicle_id": e.vehicle_id, "repair_order_id": e.repair_order_id},
                  earliest={"ro_arrived_at": e.arrived_at}))
    for line in e.job_lines:
        _line(c, e, line)


def job_line_added(c: Changes, e: r.JobLineAdded | r.JobLineChanged) -> None:
    _line(c, e, e.line)


def job_line_removed(c: Changes, e: r.JobLineRemoved) -> None:
    c.merge(JobLineFact, {**_ro(e), "job_line_id": e.job_line_id}, Patch(earliest={"removed_at": e.occurred_at}))


def approval_requested(c: Changes, e: r.ApprovalRequested) -> None:
    for line_id in e.job_line_ids:
        c.merge(JobLineFact, {**_ro(e), "job_line_id": line_id}, Patch(earliest={"proposed_at": e.occurred_at}))


def job_line_approved(c: Changes, e: r.JobLineApproved) -> None:
    _line(c, e, e.line, earliest={"approved_at": e.occurred_at})


def job_line_declined(c: Changes, e: r.JobLineDeclined) -> None:
    c.merge(JobLineFact, {**_ro(e), "job_line_id": e.job_line_id}, Patch(earliest={"declined_at": e.occurred_at}))


def repair_order_ready(c: Changes, e: r.RepairOrderReady) -> None:
    latest = {"promised_set_at": (e.occurred_at, {"promised_at": e.promised_at})} if e.promised_at else {}
    c.merge(RepairOrderFact, _ro(e),
            Patch(fill={"ro_number": e.ro_number}, earliest={"ready_at": e.occurred_at}, latest=latest))


def repair_order_invoiced(c: Changes, e: r.RepairOrderInvoiced) -> None:
    c.insert(
        InvoiceFact, site_id=e.site_id, invoice_id=e.invoice_id, repair_order_id=e.repair_order_id,
        invoiced_at=e.occurred_at, ro_type=e.ro_type.value, labour_amount=e.labour_amount, parts_amount=e.parts_amount,
        sublet_amount=e.sublet_amount, total_amount=e.total_amount, parts_cost=e.parts_cost, sublet_cost=e.sublet_cost,
        sold_hours=e.sold_hours, amounts_by_pay_type={k.value: str(v) for k, v in e.amounts_by_pay_type.items()},
        lines=[line.model_dump(mode="json") for line in e.lines],
    )
    c.merge(RepairOrderFact, _ro(e),
            Patch(fill={"ro_number": e.ro_number}, latest={"ro_type_at": (e.occurred_at, {"ro_type": e.ro_type.value})}))


def vehicle_delivered(c: Changes, e: r.VehicleDelivered) -> None:
    c.merge(RepairOrderFact, _ro(e), Patch(earliest={"delivered_at": e.occurred_at}))


def repair_order_cancelled(c: Changes, e: r.RepairOrderCancelled) -> None:
    c.merge(RepairOrderFact, _ro(e), Patch(earliest={"cancelled_at": e.occurred_at}))


def comeback_flagged(c: Changes, e: r.ComebackFlagged) -> None:
    latest: dict[str, Any] = {"comeback_set_at": (e.occurred_at, {"is_comeback": True})}
    if e.comeback_of is not None:
        latest["comeback_of_at"] = (e.occurred_at, {"comeback_of": e.comeback_of})
    c.merge(RepairOrderFact, _ro(e), Patch(latest=latest))


def comeback_unflagged(c: Changes, e: r.ComebackUnflagged) -> None:
    c.merge(RepairOrderFact, _ro(e), Patch(latest={"comeback_set_at": (e.occurred_at, {"is_comeback": False})}))


# --- workshop --------------------------------------------------------------------------------------


def bay_status_changed(c: Changes, e: w.BayStatusChanged) -> None:
    c.insert(BayStatusFact, site_id=e.site_id, bay_id=e.bay_id, at=e.occurred_at, status=e.status.value)
    c.merge(BayFact, {"site_id": e.site_id, "bay_id": e.bay_id},
            Patch(latest={"name_at": (e.occurred_at, {"name": e.name, "kind": e.kind})}))


def clocked_in(c: Changes, e: w.TechnicianClockedIn) -> None:
    c.merge(TechnicianFact, {"site_id": e.site_id, "technician_id": e.technician_id},
            Patch(latest={"name_at": (e.occurred_at, {"name": e.name})}))
    c.attendance_mark(e.site_id, e.technician_id, e.occurred_at, "in")


def clocked_out(c: Changes, e: w.TechnicianClockedOut) -> None:
    c.attendance_mark(e.site_id, e.technician_id, e.occurred_at, "out")


def break_started(c: Changes, e: w.TechnicianBreakStarted) -> None:
    c.attendance_mark(e.site_id, e.technician_id, e.occurred_at, "break_start")


def break_ended(c: Changes, e: w.TechnicianBreakEnded) -> None:
    c.attendance_mark(e.site_id, e.technician_id, e.occurred_at, "break_end")


def _job(e: w._Job) -> dict[str, str]:
    return {"site_id": e.site_id, "job_id": e.job_id}


def job_queued(c: Changes, e: w.JobQueued) -> None:
    c.merge(JobFact, _job(e), Patch(
        fill={"repair_order_id": e.repair_order_id},
        earliest={"queued_at": e.occurred_at, "approved_at": e.approved_at},
        latest={"queued_sold_at": (e.occurred_at, {"queued_sold_hours": e.sold_hours})}))


def job_withdrawn(c: Changes, e: w.JobWithdrawn) -> None:
    c.merge(JobFact, _job(e), Patch(fill={"repair_order_id": e.repair_order_id},
                                       earliest={"withdrawn_at": e.occurred_at}))
    c.job_mark(e.site_id, e.job_id, e.occurred_at, "withdraw", ALL_TECHNICIANS, None, e.repair_order_id)


def job_dispatched(c: Changes, e: w.JobDispatched) -> None:
    c.merge(JobFact, _job(e), Patch(fill={"repair_order_id": e.repair_order_id}))
    c.job_mark(e.site_id, e.job_id, e.occurred_at, "dispatch", e.technician_id, e.bay_id, e.repair_order_id)


def _clock(kind: str, first_on: bool = False) -> Projection:
    def handle(c: Changes, e: Any) -> None:
        earliest = {"first_clock_on": e.occurred_at} if first_on else {}
        c.merge(JobFact, _job(e), Patch(fill={"repair_order_id": e.repair_order_id}, earliest=earliest))
        c.job_mark(e.site_id, e.job_id, e.occurred_at, kind, e.technician_id, e.bay_id, e.repair_order_id)

    handle.__name__ = f"job_{kind}"
    return handle


def job_completed(c: Changes, e: w.JobCompleted) -> None:
    c.merge(JobFact, _job(e), Patch(
        fill={"repair_order_id": e.repair_order_id},
        first={"first_completed_at": (e.occurred_at, {"completed_by": e.technician_id})},
        latest={"completion_sold_at": (e.occurred_at, {"completion_sold_hours": e.sold_hours})}))
    c.job_mark(e.site_id, e.job_id, e.occurred_at, "complete", e.technician_id, e.bay_id, e.repair_order_id)


def qc_result(c: Changes, e: w.QcPassed | w.QcFailed) -> None:
    c.insert(QcResultFact, site_id=e.site_id, repair_order_id=e.repair_order_id, at=e.occurred_at,
             passed=isinstance(e, w.QcPassed), inspector=e.inspector)


def parts_requested(c: Changes, e: w.PartsRequested) -> None:
    c.merge(PartsRequestFact, {"site_id": e.site_id, "request_id": e.request_id},
            Patch(fill={"repair_order_id": e.repair_order_id, "job_id": e.job_id},
                  earliest={"requested_at": e.occurred_at}))


def clocking_adjusted(c: Changes, e: w.ClockingAdjusted) -> None:
    c.insert(
        ClockingAdjustmentFact, site_id=e.site_id, adjustment_id=e.adjustment_id, technician_id=e.technician_id,
        job_id=e.job_id, original_start=e.original_start, original_end=e.original_end,
        corrected_start=e.corrected_start, corrected_end=e.corrected_end, adjusted_at=e.occurred_at)


def stale_clock_flagged(c: Changes, e: w.StaleClockFlagged) -> None:
    since = e.since.astimezone(UTC)
    flag_id = f"{e.kind.value}|{e.technician_id}|{e.job_id or ''}|{since.isoformat()}"
    c.merge(StaleClockFact, {"site_id": e.site_id, "flag_id": flag_id},
            Patch(fill={"technician_id": e.technician_id, "kind": e.kind.value, "job_id": e.job_id, "since": since},
                  earliest={"flagged_at": e.occurred_at}))


# --- parts -----------------------------------------------------------------------------------------


def parts_request_received(c: Changes, e: p.PartsRequestReceived) -> None:
    c.merge(PartsRequestFact, {"site_id": e.site_id, "request_id": e.request_id},
            Patch(fill={"repair_order_id": e.repair_order_id, "job_id": e.job_id},
                  earliest={"requested_at": e.requested_at}))
    for line in e.lines:
        c.insert(PartsRequestLineFact, site_id=e.site_id, request_id=e.request_id,
                 request_line_id=line.request_line_id, part_number=line.part_number, quantity=line.quantity)


def parts_issued(c: Changes, e: p.PartsIssued) -> None:
    c.merge(PartsRequestFact, {"site_id": e.site_id, "request_id": e.request_id}, Patch(
        fill={"repair_order_id": e.repair_order_id, "job_id": e.job_id},
        earliest={"fully_issued_at": e.occurred_at if e.request_fully_issued else None}))
    for position, line in enumerate(e.lines):
        c.insert(PartsIssueLineFact, site_id=e.site_id, request_id=e.request_id,
                 request_line_id=line.request_line_id, at=e.occurred_at, position=position,
                 quantity=line.quantity, from_stock_at_first_pick=line.from_stock_at_first_pick)


def parts_backordered(c: Changes, e: p.PartsBackordered) -> None:
    c.merge(BackorderFact, {"site_id": e.site_id, "backorder_id": e.backorder_id},
            Patch(fill={"request_id": e.request_id, "part_number": e.part_number},
                  earliest={"created_at": e.occurred_at}))


def backorder_filled(c: Changes, e: p.BackorderFilled) -> None:
    c.merge(BackorderFact, {"site_id": e.site_id, "backorder_id": e.backorder_id},
            Patch(fill={"request_id": e.request_id, "part_number": e.part_number},
                  earliest={"filled_at": e.occurred_at}))


def stock_flag(c: Changes, e: p.PartBelowReorderPoint | p.PartBackAboveReorderPoint) -> None:
    c.insert(StockFlagFact, site_id=e.site_id, part_number=e.part_number, at=e.occurred_at,
             below=isinstance(e, p.PartBelowReorderPoint))


def no_figure(c: Changes, e: Event) -> None:
    """An event no figure depends on (the site is still remembered)."""


PROJECTIONS: dict[type[Event], Projection] = {
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
    w.StaleClockFlagged: stale_clock_flagged,
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
SEQUENCED = warranty_projections()  # warranty claims (services/kpi/warranty): the latest by ce_sequence wins
PROJECTIONS.update(SEQUENCED)


def changes_of(events: Sequence[Event], sequences: Sequence[int] | None = None) -> Changes:
    """What a batch of events says about the fact rows (pure).

    `sequences`: the events' `ce_sequence` (0 when not given), which the SEQUENCED projections order an aggregate by.
    """
    changes = Changes()
    for i, event in enumerate(events):
        changes.touch_site(event.site_id)
        if type(event) in SEQUENCED:
            SEQUENCED[type(event)](changes, event, sequences[i] if sequences is not None else 0)
        else:
            PROJECTIONS[type(event)](changes, event)
    return changes


async def project_batch(session: AsyncSession, events: Sequence[Event], sequences: Sequence[int] | None = None) -> None:
    """Apply events to the projection's tables (inside the caller's transaction), reading and writing each table once."""
    await write(session, changes_of(events, sequences))


def handlers() -> dict[type[Event], Handler]:
    """The runtime's handler map (one event at a time, straight to the tables): every event type projected."""

    async def handle(uow: UnitOfWork, event: Event) -> None:
        await project_batch(uow.session, [event])

    return {event_class: handle for event_class in PROJECTIONS}


BatchHandler = Callable[[AsyncSession, list[tuple[CloudEvent, Event]]], Awaitable[None]]


def batch_handler(live: LiveState) -> BatchHandler:
    """The consumer's batch handler: a poll's events applied to the sites' rows in memory and written behind."""

    async def handle_batch(session: AsyncSession, items: list[tuple[CloudEvent, Event]]) -> None:
        await live.apply(session, [event for _, event in items], [cloud_event.sequence for cloud_event, _ in items])

    return handle_batch


HANDLERS = handlers()

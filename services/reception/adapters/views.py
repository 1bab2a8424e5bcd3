"""Rows into the API's read models."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception.adapters import store
from services.reception.adapters.tables import (
    Appointment,
    Customer,
    Invoice,
    JobLine,
    RepairOrder,
    Site,
    Vehicle,
    Visit,
)
from services.reception.api.schemas.appointments import AppointmentRead
from services.reception.api.schemas.people import CustomerRead, VehicleRead
from services.reception.api.schemas.repair_orders import (
    CustomerBrief,
    EstimateLineRead,
    EstimateRead,
    InvoiceRead,
    JobLineRead,
    PartsLineRead,
    RepairOrderRead,
    RepairOrderSummary,
    VehicleBrief,
)
from services.reception.api.schemas.sites import SiteRead
from services.reception.api.schemas.visits import SuggestedLine, VisitRead
from services.reception.domain import money
from services.reception.domain.repair_order import RoState, allowed_actions
from services.reception.usecases.billing import labour_items, parts_lines
from services.reception.usecases.lifecycle import facts, work_of
from shared.contracts.reception import PayType
from shared.http import etag


def ro_etag(ro: RepairOrder) -> str:
    """The RO's current ETag."""
    return etag("repair-order", ro.id, ro.version)


def appointment_etag(appointment: Appointment) -> str:
    """The appointment's current ETag."""
    return etag("appointment", appointment.id, appointment.version)


def site_read(site: Site) -> SiteRead:
    """A site."""
    return SiteRead.model_validate(site, from_attributes=True)


def customer_read(customer: Customer) -> CustomerRead:
    """A customer."""
    return CustomerRead.model_validate(customer, from_attributes=True)


def vehicle_read(vehicle: Vehicle) -> VehicleRead:
    """A vehicle."""
    return VehicleRead.model_validate(vehicle, from_attributes=True)


def appointment_read(appointment: Appointment) -> AppointmentRead:
    """An appointment."""
    return AppointmentRead.model_validate(appointment, from_attributes=True)


def suggested_lines(campaigns: list[dict[str, Any]], lines: list[JobLine] | None = None) -> list[SuggestedLine]:
    """Open campaigns the RO does not carry yet, as warranty job lines."""
    done = {line.campaign_number for line in lines or [] if line.campaign_number}
    return [
        SuggestedLine(
            op_code=(c.get("op_code") or c["number"])[:40],
            description=(c.get("title") or f"Campaign {c['number']}")[:200],
            complaint=f"Open recall / field campaign {c['number']}",
            sold_hours=Decimal(c.get("sold_hours") or "0"),
            campaign_number=c["number"][:40],
        )
        for c in campaigns
        if c["number"] not in done
    ]


def visit_read(visit: Visit) -> VisitRead:
    """An arrival, with its open campaigns as suggested job lines."""
    read = VisitRead.model_validate(visit, from_attributes=True)
    read.suggested_lines = suggested_lines(visit.recall_campaigns)
    return read


def summary(ro: RepairOrder, vehicle: Vehicle, customer: Customer) -> RepairOrderSummary:
    """An RO in a list."""
    return RepairOrderSummary(
        id=ro.id,
        site_id=ro.site_id,
        ro_number=ro.ro_number,
        state=ro.state,
        ro_type=ro.ro_type,
        advisor=ro.advisor,
        vehicle=VehicleBrief.model_validate(vehicle, from_attributes=True),
        customer=CustomerBrief.model_validate(customer, from_attributes=True),
        arrived_at=ro.arrived_at,
        opened_at=ro.opened_at,
        promised_at=ro.promised_at,
        ready_at=ro.ready_at,
        is_comeback=ro.is_comeback,
        recall_status=ro.recall_status,
        version=ro.version,
    )


async def repair_order_read(
    session: AsyncSession, ro: RepairOrder, opened_with: list[JobLine] | None = None
) -> RepairOrderRead:
    """An RO with its lines and parts (`opened_with`: the lines of an RO opened in this transaction, which has no parts yet)."""
    vehicle, customer = await store.vehicle_and_customer(session, ro)
    lines = (
        sorted(opened_with, key=lambda line: line.position)
        if opened_with is not None
        else await store.lines_of(session, ro.id)
    )
    movements = [] if opened_with is not None else await store.movements_of(session, ro.id)
    return RepairOrderRead(
        **summary(ro, vehicle, customer).model_dump(),
        visit_id=ro.visit_id,
        mileage_in=ro.mileage_in,
        mileage_out=ro.mileage_out,
        invoiced_at=ro.invoiced_at,
        delivered_at=ro.delivered_at,
        cancelled_at=ro.cancelled_at,
        cancel_reason=ro.cancel_reason,
        comeback_of=ro.comeback_of,
        comeback_reason=ro.comeback_reason,
        recall_campaigns=ro.recall_campaigns,
        suggested_lines=suggested_lines(ro.recall_campaigns, lines),
        last_qc_at=ro.last_qc_at,
        last_qc_passed=ro.last_qc_passed if ro.last_qc_at else None,
        allowed_actions=allowed_actions(RoState(ro.state), [facts(line) for line in lines]),
        lines=[JobLineRead(**_line_fields(line), work=work_of(line)) for line in lines],
        parts_lines=[
            PartsLineRead(
                part_number=p.part_number,
                job_line_id=p.job_line_id,
                pay_type=p.pay_type,
                quantity=p.quantity,
                unit_cost=p.unit_cost,
                unit_price=p.unit_price,
                amount=p.amount,
                cost=p.cost,
            )
            for p in parts_lines(ro, lines, movements)
        ],
    )


def _line_fields(line: object) -> dict[str, object]:
    return {name: getattr(line, name) for name in JobLineRead.model_fields if name != "work"}


async def estimate_read(session: AsyncSession, site: Site, ro: RepairOrder) -> EstimateRead:
    """Labour and expected parts of the RO's lines."""
    figures = money.estimate(labour_items(await store.lines_of(session, ro.id)), tax_rate=site.tax_rate)
    return EstimateRead(
        repair_order_id=ro.id,
        lines=[
            EstimateLineRead(
                job_line_id=e.job_line_id,
                status=e.status,
                pay_type=e.pay_type,
                labour=e.labour,
                parts=e.parts,
                total=e.total,
            )
            for e in figures.lines
        ],
        labour_amount=figures.labour_amount,
        parts_amount=figures.parts_amount,
        total_amount=figures.total_amount,
        tax_amount=figures.tax_amount,
        total_with_tax=figures.total_with_tax,
        approved_amount=figures.approved_amount,
        amounts_by_pay_type=figures.amounts_by_pay_type,
    )


def invoice_read(ro: RepairOrder, bill: Invoice) -> InvoiceRead:
    """The invoice as issued."""
    figures = dict(bill.figures)
    by_pay = {PayType(k): Decimal(v) for k, v in figures.pop("amounts_by_pay_type").items()}
    return InvoiceRead(
        id=bill.id,
        repair_order_id=ro.id,
        ro_number=ro.ro_number,
        issued_at=bill.issued_at,
        issued_by=bill.issued_by,
        amounts_by_pay_type=by_pay,
        customer_pay_amount=by_pay[PayType.CUSTOMER],
        warranty_amount=by_pay[PayType.WARRANTY],
        **figures,
    )

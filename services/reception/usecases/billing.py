"""Invoicing an RO that is ready, and handing the vehicle back."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.reception.adapters import store
from services.reception.adapters.tables import Customer, Invoice, JobLine, PartsMovement, RepairOrder, Site, Vehicle
from services.reception.api.schemas.repair_orders import InvoiceCreate
from services.reception.domain import follow_up, money
from services.reception.domain.repair_order import LineStatus, RoAction, RoState, default_pay_type
from services.reception.usecases.lifecycle import require_step
from services.reception.warranty import claims
from services.reception.warranty.domain.rules import Sublet
from services.reception.warranty.profile import OemProfile
from shared.contracts.reception import InvoiceLine, PayType, RepairOrderInvoiced, RoType, VehicleDelivered
from shared.errors import Invalid
from shared.uow import UnitOfWork


def labour_items(lines: list[JobLine]) -> list[money.LabourItem]:
    """Job lines as money sees them."""
    return [
        money.LabourItem(
            line.id,
            line.op_code,
            line.description,
            LineStatus(line.status),
            PayType(line.pay_type),
            line.sold_hours,
            line.labour_rate,
            line.parts_estimate,
        )
        for line in lines
    ]


def parts_lines(ro: RepairOrder, lines: list[JobLine], movements: list[PartsMovement]) -> list[money.PartsLine]:
    """Parts on the RO net of returns, each paid like the job line it was issued to."""
    return money.parts_lines(
        (money.PartsMovement(m.part_number, m.quantity, m.unit_cost, m.unit_price, m.job_line_id) for m in movements),
        {line.id: PayType(line.pay_type) for line in lines},
        default_pay_type(RoType(ro.ro_type)),
    )


def _jsonable(figures: money.InvoiceFigures) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(asdict(figures))


async def invoice(
    uow: UnitOfWork, site: Site, ro: RepairOrder, body: InvoiceCreate, at: datetime, by: str, oem: OemProfile
) -> Invoice:
    """Invoice a ready RO: approved labour, parts issued, sublets, tax; publishes RepairOrderInvoiced; drafts warranty claims."""
    lines = await require_step(uow.session, ro, RoAction.INVOICE)
    if ro.ready_at is not None and at < ro.ready_at:
        raise Invalid(f"occurred_at is before the RO became ready ({ro.ready_at.isoformat()})")
    movements = await store.movements_of(uow.session, ro.id)
    figures = money.invoice(
        labour_items(lines),
        parts_lines(ro, lines, movements),
        [money.SubletItem(s.description, s.pay_type, s.amount, s.cost) for s in body.sublet_lines],
        tax_rate=site.tax_rate,
        technician_cost_rate=site.technician_cost_rate,
    )
    bill = Invoice(
        id=str(uuid.uuid4()),
        repair_order_id=ro.id,
        site_id=ro.site_id,
        issued_at=at,
        issued_by=by,
        figures=_jsonable(figures),
    )
    uow.session.add(bill)
    ro.state, ro.invoiced_at = RoState.INVOICED.value, at
    ro.version += 1
    await uow.publish(
        RepairOrderInvoiced(
            site_id=ro.site_id,
            occurred_at=at,
            repair_order_id=ro.id,
            invoice_id=bill.id,
            ro_number=ro.ro_number,
            ro_type=RoType(ro.ro_type),
            labour_amount=figures.labour_amount,
            parts_amount=figures.parts_amount,
            sublet_amount=figures.sublet_amount,
            total_amount=figures.total_amount,
            tax_amount=figures.tax_amount,
            parts_cost=figures.parts_cost,
            sublet_cost=figures.sublet_cost,
            sold_hours=figures.sold_hours,
            amounts_by_pay_type=figures.amounts_by_pay_type,
            lines=[
                InvoiceLine(
                    kind=line.kind,
                    pay_type=line.pay_type,
                    amount=line.amount,
                    cost=line.cost,
                    job_line_id=line.job_line_id,
                    sold_hours=line.sold_hours,
                    part_number=line.part_number,
                    quantity=line.quantity,
                )
                for line in figures.lines
            ],
        )
    )
    warranty_sublets = [
        Sublet(s.description, money.money(s.amount)) for s in body.sublet_lines if s.pay_type is PayType.WARRANTY
    ]
    await claims.draft_for_invoice(uow, oem, site, ro, warranty_sublets, at)
    return bill


async def deliver(
    uow: UnitOfWork, site: Site, ro: RepairOrder, mileage_out: int, at: datetime, oem: OemProfile
) -> None:
    """Hand the vehicle back (mileage out not below mileage in; its warranty claims get the mileage out)."""
    await require_step(uow.session, ro, RoAction.DELIVER)
    if mileage_out < ro.mileage_in:
        raise Invalid(f"mileage_out {mileage_out} is below mileage_in {ro.mileage_in}", field="mileage_out")
    if ro.invoiced_at is not None and at < ro.invoiced_at:
        raise Invalid(f"occurred_at is before the RO was invoiced ({ro.invoiced_at.isoformat()})")
    ro.state, ro.delivered_at, ro.mileage_out = RoState.DELIVERED.value, at, mileage_out
    ro.version += 1
    vehicle = await uow.session.get(Vehicle, ro.vehicle_id)
    if vehicle is not None:
        vehicle.mileage = max(vehicle.mileage, mileage_out)
    customer = await uow.session.get(Customer, ro.customer_id)
    due_at = (
        follow_up.due_end(at, site.time_zone, site.follow_up_due_days)
        if customer and customer.consent_contact
        else None
    )
    await uow.publish(
        VehicleDelivered(
            site_id=ro.site_id,
            occurred_at=at,
            repair_order_id=ro.id,
            mileage_out=mileage_out,
            follow_up_due_at=due_at,
        )
    )
    await claims.vehicle_delivered(uow, site, oem, ro, at)

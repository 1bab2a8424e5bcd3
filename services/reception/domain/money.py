"""Estimates and invoices: labour, parts and sublet, tax, totals per pay type and cost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from services.reception.domain.repair_order import LineStatus
from shared.contracts.reception import PayType

CENT = Decimal("0.01")
ZERO = Decimal("0")


def money(value: Decimal) -> Decimal:
    """Rounded to the cent, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def by_pay_type(pairs: Iterable[tuple[PayType, Decimal]]) -> dict[PayType, Decimal]:
    """Sums per pay type, every pay type present."""
    sums: dict[PayType, Decimal] = {pay_type: ZERO for pay_type in PayType}
    for pay_type, amount in pairs:
        sums[pay_type] += amount
    return {pay_type: money(amount) for pay_type, amount in sums.items()}


@dataclass(frozen=True)
class LabourItem:
    """A job line as money sees it."""

    job_line_id: str
    op_code: str
    description: str
    status: LineStatus
    pay_type: PayType
    sold_hours: Decimal
    labour_rate: Decimal
    parts_estimate: Decimal = ZERO


@dataclass(frozen=True)
class PartsMovement:
    """Parts issued to the RO (positive quantity) or returned from it (negative)."""

    part_number: str
    quantity: Decimal
    unit_cost: Decimal
    unit_price: Decimal
    job_line_id: str | None = None


@dataclass(frozen=True)
class SubletItem:
    """Work bought from outside (glass, alignment...), sold on."""

    description: str
    pay_type: PayType
    amount: Decimal
    cost: Decimal


@dataclass(frozen=True)
class PartsLine:
    """Net parts on the RO for one part, job line and price."""

    part_number: str
    job_line_id: str | None
    pay_type: PayType
    quantity: Decimal
    unit_cost: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        """Price of the quantity."""
        return money(self.quantity * self.unit_price)

    @property
    def cost(self) -> Decimal:
        """Cost of the quantity."""
        return money(self.quantity * self.unit_cost)


def parts_lines(
    movements: Iterable[PartsMovement], pay_type_of: dict[str, PayType], default: PayType
) -> list[PartsLine]:
    """Issues net of returns, per part, job line and unit price; lines netting to zero drop out."""
    net: dict[tuple[str, str | None, Decimal, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for m in movements:
        net[(m.part_number, m.job_line_id, m.unit_cost, m.unit_price)] += m.quantity
    return [
        PartsLine(part, line_id, pay_type_of.get(line_id or "", default), quantity, cost, price)
        for (part, line_id, cost, price), quantity in net.items()
        if quantity > 0
    ]


@dataclass(frozen=True)
class InvoiceLineFigures:
    """One invoiced line, before tax."""

    kind: str
    pay_type: PayType
    description: str
    amount: Decimal
    cost: Decimal
    job_line_id: str | None = None
    sold_hours: Decimal = ZERO
    labour_rate: Decimal = ZERO
    part_number: str | None = None
    quantity: Decimal = ZERO
    unit_price: Decimal = ZERO


@dataclass(frozen=True)
class InvoiceFigures:
    """What the customer, the OEM and the insurer owe, and what it cost."""

    lines: list[InvoiceLineFigures]
    labour_amount: Decimal
    parts_amount: Decimal
    sublet_amount: Decimal
    total_amount: Decimal
    tax_amount: Decimal
    total_with_tax: Decimal
    labour_cost: Decimal
    parts_cost: Decimal
    sublet_cost: Decimal
    cost: Decimal
    gross_margin: Decimal
    sold_hours: Decimal
    amounts_by_pay_type: dict[PayType, Decimal] = field(default_factory=dict)


def invoice(
    labour: Sequence[LabourItem],
    parts: Sequence[PartsLine],
    sublets: Sequence[SubletItem],
    *,
    tax_rate: Decimal,
    technician_cost_rate: Decimal,
) -> InvoiceFigures:
    """Invoice the approved labour, the parts issued and the sublets; cost uses the flat-rate technician cost."""
    lines = [
        InvoiceLineFigures(
            "labour",
            item.pay_type,
            f"{item.op_code} {item.description}",
            money(item.sold_hours * item.labour_rate),
            money(item.sold_hours * technician_cost_rate),
            item.job_line_id,
            item.sold_hours,
            item.labour_rate,
        )
        for item in labour
        if item.status is LineStatus.APPROVED
    ]
    lines += [
        InvoiceLineFigures(
            "parts",
            p.pay_type,
            p.part_number,
            p.amount,
            p.cost,
            p.job_line_id,
            part_number=p.part_number,
            quantity=p.quantity,
            unit_price=p.unit_price,
        )
        for p in parts
    ]
    lines += [InvoiceLineFigures("sublet", s.pay_type, s.description, money(s.amount), money(s.cost)) for s in sublets]

    def total(kind: str, what: str) -> Decimal:
        return sum((getattr(line, what) for line in lines if line.kind == kind), ZERO)

    amount = sum((line.amount for line in lines), ZERO)
    cost = sum((line.cost for line in lines), ZERO)
    tax = money(amount * tax_rate)
    return InvoiceFigures(
        lines=lines,
        labour_amount=total("labour", "amount"),
        parts_amount=total("parts", "amount"),
        sublet_amount=total("sublet", "amount"),
        total_amount=amount,
        tax_amount=tax,
        total_with_tax=amount + tax,
        labour_cost=total("labour", "cost"),
        parts_cost=total("parts", "cost"),
        sublet_cost=total("sublet", "cost"),
        cost=cost,
        gross_margin=money((amount - cost) / amount) if amount else ZERO,
        sold_hours=total("labour", "sold_hours"),
        amounts_by_pay_type=by_pay_type((line.pay_type, line.amount) for line in lines),
    )


@dataclass(frozen=True)
class EstimateLine:
    """One line of the estimate put to the customer."""

    job_line_id: str
    status: LineStatus
    pay_type: PayType
    labour: Decimal
    parts: Decimal

    @property
    def total(self) -> Decimal:
        """Labour plus expected parts."""
        return self.labour + self.parts


@dataclass(frozen=True)
class EstimateFigures:
    """Labour plus expected parts of every line not declined, and of the approved ones."""

    lines: list[EstimateLine]
    labour_amount: Decimal
    parts_amount: Decimal
    total_amount: Decimal
    tax_amount: Decimal
    total_with_tax: Decimal
    approved_amount: Decimal
    amounts_by_pay_type: dict[PayType, Decimal]


def estimate(labour: Sequence[LabourItem], *, tax_rate: Decimal) -> EstimateFigures:
    """The estimate: declined lines are shown at zero weight in the totals."""
    lines = [
        EstimateLine(
            item.job_line_id,
            item.status,
            item.pay_type,
            money(item.sold_hours * item.labour_rate),
            money(item.parts_estimate),
        )
        for item in labour
    ]
    live = [line for line in lines if line.status is not LineStatus.DECLINED]
    amount = sum((line.total for line in live), ZERO)
    return EstimateFigures(
        lines=lines,
        labour_amount=sum((line.labour for line in live), ZERO),
        parts_amount=sum((line.parts for line in live), ZERO),
        total_amount=amount,
        tax_amount=money(amount * tax_rate),
        total_with_tax=amount + money(amount * tax_rate),
        approved_amount=sum((line.total for line in live if line.status is LineStatus.APPROVED), ZERO),
        amounts_by_pay_type=by_pay_type((line.pay_type, line.total) for line in live),
    )

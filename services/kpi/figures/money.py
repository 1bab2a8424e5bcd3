"""Money from invoices (before tax): revenue, revenue per RO, effective labour rate, gross margin, shares."""

from __future__ import annotations

from decimal import Decimal

from services.kpi.figures.clock import current_invoices
from services.kpi.figures.model import Facts, Invoice
from services.kpi.figures.result import Value, ratio, value
from services.kpi.figures.volume import RO_TYPES
from services.kpi.figures.window import Window
from shared.contracts.reception import PayType

PAY_TYPES = tuple(p.value for p in PayType)
ZERO = Decimal("0")


def invoiced_in(facts: Facts, window: Window) -> list[Invoice]:
    """The current invoices of ROs invoiced in the window."""
    return [i for i in current_invoices(facts).values() if window.contains(i.invoiced_at)]


def customer_labour(invoices: list[Invoice]) -> Decimal:
    """Labour invoiced to customers (paid labour)."""
    return sum((line.amount for i in invoices for line in i.lines if line.kind == "labour" and line.pay_type == "customer"), ZERO)


def money_figures(facts: Facts, window: Window) -> list[Value]:
    """Revenue by kind, per RO, by pay type and RO type; labour rate; gross margin."""
    invoices = invoiced_in(facts, window)
    labour = sum((i.labour for i in invoices), ZERO)
    parts = sum((i.parts for i in invoices), ZERO)
    sublet = sum((i.sublet for i in invoices), ZERO)
    revenue = sum((i.total for i in invoices), ZERO)
    sold = sum((i.sold_hours for i in invoices), ZERO)
    rate = facts.site.technician_cost_rate
    margin = None
    if rate is not None and revenue:
        cost = sum((i.parts_cost + i.sublet_cost for i in invoices), ZERO) + sold * rate
        margin = (revenue - cost) / revenue
    out = [
        value("labour_revenue", labour),
        value("parts_revenue", parts),
        value("sublet_revenue", sublet),
        value("total_revenue", revenue),
        value("revenue_per_repair_order", ratio(revenue, len(invoices))),
        value("invoiced_sold_time", sold * 3600),
        value("effective_labour_rate", ratio(labour, sold)),
        value("gross_margin", margin),
        value("labour_revenue_share", ratio(labour, revenue)),
        value("parts_revenue_share", ratio(parts, revenue)),
        value("sublet_revenue_share", ratio(sublet, revenue)),
        value("customer_labour_revenue_share", ratio(customer_labour(invoices), revenue)),
    ]
    for pay_type in PAY_TYPES:
        amount = sum((i.by_pay_type.get(pay_type, ZERO) for i in invoices), ZERO)
        out += [value("revenue_by_pay_type", amount, pay_type=pay_type),
                value("revenue_share_by_pay_type", ratio(amount, revenue), pay_type=pay_type)]
    for ro_type in RO_TYPES:
        amount = sum((i.total for i in invoices if i.ro_type == ro_type), ZERO)
        out += [value("revenue_by_ro_type", amount, ro_type=ro_type),
                value("revenue_share_by_ro_type", ratio(amount, revenue), ro_type=ro_type)]
    return out

"""Monthly reports: the twelve-indicator radar and the MSI report, against targets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.kpi.figures import Snapshot
from services.kpi.figures.result import ratio


@dataclass(frozen=True)
class Indicator:
    label: str
    unit: str
    formula: str
    additive: bool = False  # a yearly target is split over months (counts, money); rates are not
    better: str = "higher"


INDICATORS: dict[str, Indicator] = {
    "free_inspection_completion_rate": Indicator("免费定检实施率 free scheduled-inspection completion", "ratio",
                                                 "first-free-service ROs opened ÷ vehicles due for a free inspection (reference data)"),
    "paid_maintenance_completion_rate": Indicator("有费定保实施率 paid scheduled-maintenance completion", "ratio",
                                                  "scheduled-maintenance ROs opened ÷ vehicles due for paid maintenance (reference data)"),
    "paid_service_ratio": Indicator("有费服务比率 paid-service ratio (customer retention)", "ratio",
                                    "customer-pay entries ÷ vehicle entries"),
    "vehicles_per_technician": Indicator("每维修工服务台数 vehicles per technician", "repair orders per technician",
                                         "ROs that became ready ÷ technicians who clocked in"),
    "bay_utilization": Indicator("修车位利用 bay utilization", "ratio", "bay busy time ÷ bay open time"),
    "customer_labour_revenue_share": Indicator("有费工资和总服务收入比 paid labour ÷ total service revenue", "ratio",
                                               "customer-pay labour revenue ÷ total revenue"),
    "revenue_per_service_employee": Indicator("每服务人员的总服务收入 service revenue per service employee", "currency",
                                              "total revenue ÷ service headcount (reference data)"),
    "gross_margin": Indicator("毛利率 gross margin", "ratio", "(revenue − cost) ÷ revenue"),
    "comeback_rate": Indicator("返修率 comeback rate", "ratio", "comeback ROs opened ÷ ROs opened", better="lower"),
    "technician_productivity": Indicator("维修工生产率 technician productivity", "ratio", "job time ÷ attendance time"),
    "vehicle_retention_rate": Indicator("保有率 retention of vehicles in operation", "ratio",
                                        "distinct vehicles that arrived in the 12 months ending with the month ÷ vehicles in operation (reference data)"),
    "staff_turnover_rate": Indicator("员工离职率 staff turnover", "ratio", "leavers ÷ service headcount (reference data)", better="lower"),
    "vehicle_entries": Indicator("进厂台次 entries", "count", "vehicle arrivals", additive=True),
    "customer_pay_entries": Indicator("客户付款维修台次 customer-pay entries", "count",
                                      "arrivals whose RO has a customer-pay job line", additive=True),
    "labour_revenue": Indicator("工时营业额 labour revenue", "currency", "labour amounts invoiced, before tax", additive=True),
    "parts_revenue": Indicator("零件营业额 parts revenue", "currency", "parts amounts invoiced, before tax", additive=True),
    "revenue_per_vehicle": Indicator("单车销售额 revenue per vehicle", "currency", "total revenue ÷ ROs invoiced"),
    "first_time_fix_rate": Indicator("一次性修复率 first-time-fix rate", "ratio",
                                     "ROs invoiced with no QC fail and no comeback against them ÷ ROs invoiced"),
}

RADAR = ("free_inspection_completion_rate", "paid_maintenance_completion_rate", "paid_service_ratio",
         "vehicles_per_technician", "bay_utilization", "customer_labour_revenue_share", "revenue_per_service_employee",
         "gross_margin", "comeback_rate", "technician_productivity", "vehicle_retention_rate", "staff_turnover_rate")
MSI = ("vehicle_entries", "customer_pay_entries", "labour_revenue", "parts_revenue", "revenue_per_vehicle",
       "technician_productivity", "bay_utilization", "first_time_fix_rate")
REFERENCE_FIELDS = ("vehicles_in_operation", "service_headcount", "leavers", "vehicles_due_free_inspection",
                    "vehicles_due_paid_maintenance")


@dataclass(frozen=True)
class MonthInputs:
    """A month's figures plus what only a manager can enter."""

    snapshot: Snapshot
    ro_types_opened: dict[str, int]
    distinct_vehicles_12_months: int
    reference: dict[str, int | None]


def actuals(month: MonthInputs) -> tuple[dict[str, float | None], dict[str, list[str]]]:
    """Every indicator's value for the month, and for each missing one the reference data it lacks."""
    s, ref = month.snapshot, month.reference
    missing: dict[str, list[str]] = {}

    def needs(name: str, *fields: str) -> bool:
        lacking = [f for f in fields if ref.get(f) is None]
        if lacking:
            missing[name] = lacking
        return not lacking

    values: dict[str, float | None] = {
        "paid_service_ratio": ratio(s.get("customer_pay_entries"), s.get("vehicle_entries") or 0),
        "vehicles_per_technician": s.get("vehicles_per_technician"),
        "bay_utilization": s.get("bay_utilization"),
        "customer_labour_revenue_share": s.get("customer_labour_revenue_share"),
        "gross_margin": s.get("gross_margin"),
        "comeback_rate": s.get("comeback_rate"),
        "technician_productivity": s.get("technician_productivity"),
        "vehicle_entries": s.get("vehicle_entries"),
        "customer_pay_entries": s.get("customer_pay_entries"),
        "labour_revenue": s.get("labour_revenue"),
        "parts_revenue": s.get("parts_revenue"),
        "revenue_per_vehicle": s.get("revenue_per_repair_order"),
        "first_time_fix_rate": s.get("first_time_fix_rate"),
    }
    values["free_inspection_completion_rate"] = (
        ratio(month.ro_types_opened.get("first_free_service", 0), ref["vehicles_due_free_inspection"] or 0)
        if needs("free_inspection_completion_rate", "vehicles_due_free_inspection") else None)
    values["paid_maintenance_completion_rate"] = (
        ratio(month.ro_types_opened.get("scheduled_maintenance", 0), ref["vehicles_due_paid_maintenance"] or 0)
        if needs("paid_maintenance_completion_rate", "vehicles_due_paid_maintenance") else None)
    values["revenue_per_service_employee"] = (
        ratio(s.get("total_revenue") or 0, ref["service_headcount"] or 0)
        if needs("revenue_per_service_employee", "service_headcount") else None)
    values["vehicle_retention_rate"] = (
        ratio(month.distinct_vehicles_12_months, ref["vehicles_in_operation"] or 0)
        if needs("vehicle_retention_rate", "vehicles_in_operation") else None)
    values["staff_turnover_rate"] = (
        ratio(ref["leavers"] or 0, ref["service_headcount"] or 0)
        if needs("staff_turnover_rate", "leavers", "service_headcount") else None)
    return values, missing


def attainment(name: str, actual: float | None, target: Decimal | None) -> float | None:
    """Actual ÷ target (target ÷ actual where lower is better); None when either is missing or zero."""
    if actual is None or target is None:
        return None
    if INDICATORS[name].better == "lower":
        return ratio(target, actual)
    return ratio(actual, target)


def split_yearly(name: str, yearly: Decimal, weights: list[Decimal] | None = None) -> list[Decimal]:
    """Monthly targets from a yearly one: counts and amounts split by weights (equal by default), rates repeated."""
    if not INDICATORS[name].additive:
        return [yearly] * 12
    weights = weights or [Decimal(1)] * 12
    whole = sum(weights)
    months = [(yearly * w / whole).quantize(Decimal("0.01")) for w in weights[:11]]
    return months + [yearly - sum(months)]


def yearly_of(name: str, months: list[Decimal | None]) -> Decimal | None:
    """The year's target: the months' sum for counts and amounts, their mean for rates."""
    known = [m for m in months if m is not None]
    if not known:
        return None
    return sum(known, Decimal(0)) if INDICATORS[name].additive else sum(known, Decimal(0)) / len(known)

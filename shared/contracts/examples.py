"""A fixed, realistic example of every event: one morning at one site, each field's value chosen by its name.

The AsyncAPI document shows them (`examples` of each message); tests validate them against the message's schema.
A field whose name is not below keeps its default; an enum field takes the named value if it is one of the enum's,
else the first value its class lists.
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

ARRIVED = datetime(2026, 3, 10, 7, 55, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return ARRIVED + timedelta(minutes=minutes)


VALUES: dict[str, Any] = {
    # who and what
    "site_id": "lyon-nord",
    "occurred_at": _at(20),
    "visit_id": "visit-7f3a",
    "vehicle_id": "veh-5521",
    "customer_id": "cust-0931",
    "vin": "VF1RFB00X67543210",
    "appointment_id": "appt-2203",
    "repair_order_id": "ro-8842",
    "ro_number": "LYN-004217",
    "advisor": "advisor-claire",
    "technician_id": "tech-marc",
    "name": "Marc Dubois",
    "bay_id": "bay-3",
    "job_id": "job-8842-1",
    "job_ids": ["job-8842-1"],
    "job_line_id": "line-8842-1",
    "job_line_ids": ["line-8842-1"],
    "request_id": "preq-1207",
    "request_line_id": "preq-1207-1",
    "backorder_id": "bo-0412",
    "receipt_id": "rcpt-3390",
    "part_number": "7701208265",
    "claim_id": "claim-0581",
    "complaint_id": "cmp-0077",
    "attempt_id": "fu-0315",
    "adjustment_id": "adj-0098",
    "invoice_id": "inv-2026-01544",
    "oem_reference": "OEM-WRN-448120",
    "payment_reference": "OEM-PAY-99812",
    "campaign_number": None,
    "campaign_numbers": ["RC-2025-117"],
    "comeback_of": None,
    "comeback_repair_order_id": None,
    "continues_backorder_id": None,
    "remainder_backorder_id": None,
    "follow_up_attempt_id": None,
    "requested_by": "tech-marc",
    "inspector": "foreman-luc",
    "contacted_by": "advisor-claire",
    "adjusted_by": "foreman-luc",
    "by": "advisor-claire",
    "owner": "manager-ines",
    # times
    "arrived_at": ARRIVED,
    "opened_at": _at(12),
    "promised_at": _at(8 * 60 + 5),
    "approved_at": _at(18),
    "requested_at": _at(95),
    "since": _at(10 * 60),
    "due_at": _at(3 * 24 * 60),
    "follow_up_due_at": _at(3 * 24 * 60),
    "delivered_at": _at(9 * 60),
    "repaired_at": _at(7 * 60),
    "expected_at": _at(2 * 24 * 60),
    "expected_return": _at(2 * 24 * 60),
    "slot_start": _at(5),
    "slot_end": _at(35),
    "shift_end": _at(9 * 60 + 5),
    "original_start": _at(60),
    "original_end": _at(150),
    "corrected_start": _at(55),
    "corrected_end": _at(150),
    # amounts (EUR, before tax) and quantities
    "currency": "EUR",
    "sold_hours": Decimal("1.5"),
    "actual_hours": Decimal("1.3"),
    "labour_rate": Decimal("96.00"),
    "technician_cost_rate": Decimal("38.00"),
    "tax_rate": Decimal("0.20"),
    "amount": Decimal("144.00"),
    "labour_amount": Decimal("144.00"),
    "parts_amount": Decimal("86.40"),
    "sublet_amount": Decimal("0"),
    "parts_cost": Decimal("54.10"),
    "sublet_cost": Decimal("0"),
    "tax_amount": Decimal("46.08"),
    "total_amount": Decimal("276.48"),
    "amounts_by_pay_type": {"customer": Decimal("230.40")},
    "cost": Decimal("54.10"),
    "claimed_amount": Decimal("312.00"),
    "approved_amount": Decimal("312.00"),
    "paid_amount": Decimal("312.00"),
    "debited_amount": None,
    "unit_cost": Decimal("27.05"),
    "unit_price": Decimal("43.20"),
    "quantity": Decimal("2"),
    "quantity_delta": Decimal("-1"),
    "counted_quantity": Decimal("5"),
    "available": Decimal("3"),
    "reorder_point": Decimal("4"),
    "reorder_quantity": Decimal("10"),
    "mileage_in": 48210,
    "mileage_out": 48214,
    # the work
    "op_code": "BRK-PAD-F",
    "labour_op_code": "BRK-PAD-F",
    "description": "Replace front brake pads",
    "complaint": "Grinding noise when braking",
    "required_skill": "brakes",
    "lane": "express",
    "kind": "labour",
    "time_zone": "Europe/Paris",
    "comeback_window_days": 30,
    "weekday": 0,
    "opens": "07:30",
    "closes": "18:30",
    "status": "open_campaigns",
    "reason": "customer asked",
    "reason_code": "R12",
    "note": "waiting for pads from the hub",
    "action": "called the customer back",
    "outcome": "pads replaced free of charge",
    "category": "workmanship",
    "severity": "minor",
    "comment": "friendly and on time",
    "message": "labour time above the OEM standard",
    "code": "LAB-TIME",
    "field": "sold_hours",
    "changed_fields": ["sold_hours"],
    "origin": "advisor",
    "channel": "phone",
    "scores": {"reception": 5, "quality": 4},
    "weak_items": {"explained_the_work": True, "car_clean": False},
    "attempt_number": 1,
    "submission": 1,
    "reached": True,
    "automatic": False,
    "reassigned": False,
    "is_comeback": False,
    "closes_follow_up": True,
    "from_stock_at_first_pick": True,
    "request_fully_issued": True,
}

UNDECIDED = {"approved_amount": None, "paid_amount": None}
# Where a name's value above would not fit the event: by class name (nested models too).
OVERRIDES: dict[str, dict[str, Any]] = {
    "SiteConfigured": {"name": "Lyon Nord"},
    "BayStatusChanged": {
        "name": "Bay 3",
        "kind": "two_post_lift",
        "status": "open",
        "reason": "",
        "expected_return": None,
    },
    "ComplaintOpened": {"description": "Grinding noise came back two days after the brake job"},
    "IssuedLine": {"backorder_id": None},
    "StockAdjusted": {"reason": "stock count"},
    "PartsReturned": {"reason": "not needed after diagnosis"},
    "AppointmentCancelled": {"reason": "customer rebooked by phone"},
    "RepairOrderCancelled": {"reason": "customer declined the estimate"},
    "ComebackFlagged": {"comeback_of": "ro-8790", "reason": "same complaint within 30 days", "automatic": True},
    "ComebackUnflagged": {"reason": "a different fault"},
    "JobWithdrawn": {"reason": "customer declined the line"},
    "QcFailed": {"reason": "pads squeal on the test drive"},
    "ClockingAdjusted": {"reason": "forgot to clock on"},
    "ClaimDrafted": {"status": "draft", **UNDECIDED},
    "ClaimCorrected": {"status": "draft", **UNDECIDED},
    "ClaimSubmissionRefused": {"status": "draft", **UNDECIDED},
    "ClaimValidated": {"status": "validated", **UNDECIDED},
    "ClaimSubmitted": {"status": "submitted", **UNDECIDED},
    "ClaimReturned": {"status": "returned", **UNDECIDED, "reason": "photo of the worn part missing"},
    "ClaimRejected": {"status": "rejected", **UNDECIDED, "reason": "labour time above the OEM standard"},
    "ClaimAccepted": {"status": "accepted", "paid_amount": None},
    "ClaimPaid": {"status": "paid"},
    "ClaimDebited": {"status": "debited", "debited_amount": Decimal("312.00"), "reason": "audit: worn part not kept"},
    "ClaimClosed": {"status": "closed", "closed_from": "paid", "reason": ""},
}


def example(model: type[M]) -> M:
    """An instance of a contract class (nested models, enums and lists filled in the same way)."""
    return model.model_validate(_fields(model))


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    data, named = {}, {**VALUES, **OVERRIDES.get(model.__name__, {})}
    for name, field in model.model_fields.items():
        value, built = _value(field.annotation, named.get(name, ...))
        if value is not ... and (built or name in named or field.is_required()):
            data[name] = value
    return data


def _value(annotation: Any, named: Any) -> tuple[Any, bool]:
    """A value of the annotated type: the named one, unless the type is a model or a list of models (built: True), or
    an enum the name's value is not of."""
    options = [a for a in typing.get_args(annotation) if a is not type(None)] if _is_union(annotation) else [annotation]
    for option in options:
        origin = typing.get_origin(option)
        inner = typing.get_args(option)[0] if origin is list else option
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            one = inner.model_validate(_fields(inner))
            return ([one] if origin is list else one), True
        if (
            isinstance(option, type)
            and issubclass(option, Enum)
            and (named is ... or named not in {m.value for m in option})
        ):
            return next(iter(option)), False
    return named, False


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)

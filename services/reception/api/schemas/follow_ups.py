"""Follow-up contacts after delivery, their answers, and complaints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from services.reception.api.schemas.common import Ident, Input, Name, Timed
from services.reception.domain.follow_up import CATEGORIES, WEAK_ITEMS, ComplaintCategory, Severity
from shared.contracts.reception import FollowUpChannel

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Score = Annotated[int, Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy)")]


class Scores(Input):
    """Scores 1–5 per satisfaction category; a question the customer skipped is left out."""

    service_preparation: Score | None = Field(None, description=CATEGORIES["service_preparation"])
    repair_supervision: Score | None = Field(None, description=CATEGORIES["repair_supervision"])
    product_issues: Score | None = Field(None, description=CATEGORIES["product_issues"])
    repair_experience: Score | None = Field(None, description=CATEGORIES["repair_experience"])
    vehicle_pickup: Score | None = Field(None, description=CATEGORIES["vehicle_pickup"])
    friendliness: Score | None = Field(None, description=CATEGORIES["friendliness"])
    repair_quality: Score | None = Field(None, description=CATEGORIES["repair_quality"])


GOOD_OR_WEAK = "was this good? true = good, false = weak (counted as a weak item)"


def _item(name: str) -> Any:
    return Field(None, description=f"{WEAK_ITEMS[name]} — {GOOD_OR_WEAK}")


class WeakItems(Input):
    """The material's weak items, each asked as "was this good?": true = good, false = weak; a question not asked is left
    out."""

    fair_price: bool | None = _item("fair_price")
    value_for_money: bool | None = _item("value_for_money")
    time_at_dealer: bool | None = _item("time_at_dealer")
    waiting_area: bool | None = _item("waiting_area")
    repair_items_explained: bool | None = _item("repair_items_explained")
    charges_explained: bool | None = _item("charges_explained")
    vehicle_clean: bool | None = _item("vehicle_clean")


class AttemptCreate(Timed):
    """Start a follow-up attempt (the call is dialled, the message or link sent)."""

    channel: FollowUpChannel


class AttemptResult(Timed):
    """What came of an attempt: reached or not; the answers of a customer who was reached."""

    reached: bool
    scores: Scores | None = None
    weak_items: WeakItems | None = Field(None, description="each item: true = good, false = weak")
    comment: Text = ""


class AttemptRead(BaseModel):
    id: str
    repair_order_id: str
    number: int
    channel: str
    status: str
    started_at: datetime
    started_by: str
    result_at: datetime | None
    result_by: str | None
    scores: dict[str, int]
    weak_items: dict[str, bool] = Field(description="each item asked: true = good, false = weak")
    comment: str


class FollowUpRead(BaseModel):
    repair_order_id: str
    ro_number: str
    site_id: str
    advisor: str
    customer_id: str
    customer_name: str
    customer_phone: str
    plate: str
    delivered_at: datetime
    due_day: date
    overdue: bool = Field(description="the due day is before the day listed")
    status: str = Field(description="due, reached or unreachable")
    attempts: list[AttemptRead]


class ComplaintCreate(Timed):
    """A complaint, opened directly or from a follow-up attempt; about a repair when it names the RO."""

    repair_order_id: Ident | None = None
    follow_up_attempt_id: Ident | None = None
    category: ComplaintCategory
    severity: Severity
    owner: Name
    description: Text = ""


class ComplaintActionCreate(Timed):
    action: Required


class ComplaintResolve(Timed):
    outcome: Required


class ComplaintComeback(Timed):
    """Flag the vehicle's new RO as a comeback of the RO the complaint is about."""

    repair_order_id: Ident = Field(description="the new RO (opened at the vehicle's return)")
    reason: Name | None = None


class ComplaintActionRead(BaseModel):
    at: datetime
    by: str
    action: str


class ComplaintRead(BaseModel):
    id: str
    site_id: str
    repair_order_id: str | None
    follow_up_attempt_id: str | None
    customer_id: str | None
    category: str
    severity: str
    owner: str
    description: str
    status: str
    opened_at: datetime
    opened_by: str
    resolved_at: datetime | None
    outcome: str
    comeback_repair_order_id: str | None
    actions: list[ComplaintActionRead]
    version: int

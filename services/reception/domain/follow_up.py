"""Follow-up contacts after delivery (回访), satisfaction answers and complaints (投诉): pure rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from shared.errors import Conflict, IllegalTransition, Invalid

# The seven satisfaction categories of the training material's pie chart (满意度分类).
CATEGORIES: dict[str, str] = {
    "service_preparation": "维修保养的准备",
    "repair_supervision": "维修督导",
    "product_issues": "产品问题",
    "repair_experience": "维修过程经历",
    "vehicle_pickup": "取车服务",
    "friendliness": "客户友好度",
    "repair_quality": "维修质量",
}

# The material's "weak items" of satisfaction (顾客满意度弱项分析), asked as yes/no.
WEAK_ITEMS: dict[str, str] = {
    "fair_price": "合理收费",
    "value_for_money": "提供服务物有所值",
    "time_at_dealer": "在经销商处逗留的时间",
    "waiting_area": "顾客等候区的设备",
    "repair_items_explained": "解释维修项目",
    "charges_explained": "解释收费情况",
    "vehicle_clean": "车的外表和干净程度",
}

MIN_SCORE, MAX_SCORE = 1, 5


class FollowUpStatus(StrEnum):
    DUE = "due"  # no attempt closed it yet
    REACHED = "reached"
    UNREACHABLE = "unreachable"  # every allowed attempt failed


class AttemptStatus(StrEnum):
    OPEN = "open"
    REACHED = "reached"
    NOT_REACHED = "not_reached"


class ComplaintStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ComplaintCategory(StrEnum):
    REPAIR_QUALITY = "repair_quality"
    SERVICE_ATTITUDE = "service_attitude"
    PRICE = "price"
    WAITING_TIME = "waiting_time"
    PARTS = "parts"
    VEHICLE_CONDITION = "vehicle_condition"  # damage or dirt at pick-up
    APPOINTMENT = "appointment"
    OTHER = "other"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def due_day(delivered_at: datetime, time_zone: str, due_days: int) -> date:
    """The site-local day a follow-up falls due: the delivery's local day plus `due_days`."""
    return delivered_at.astimezone(ZoneInfo(time_zone)).date() + timedelta(days=due_days)


def local_midnight(day: date, time_zone: str) -> datetime:
    """The instant a site-local day begins."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(time_zone))


def due_end(delivered_at: datetime, time_zone: str, due_days: int) -> datetime:
    """The end of the due day (site-local midnight after it)."""
    return local_midnight(due_day(delivered_at, time_zone, due_days) + timedelta(days=1), time_zone)


def delivered_before_for(day: date, time_zone: str, due_days: int) -> datetime:
    """ROs delivered before this instant are due on `day` or earlier."""
    return local_midnight(day - timedelta(days=due_days - 1), time_zone)


def check_answers(reached: bool, scores: Mapping[str, int], weak_items: Mapping[str, bool]) -> None:
    """Scores 1–5 of known categories, known weak items, and answers only from a customer who was reached."""
    for name, score in scores.items():
        if name not in CATEGORIES:
            raise Invalid(f"scores: unknown category {name!r} (one of {', '.join(CATEGORIES)})", field="scores")
        if not MIN_SCORE <= score <= MAX_SCORE:
            raise Invalid(f"scores.{name}: {score} is outside {MIN_SCORE}–{MAX_SCORE}", field=f"scores.{name}")
    for name in weak_items:
        if name not in WEAK_ITEMS:
            raise Invalid(f"weak_items: unknown item {name!r} (one of {', '.join(WEAK_ITEMS)})", field="weak_items")
    if not reached and (scores or weak_items):
        raise Invalid("scores and weak_items need a customer who was reached (reached: true)", field="reached")


def require_open_attempt(status: AttemptStatus, attempt_id: str) -> None:
    """A result may be recorded once per attempt."""
    if status is not AttemptStatus.OPEN:
        raise IllegalTransition(
            f"attempt {attempt_id} already has a result ({status.value})",
            state=status.value,
            allowed=[AttemptStatus.OPEN.value],
        )


def require_follow_up_open(status: FollowUpStatus, open_attempt: str | None) -> None:
    """A new attempt needs a follow-up not closed and no attempt still waiting for its result."""
    if status is not FollowUpStatus.DUE:
        raise IllegalTransition(
            f"the follow-up is already {status.value}", state=status.value, allowed=[FollowUpStatus.DUE.value]
        )
    if open_attempt is not None:
        raise Conflict(f"attempt {open_attempt} has no result yet; record it first", attempt_id=open_attempt)


def after_result(reached: bool, attempts_made: int, max_attempts: int) -> FollowUpStatus:
    """The follow-up's status once an attempt has its result."""
    if reached:
        return FollowUpStatus.REACHED
    return FollowUpStatus.UNREACHABLE if attempts_made >= max_attempts else FollowUpStatus.DUE


def require_complaint_open(status: ComplaintStatus, complaint_id: str) -> None:
    """Actions and resolution need an open complaint."""
    if status is not ComplaintStatus.OPEN:
        raise IllegalTransition(
            f"complaint {complaint_id} is {status.value}", state=status.value, allowed=[ComplaintStatus.OPEN.value]
        )

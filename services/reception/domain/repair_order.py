"""The repair order's state machine, its job lines' statuses and when it is ready."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.contracts.reception import PayType, RoType
from shared.errors import IllegalTransition


class RoState(StrEnum):
    OPEN = "open"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    READY = "ready"
    INVOICED = "invoiced"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class LineStatus(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    APPROVED = "approved"
    DECLINED = "declined"


class RoAction(StrEnum):
    ADD_LINE = "add_line"
    CHANGE_LINE = "change_line"
    REMOVE_LINE = "remove_line"
    REQUEST_APPROVAL = "request_approval"
    APPROVE_LINE = "approve_line"
    DECLINE_LINE = "decline_line"
    INVOICE = "invoice"
    DELIVER = "deliver"
    CANCEL = "cancel"
    FLAG_COMEBACK = "flag_comeback"
    CHANGE_DETAILS = "change_details"


_EDITING = (
    RoAction.ADD_LINE,
    RoAction.CHANGE_LINE,
    RoAction.REMOVE_LINE,
    RoAction.REQUEST_APPROVAL,
    RoAction.CHANGE_DETAILS,
)
_DECIDING = (RoAction.APPROVE_LINE, RoAction.DECLINE_LINE)
# Steps on one job line: the RO offers them only while one of its lines does.
_LINE_STEPS = frozenset((RoAction.CHANGE_LINE, RoAction.REMOVE_LINE, RoAction.REQUEST_APPROVAL, *_DECIDING))

ALLOWED: dict[RoState, tuple[RoAction, ...]] = {
    RoState.OPEN: (*_EDITING, RoAction.CANCEL, RoAction.FLAG_COMEBACK),
    RoState.AWAITING_APPROVAL: (*_EDITING, *_DECIDING, RoAction.CANCEL, RoAction.FLAG_COMEBACK),
    RoState.APPROVED: (*_EDITING, RoAction.CANCEL, RoAction.FLAG_COMEBACK),
    RoState.IN_PROGRESS: (*_EDITING, *_DECIDING, RoAction.CANCEL, RoAction.FLAG_COMEBACK),
    # A line may still change at READY: the invoice restates its sold hours.
    RoState.READY: (RoAction.CHANGE_LINE, RoAction.CHANGE_DETAILS, RoAction.INVOICE, RoAction.FLAG_COMEBACK),
    RoState.INVOICED: (RoAction.DELIVER, RoAction.FLAG_COMEBACK),
    RoState.DELIVERED: (RoAction.FLAG_COMEBACK,),
    RoState.CANCELLED: (),
}

_LINE_ALLOWED: dict[LineStatus, tuple[RoAction, ...]] = {
    LineStatus.DRAFT: (RoAction.CHANGE_LINE, RoAction.REMOVE_LINE, RoAction.REQUEST_APPROVAL),
    LineStatus.PROPOSED: (RoAction.CHANGE_LINE, RoAction.REMOVE_LINE, RoAction.APPROVE_LINE, RoAction.DECLINE_LINE),
    LineStatus.APPROVED: (RoAction.CHANGE_LINE, RoAction.REMOVE_LINE),
    # A customer who declined may change their mind: the line can be put to them again.
    LineStatus.DECLINED: (RoAction.REMOVE_LINE, RoAction.REQUEST_APPROVAL),
}

# Ready, invoiced, delivered and cancelled are never derived from the lines.
_DERIVED = (RoState.OPEN, RoState.AWAITING_APPROVAL, RoState.APPROVED, RoState.IN_PROGRESS, RoState.READY)


@dataclass(frozen=True)
class LineFacts:
    """What the state machine needs to know about one job line."""

    status: LineStatus
    started_at: datetime | None = None
    completed_at: datetime | None = None
    rework_at: datetime | None = None

    @property
    def complete(self) -> bool:
        """Completed, and not sent back to rework by a later QC fail."""
        return self.completed_at is not None and (self.rework_at is None or self.completed_at > self.rework_at)


def _line_allows(line: LineFacts) -> list[RoAction]:
    allowed = list(_LINE_ALLOWED[line.status])
    if line.status is LineStatus.APPROVED and line.started_at is not None:
        allowed.remove(RoAction.REMOVE_LINE)
    return allowed


def allowed_actions(state: RoState, lines: Sequence[LineFacts]) -> list[str]:
    """The steps that would succeed on an RO in this state with these lines (a line step needs a line that allows it)."""
    by_lines = {action for line in lines for action in _line_allows(line)}
    return [a.value for a in ALLOWED[state] if a not in _LINE_STEPS or a in by_lines]


def require(state: RoState, action: RoAction, lines: Sequence[LineFacts]) -> None:
    """Refuse an action the RO's state (or none of its lines) allows; the 409 lists the steps that would succeed."""
    allowed = allowed_actions(state, lines)
    if action not in ALLOWED[state]:
        raise IllegalTransition(
            f"a repair order that is {state.value} does not allow {action.value}", state=state.value, allowed=allowed
        )
    if action.value not in allowed:
        raise IllegalTransition(
            f"no job line of this repair order allows {action.value}", state=state.value, allowed=allowed
        )


def require_line(line: LineFacts, action: RoAction, line_id: str) -> None:
    """Refuse an action the line's status does not allow (an approved job the workshop started stays)."""
    allowed = _line_allows(line)
    if action not in allowed:
        raise IllegalTransition(
            f"job line {line_id} is {line.status.value}{' and started' if line.started_at else ''}; it does not allow {action.value}",
            state=line.status.value,
            allowed=[a.value for a in allowed],
        )


@dataclass(frozen=True)
class QcFacts:
    """The latest QC result on the RO (by when it happened)."""

    last_at: datetime | None = None
    passed: bool = False


def is_ready(lines: Sequence[LineFacts], qc: QcFacts) -> bool:
    """Every approved job complete, none awaiting a decision, and the latest QC, after them, passed."""
    approved = [line for line in lines if line.status is LineStatus.APPROVED]
    if not approved or any(line.status is LineStatus.PROPOSED for line in lines):
        return False
    if not all(line.complete for line in approved):
        return False
    last_completion = max(line.completed_at for line in approved if line.completed_at is not None)
    return qc.passed and qc.last_at is not None and qc.last_at >= last_completion


def settle(state: RoState, lines: Sequence[LineFacts], qc: QcFacts) -> RoState:
    """The state the lines and workshop facts put the RO in (ready, invoiced and beyond only move by command)."""
    if state not in _DERIVED:
        return state
    if is_ready(lines, qc):
        return RoState.READY
    started = any(line.started_at is not None and line.status is LineStatus.APPROVED for line in lines)
    if state in (RoState.IN_PROGRESS, RoState.READY) or started:
        return RoState.IN_PROGRESS
    if any(line.status is LineStatus.PROPOSED for line in lines):
        return RoState.AWAITING_APPROVAL
    if any(line.status is LineStatus.APPROVED for line in lines):
        return RoState.APPROVED
    return RoState.OPEN


def default_pay_type(ro_type: RoType) -> PayType:
    """Who pays a line unless the advisor says otherwise."""
    if ro_type in (RoType.WARRANTY, RoType.FIRST_FREE_SERVICE):
        return PayType.WARRANTY
    if ro_type is RoType.ACCIDENT:
        return PayType.INSURANCE
    return PayType.CUSTOMER

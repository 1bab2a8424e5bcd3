"""Rule violations the domain raises; the app turns each into a problem+json answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class DomainError(Exception):
    """A rule of the floor refused the step."""

    status = 409
    type_ = "/problems/conflict"
    title = "Conflict"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class IllegalTransition(DomainError):
    """The step is not allowed in the current state; names the state and the allowed steps."""

    type_ = "/problems/illegal-transition"
    title = "Illegal transition"

    def __init__(self, detail: str, *, state: str, allowed: list[str], **extensions: Any) -> None:
        super().__init__(detail, state=state, allowed=allowed, **extensions)
        self.state = state
        self.allowed = allowed


@dataclass(frozen=True)
class Refusal:
    """One reason a dispatch is refused."""

    code: str
    detail: str


class DispatchRefused(DomainError):
    """The technician or bay cannot take the job; lists every reason."""

    type_ = "/problems/dispatch-refused"
    title = "Dispatch refused"

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__(
            "; ".join(r.detail for r in refusals),
            reasons=[{"code": r.code, "detail": r.detail} for r in refusals],
        )
        self.refusals = refusals


class InvalidInput(DomainError):
    """The input contradicts what is recorded (e.g. a time before the last step)."""

    status = 422
    type_ = "/problems/validation"
    title = "Invalid input"

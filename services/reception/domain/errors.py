"""What the rules refuse; the service maps each kind to an HTTP problem."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule said no."""

    title = "Rule violated"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class InvalidInput(DomainError):
    """Well-formed input that a rule refuses (422)."""

    title = "Invalid input"


class Conflict(DomainError):
    """The request clashes with what already exists (409)."""

    title = "Conflict"


class IllegalTransition(DomainError):
    """A step the current state does not allow (409 with `state` and `allowed`)."""

    title = "Illegal transition"

    def __init__(self, detail: str, *, state: str, allowed: list[str]) -> None:
        super().__init__(detail, state=state, allowed=allowed)
        self.state = state
        self.allowed = allowed

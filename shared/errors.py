"""What a rule refuses: one family of domain errors for every service.

Domains and use cases raise these; they know nothing of HTTP. The app factory answers each with an RFC 9457 problem
whose status follows the kind (shared.problems.STATUS_OF); `type_` and `title` name the problem, `extensions` carry
the facts a client needs (the current state, the allowed steps, the reasons).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule said no."""

    type_: str = "/problems/validation"
    title: str = "Rule violated"

    def __init__(self, detail: str, *, type_: str | None = None, title: str | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if type_ is not None:
            self.type_ = type_
        if title is not None:
            self.title = title
        self.extensions = extensions


class Invalid(DomainError):
    """Well-formed input that a rule refuses."""

    title = "Invalid input"


class Conflict(DomainError):
    """The request clashes with what is recorded."""

    type_ = "/problems/conflict"
    title = "Conflict"


class IllegalTransition(Conflict):
    """A step the current state does not allow; names the state and the allowed steps."""

    type_ = "/problems/illegal-transition"
    title = "Illegal transition"

    def __init__(self, detail: str, *, state: str, allowed: list[str], **extensions: Any) -> None:
        super().__init__(detail, state=state, allowed=allowed, **extensions)
        self.state = state
        self.allowed = allowed


class NotFound(DomainError):
    """The thing does not exist (or is not visible to the one asking)."""

    type_ = "/problems/not-found"
    title = "Not found"


def not_found(what: str, ident: str, **extensions: Any) -> NotFound:
    """A NotFound naming what was not found."""
    return NotFound(f"{what} {ident!r} does not exist", **extensions)


class Forbidden(DomainError):
    """The one asking may not do this."""

    type_ = "about:blank"
    title = "Forbidden"


class Unauthenticated(DomainError):
    """Who is asking could not be established (a signature or credential does not check out)."""

    type_ = "about:blank"
    title = "Unauthorized"

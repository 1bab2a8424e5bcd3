"""The floor's own refusals, on top of the shared domain errors."""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import Conflict


@dataclass(frozen=True)
class Refusal:
    """One reason a dispatch is refused."""

    code: str
    detail: str


class DispatchRefused(Conflict):
    """The technician or bay cannot take the job; lists every reason."""

    type_ = "/problems/dispatch-refused"
    title = "Dispatch refused"

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__(
            "; ".join(r.detail for r in refusals),
            reasons=[{"code": r.code, "detail": r.detail} for r in refusals],
        )
        self.refusals = refusals

"""A claim's life: draft → validated → submitted → accepted / returned / rejected → paid / debited → closed.

The clerk moves a claim up to submission and closes it; the OEM moves it after that (webhook or polled status).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.contracts.warranty import ClaimStatus
from shared.errors import IllegalTransition


class ClaimAction(StrEnum):
    CORRECT = "correct"
    SUBMIT = "submit"
    CLOSE = "close"


_ALLOWED: dict[ClaimStatus, tuple[ClaimAction, ...]] = {
    ClaimStatus.DRAFT: (ClaimAction.CORRECT, ClaimAction.SUBMIT, ClaimAction.CLOSE),
    ClaimStatus.VALIDATED: (ClaimAction.CORRECT, ClaimAction.SUBMIT, ClaimAction.CLOSE),
    ClaimStatus.SUBMITTED: (),
    ClaimStatus.ACCEPTED: (),
    # a returned claim is corrected (back to draft or validated), then submitted again
    ClaimStatus.RETURNED: (ClaimAction.CORRECT, ClaimAction.CLOSE),
    ClaimStatus.REJECTED: (ClaimAction.CLOSE,),
    ClaimStatus.PAID: (ClaimAction.CLOSE,),
    ClaimStatus.DEBITED: (ClaimAction.CLOSE,),
    ClaimStatus.CLOSED: (),
}


def allowed_actions(status: ClaimStatus, pending: bool) -> list[str]:
    """What the clerk may do now (nothing while a submission is on its way to the OEM)."""
    return [] if pending else [a.value for a in _ALLOWED[status]]


def require(status: ClaimStatus, action: ClaimAction, pending: bool) -> None:
    """Refuse a step the claim's status does not allow (409 with `state` and `allowed`)."""
    if pending:
        raise IllegalTransition(
            "the claim is queued for submission to the OEM; wait for the OEM's answer", state=status.value, allowed=[]
        )
    if action not in _ALLOWED[status]:
        raise IllegalTransition(
            f"a claim that is {status.value} does not allow {action.value}",
            state=status.value,
            allowed=allowed_actions(status, pending),
        )


EDITABLE = frozenset({ClaimStatus.DRAFT, ClaimStatus.VALIDATED, ClaimStatus.RETURNED})
AT_OEM = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED})

# How far along the OEM's side each status is, after the claim was taken in.
_RANK = {
    ClaimStatus.SUBMITTED: 0,
    ClaimStatus.ACCEPTED: 1,
    ClaimStatus.REJECTED: 1,
    ClaimStatus.RETURNED: 1,
    ClaimStatus.PAID: 2,
    ClaimStatus.DEBITED: 3,
}
_OEM_STATUS = {
    "received": ClaimStatus.SUBMITTED,
    "accepted": ClaimStatus.ACCEPTED,
    "rejected": ClaimStatus.REJECTED,
    "returned_for_correction": ClaimStatus.RETURNED,
    "paid": ClaimStatus.PAID,
    "debited": ClaimStatus.DEBITED,
}
# the road to each OEM status from a claim just taken in
_PATH = {
    ClaimStatus.SUBMITTED: (),
    ClaimStatus.ACCEPTED: (ClaimStatus.ACCEPTED,),
    ClaimStatus.REJECTED: (ClaimStatus.REJECTED,),
    ClaimStatus.RETURNED: (ClaimStatus.RETURNED,),
    ClaimStatus.PAID: (ClaimStatus.ACCEPTED, ClaimStatus.PAID),
    ClaimStatus.DEBITED: (ClaimStatus.ACCEPTED, ClaimStatus.PAID, ClaimStatus.DEBITED),
}


@dataclass(frozen=True)
class OemView:
    """What our side knows: the claim's status, the OEM's submission number we hold, whether one is on its way."""

    status: ClaimStatus
    submission: int
    pending: bool
    debited: bool = False


def oem_status(text: str) -> ClaimStatus | None:
    """Our status for an OEM status word (None when unknown)."""
    return _OEM_STATUS.get(text)


def steps(view: OemView, reported: ClaimStatus, submission: int) -> list[ClaimStatus]:
    """The transitions an OEM status report implies, in order; [] when stale, a duplicate or already known.

    Reports may come late, twice, or skip a step (a poll after a missed webhook): `paid` on a submitted claim
    gives accepted then paid. A report about an older submission than ours is stale. A newer submission is
    one we sent whose 202 has not been recorded yet: it starts with `submitted`.
    """
    if submission < view.submission:
        return []
    if view.status is ClaimStatus.CLOSED:
        # a chargeback may come after the clerk closed a paid claim; it still counts
        return [ClaimStatus.DEBITED] if reported is ClaimStatus.DEBITED and not view.debited else []
    path: list[ClaimStatus] = []
    current = view.status
    if submission > view.submission:
        if not view.pending:
            return []
        path.append(ClaimStatus.SUBMITTED)
        current = ClaimStatus.SUBMITTED
    elif current not in _RANK:
        return []  # a draft or validated claim: this report is about a submission it no longer stands on
    if _RANK[current] >= _RANK[reported]:
        return path
    full = _PATH[reported]
    if current is not ClaimStatus.SUBMITTED:
        if current not in full:
            return path  # e.g. rejected, then paid: not a road the OEM takes
        full = full[full.index(current) + 1 :]
    return path + list(full)

"""The warranty clerk: completes the claims reception drafted at invoice (the 3C, codes, causal part) and submits them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tools.simulator.api import SimulationError, Who
from tools.simulator.state import Ro

if TYPE_CHECKING:
    from tools.simulator.day import SiteDay

RECEPTION = "reception"
DECIDED = ("accepted", "returned", "rejected", "paid", "debited", "closed")
CAUSES = {"WTY-REG": "window regulator cable frayed", "FFS01": "first free service due", "WTY-ECU": "engine control software fault"}


def _answered(claim: Any) -> bool:
    """The OEM decided on the claim, or refused it at intake (back to draft with its reasons)."""
    if not isinstance(claim, dict):
        return False
    refused = (claim.get("submission_status") or {}).get("outcome") == "refused"
    return claim.get("status") in DECIDED or refused


class WarrantyClerk:
    """Works on an RO's claims once its car is delivered (mileage out is then on the claim)."""

    def __init__(self, day: SiteDay) -> None:
        self.day = day
        self.clerk = Who(f"{day.plan.site_id}-warranty", "warranty")
        self.submitted: list[str] = []
        self.left_in_draft = 0

    def delivered(self, ro: Ro) -> None:
        """An RO with warranty work has claims: they are looked at a little after the car left."""
        if any(line.status == "approved" and self.day.desk.pay_types.get(line.line_id) == "warranty" for line in ro.lines):
            self.day.agenda.at(self.day.agenda.now + timedelta(minutes=15), "warranty claims", lambda: self._work_on(ro))

    async def _work_on(self, ro: Ro) -> None:
        api, now = self.day.api, self.day.agenda.now
        page = await api.wait("warranty claims of the RO", RECEPTION, f"/sites/{api.site_id}/warranty/claims", self.clerk, now,
                              lambda page: isinstance(page, dict) and "items" in page, params={"repair_order_id": ro.id},
                              ref={"ro": ro.number})
        for summary in page["items"]:
            claim = await api.wait("warranty claim", RECEPTION, f"/warranty/claims/{summary['id']}", self.clerk, now,
                                   lambda c: isinstance(c, dict) and "problems" in c, ref={"ro": ro.number})
            changes = self._completion(claim)
            if changes:
                claim = await api.send(RECEPTION, "PATCH", f"/warranty/claims/{claim['id']}", self.clerk, now, "complete claim",
                                       changes, ref={"ro": ro.number})
            if claim["problems"]:
                self.left_in_draft += 1  # e.g. nothing on the claim to name as the causal part: the clerk asks the workshop
                continue
            await api.send(RECEPTION, "POST", f"/warranty/claims/{claim['id']}/submit", self.clerk, now, "submit claim", {},
                           expect=(202,), ref={"ro": ro.number})
            self.submitted.append(claim["id"])

    def _completion(self, claim: dict[str, Any]) -> dict[str, Any]:
        """What the clerk fills in for each problem it can solve."""
        changes: dict[str, Any] = {}
        for problem in claim["problems"]:
            name, code = problem["field"], problem["code"]
            if name == "cause":
                changes["cause"] = CAUSES.get(claim["labour_op_code"], "component failure")
            elif name == "correction":
                changes["correction"] = claim["labour"][0]["description"] if claim["labour"] else "repaired"
            elif name == "complaint":
                changes["complaint"] = "customer concern"
            elif name == "condition_code":
                changes["condition_code"] = "C10"
            elif name == "defect_code":
                changes["defect_code"] = "D42"
            elif name == "causal_part_number" and code == "causal_part_missing" and claim["parts"]:
                changes["causal_part_number"] = claim["parts"][0]["part_number"]
            elif name == "authorisation_number":
                changes["authorisation_number"] = f"AUTH-{claim['ro_number']}"
        return changes

    async def end_of_day(self) -> None:
        """The OEM's answers on the day's claims (the car maker decides on its own clock; not waited for past a limit)."""
        api, now = self.day.api, self.day.agenda.now
        for claim_id in self.submitted:
            try:
                await api.wait("warranty claim decided by the OEM", RECEPTION, f"/warranty/claims/{claim_id}", self.clerk, now,
                               _answered, ref={"claim": claim_id}, timeout=30)
            except SimulationError as exc:
                self.day.notes.append(f"claim {claim_id} not decided by the OEM: {exc}")

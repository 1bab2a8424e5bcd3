"""The clerk's correction of a claim: what each change does to the rest of it, and which changes contradict."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from services.reception.warranty.domain.rules import ClaimContent, OemRules, Part, Sublet, money, waiver_refusal
from shared.contracts.warranty import ClaimProblem
from shared.errors import Invalid

# changes that decide whether the claim names its causal part or waives it
_CAUSAL = ("causal_part_waived", "causal_part_number", "parts")


@dataclass(frozen=True)
class PartLine:
    """A parts line as the clerk enters it; `causal` flags the part number that failed."""

    part_number: str
    quantity: Decimal
    unit_price: Decimal
    causal: bool = False


def _refuse(field: str, code: str, message: str) -> NoReturn:
    problem = ClaimProblem(field=field, code=code, message=message)
    raise Invalid(message, problems=[problem.model_dump()])


def _parts(lines: list[PartLine], changes: dict[str, Any]) -> None:
    """Parts lines replace the claim's; their causal flag names the causal part (none flagged: none)."""
    flagged = sorted({line.part_number for line in lines if line.causal})
    if len(flagged) > 1:
        _refuse(
            "parts",
            "causal_part_ambiguous",
            f"parts {', '.join(flagged)} are all flagged causal: flag only the part that failed",
        )
    causal = flagged[0] if flagged else None
    if "causal_part_number" in changes and changes["causal_part_number"] != causal:
        _refuse(
            "causal_part_number",
            "causal_part_contradicts_parts",
            f"causal_part_number {changes['causal_part_number']} contradicts the parts lines, which flag "
            f"{causal or 'no part'} as causal: send one or the other",
        )
    changes["parts"] = [Part(line.part_number, line.quantity, money(line.unit_price)) for line in lines]
    changes["causal_part_number"] = causal


def _waiver(changes: dict[str, Any]) -> None:
    """A waiver needs its reason and drops the causal part; naming a causal part ends it."""
    waived = changes.get("causal_part_waived")
    if "causal_part_waiver_reason" in changes and waived is not True:
        _refuse(
            "causal_part_waiver_reason",
            "causal_part_waiver_reason_alone",
            "causal_part_waiver_reason goes with causal_part_waived: true",
        )
    if waived is True:
        if not (changes.get("causal_part_waiver_reason") or "").strip():
            _refuse(
                "causal_part_waiver_reason",
                "causal_part_waiver_reason_missing",
                "causal_part_waived needs causal_part_waiver_reason: why the repair needed no part "
                "(e.g. software reflash, adjustment)",
            )
        if changes.get("causal_part_number"):
            _refuse(
                "causal_part_waived",
                "causal_part_waiver_conflict",
                f"the correction both names causal part {changes['causal_part_number']} and waives it: send one or the other",
            )
        changes["causal_part_number"] = None
    elif waived is False or changes.get("causal_part_number"):
        changes["causal_part_waived"], changes["causal_part_waiver_reason"] = False, None


def corrected(content: ClaimContent, changes: Mapping[str, Any], rules: OemRules) -> ClaimContent:
    """The content with the clerk's changes; Invalid (naming the problem) when they contradict each other or the claim."""
    todo = dict(changes)
    if "labour_op_code" in todo:
        main, *more = content.labour
        todo["labour"] = [dataclasses.replace(main, op_code=todo.pop("labour_op_code")), *more]
    if "parts" in todo:
        _parts(todo["parts"], todo)
    if "sublet" in todo:
        todo["sublet"] = [Sublet(s.description, money(s.amount), s.invoice_ref) for s in todo["sublet"]]
    _waiver(todo)
    result = dataclasses.replace(content, **todo)
    # a waiver the profile no longer allows shows as a problem; it only stops a correction that touches it
    if any(name in changes for name in _CAUSAL) and (refusal := waiver_refusal(result, rules)) is not None:
        _refuse(refusal.field, refusal.code, refusal.message)
    return result

"""Quality: comeback rate, first-time-fix rate, QC first-pass rate."""

from __future__ import annotations

from collections import defaultdict

from services.kpi.figures.model import Facts, QcResult
from services.kpi.figures.money import invoiced_in
from services.kpi.figures.result import Value, ratio, value
from services.kpi.figures.window import Window


def first_time_fixed(facts: Facts, window: Window) -> tuple[int, int]:
    """(ROs invoiced in the window with no QC fail and no comeback against them, ROs invoiced in the window)."""
    failed = {r.repair_order_id for r in facts.qc_results if not r.passed}
    invoiced = [i.repair_order_id for i in invoiced_in(facts, window)]
    fixed = sum(1 for rid in invoiced if rid not in failed and rid not in facts.comebacks_against)
    return fixed, len(invoiced)


def quality_figures(facts: Facts, window: Window) -> list[Value]:
    """Comebacks among ROs opened, first-time fixes among ROs invoiced, first QC passes."""
    opened = [ro for ro in facts.repair_orders if window.contains(ro.opened_at)]
    comebacks = sum(1 for ro in opened if ro.is_comeback)
    fixed, invoiced = first_time_fixed(facts, window)
    results: dict[str, list[QcResult]] = defaultdict(list)
    for result in facts.qc_results:
        results[result.repair_order_id].append(result)
    firsts = [min(rs, key=lambda r: (r.at, r.passed)) for rs in results.values()]
    firsts = [r for r in firsts if window.contains(r.at)]
    return [
        value("comeback_rate", ratio(comebacks, len(opened))),
        value("first_time_fix_rate", ratio(fixed, invoiced)),
        value("qc_first_pass_rate", ratio(sum(1 for r in firsts if r.passed), len(firsts))),
    ]

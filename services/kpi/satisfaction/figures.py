"""Customer-satisfaction figures over a window (pure): follow-ups, CSI by category, weak items, complaints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from services.kpi.figures.definitions import Definition
from services.kpi.figures.result import Value, ratio, value
from services.kpi.figures.window import Window

D = Definition
RATIO, COUNT, SCORE, SECONDS = "ratio", "count", "score 1–5", "seconds"

DEFINITIONS: dict[str, Definition] = {
    "follow_ups_due": D(COUNT, "ROs delivered in the window whose customer may be contacted (a follow-up falls due)", "follow_ups_due"),
    "follow_ups_on_time": D(COUNT, "of those, ROs whose customer was reached by the end of the due day (site setting, default 3 days after delivery)", "follow_ups_on_time"),
    "follow_up_completion_rate": D(RATIO, "ROs delivered in the window whose customer was reached by the end of the due day ÷ ROs delivered in the window whose customer may be contacted; provisional while a due day is still running", "follow_up_completion_ratio"),
    "follow_up_attempts": D(COUNT, "follow-up attempts with a result in the window", "follow_up_attempts"),
    "follow_up_contact_rate": D(RATIO, "attempts in the window that reached the customer ÷ attempts with a result in the window", "follow_up_contact_ratio"),
    "satisfaction_responses": D(COUNT, "follow-ups in the window that reached the customer and have at least one score", "satisfaction_responses"),
    "satisfaction_score": D(SCORE, "mean score (1–5) of the category over the answers given in the window", "satisfaction_category_score"),
    "csi": D(SCORE, "overall satisfaction (CSI): mean over the responses in the window of each response's mean score across the categories answered", "csi_score"),
    "weak_item_no_share": D(RATIO, "answers 'weak' (false: it was not good) to the item ÷ answers to the item, in the window", "weak_item_no_ratio"),
    "weak_item_mix": D(RATIO, "answers 'weak' (false) to the item ÷ all 'weak' answers in the window (the material's pie)", "weak_item_mix_ratio"),
    "complaints_opened": D(COUNT, "complaints opened in the window", "complaints_opened"),
    "complaints_resolved": D(COUNT, "complaints resolved in the window", "complaints_resolved"),
    "complaints_open": D(COUNT, "complaints opened and not resolved at the window's end (or now)", "complaints_open", state=True),
    "complaint_resolution_time": D(SECONDS, "mean time from opening to resolution of the complaints resolved in the window", "complaint_resolution_seconds"),
    "complaint_resolution_time_max": D(SECONDS, "longest time from opening to resolution of the complaints resolved in the window", "complaint_resolution_max_seconds"),
    "repair_orders_delivered": D(COUNT, "ROs whose vehicle was delivered in the window", "cx_repair_orders_delivered"),
    "complaints_per_100_ros": D("complaints per 100 ROs", "complaints opened in the window × 100 ÷ ROs delivered in the window", "complaints_per_100_repair_orders"),
}


@dataclass(frozen=True)
class Delivery:
    """A delivered RO; `due_at` None when its customer declined contact."""

    repair_order_id: str
    advisor: str | None
    delivered_at: float
    due_at: float | None


@dataclass(frozen=True)
class Attempt:
    repair_order_id: str
    advisor: str | None
    at: float
    reached: bool
    scores: dict[str, int] = field(default_factory=dict)
    weak_items: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Complaint:
    complaint_id: str
    advisor: str | None
    opened_at: float | None
    resolved_at: float | None


@dataclass(frozen=True)
class SatisfactionFacts:
    deliveries: Sequence[Delivery] = ()
    attempts: Sequence[Attempt] = ()  # every attempt of the ROs delivered (for on-time) and in the window
    complaints: Sequence[Complaint] = ()


def _scope(facts: SatisfactionFacts, window: Window, labels: dict[str, str]) -> list[Value]:
    out: list[Value] = []
    delivered = [d for d in facts.deliveries if window.contains(d.delivered_at)]
    due = [d for d in delivered if d.due_at is not None]
    first_reached: dict[str, float] = {}
    for a in facts.attempts:
        if a.reached and a.at < first_reached.get(a.repair_order_id, float("inf")):
            first_reached[a.repair_order_id] = a.at
    on_time = [d for d in due if first_reached.get(d.repair_order_id, float("inf")) < (d.due_at or 0)]
    running = any(d.due_at is not None and d.due_at > window.now and d.repair_order_id not in first_reached for d in due)
    out += [value("follow_ups_due", len(due), **labels), value("follow_ups_on_time", len(on_time), **labels),
            value("follow_up_completion_rate", ratio(len(on_time), len(due)), running, **labels)]
    attempts = [a for a in facts.attempts if window.contains(a.at)]
    reached = [a for a in attempts if a.reached]
    out += [value("follow_up_attempts", len(attempts), **labels),
            value("follow_up_contact_rate", ratio(len(reached), len(attempts)), **labels)]
    responses = [a.scores for a in reached if a.scores]
    by_category: dict[str, list[int]] = defaultdict(list)
    for scores in responses:
        for category, score in scores.items():
            by_category[category].append(score)
    out.append(value("satisfaction_responses", len(responses), **labels))
    out += [value("satisfaction_score", sum(s) / len(s), category=c, **labels) for c, s in sorted(by_category.items())]
    means = [sum(s.values()) / len(s) for s in responses]
    out.append(value("csi", sum(means) / len(means) if means else None, **labels))
    answers: dict[str, list[bool]] = defaultdict(list)
    for a in reached:
        for item, good in a.weak_items.items():
            answers[item].append(good)
    weak = {item: sum(1 for good in v if not good) for item, v in answers.items()}
    all_weak = sum(weak.values())
    out += [value("weak_item_no_share", ratio(weak[i], len(v)), item=i, **labels) for i, v in sorted(answers.items())]
    out += [value("weak_item_mix", ratio(weak[i], all_weak), item=i, **labels) for i in sorted(answers)]
    opened = [c for c in facts.complaints if window.contains(c.opened_at)]
    resolved = [c for c in facts.complaints if window.contains(c.resolved_at) and c.opened_at is not None]
    still_open = [c for c in facts.complaints if c.opened_at is not None and c.opened_at < window.as_of
                  and (c.resolved_at is None or c.resolved_at >= window.as_of)]
    durations = [(c.resolved_at or 0) - (c.opened_at or 0) for c in resolved]
    out += [value("complaints_opened", len(opened), **labels), value("complaints_resolved", len(resolved), **labels),
            value("complaints_open", len(still_open), **labels),
            value("complaint_resolution_time", sum(durations) / len(durations) if durations else None, **labels),
            value("complaint_resolution_time_max", max(durations) if durations else None, **labels),
            value("repair_orders_delivered", len(delivered), **labels),
            value("complaints_per_100_ros", None if not delivered else 100 * len(opened) / len(delivered), **labels)]
    return out


def _of_advisor(facts: SatisfactionFacts, advisor: str) -> SatisfactionFacts:
    return SatisfactionFacts(
        [d for d in facts.deliveries if d.advisor == advisor], [a for a in facts.attempts if a.advisor == advisor],
        [c for c in facts.complaints if c.advisor == advisor],
    )


def advisors(facts: SatisfactionFacts) -> list[str]:
    """Every advisor named by a fact."""
    names: Iterable[str | None] = [*(d.advisor for d in facts.deliveries), *(a.advisor for a in facts.attempts),
                                   *(c.advisor for c in facts.complaints)]
    return sorted({n for n in names if n})


def compute(facts: SatisfactionFacts, window: Window) -> list[Value]:
    """The site's figures, then each advisor's (labelled `advisor`)."""
    values = _scope(facts, window, {})
    for advisor in advisors(facts):
        values += _scope(_of_advisor(facts, advisor), window, {"advisor": advisor})
    return values

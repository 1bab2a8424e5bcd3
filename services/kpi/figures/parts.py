"""Parts (fill rate, open backorders, parts below reorder point) and appointments (show rate)."""

from __future__ import annotations

from services.kpi.figures.model import Facts
from services.kpi.figures.result import Value, ratio, value
from services.kpi.figures.volume import entries
from services.kpi.figures.window import Window


def parts_figures(facts: Facts, window: Window) -> list[Value]:
    """Fill rate of the requests made in the window; backorders and low parts at the window's end."""
    lines = [line for r in facts.parts_requests if window.contains(r.requested_at) for line in r.lines]
    filled = sum(1 for line in lines if line.first_pick_quantity >= line.quantity)
    t = window.as_of
    open_backorders = sum(1 for b in facts.backorders
                          if b.created_at is not None and b.created_at <= t and (b.filled_at is None or b.filled_at > t))
    latest: dict[str, tuple[float, bool]] = {}
    for flag in facts.stock_flags:
        if flag.at <= t and (flag.part_number not in latest or (flag.at, flag.below) > latest[flag.part_number]):
            latest[flag.part_number] = (flag.at, flag.below)
    return [
        value("parts_fill_rate", ratio(filled, len(lines))),
        value("open_backorders", open_backorders),
        value("parts_below_reorder_point", sum(1 for _, below in latest.values() if below)),
    ]


def appointment_figures(facts: Facts, window: Window) -> list[Value]:
    """Show rate of the appointments due in the window; share of arrivals that were booked."""
    due = [a for a in facts.appointments if window.contains(a.slot_start) and a.cancelled_at is None]
    arrived = entries(facts, window)
    return [
        value("appointments_due", len(due)),
        value("appointment_show_rate", ratio(sum(1 for a in due if a.arrived), len(due))),
        value("booked_arrival_share", ratio(sum(1 for v in arrived if v.appointment_id), len(arrived))),
    ]

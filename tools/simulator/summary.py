"""The end-of-day summary: what each site's day held, and what the KPI service made of it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tools.simulator.day import Outcome, SiteDay

COLUMNS = ("arrivals", "ROs", "declined", "dispatched", "parts waits", "QC fails", "comebacks", "delivered", "left", "revenue",
           "claims sent")
KPI_FIGURES = (("vehicle_entries", "entries", "{:.0f}"), ("repair_orders_delivered", "delivered", "{:.0f}"),
               ("technician_productivity", "productivity", "{:.0%}"), ("bay_utilization", "bay use", "{:.0%}"),
               ("total_revenue", "revenue", "{:,.2f}"), ("gross_margin", "margin", "{:.0%}"),
               ("first_time_fix_rate", "first-time fix", "{:.0%}"), ("on_time_rate", "on time", "{:.0%}"))


def _row(day: SiteDay) -> list[str]:
    stats = day.api.stats.by_action
    visits = day.desk.visits
    ros = [v.ro for v in visits if v.ro is not None]
    revenue = sum((Decimal(str(i["total_amount"])) for i in day.invoices), Decimal("0"))
    return [
        str(stats.get("arrival", 0)), str(len(ros)), str(stats.get("decline line", 0)), str(stats.get("dispatch", 0)),
        str(stats.get("request parts", 0)), str(stats.get("qc fail", 0)), str(sum(1 for v in visits if v.plan.comeback_delay)),
        str(sum(1 for r in ros if r.delivered)), str(sum(1 for r in ros if not r.delivered)), f"{revenue:,.2f}",
        f"{len(day.warranty.submitted)}/{len(day.warranty.submitted) + day.warranty.left_in_draft}",
    ]


def summary(outcome: Outcome, log_path: Path) -> str:
    """A few lines for the terminal."""
    if not outcome.days:
        return "simulator: nothing was played"
    first = outcome.days[0].plan
    calls = sum(s.calls for s in outcome.stats.values())
    retries = sum(s.retries for s in outcome.stats.values())
    acting = sum(s.call_seconds for s in outcome.stats.values())
    waiting = sum(s.wait_seconds for s in outcome.stats.values())
    lines = [f"Simulated {len(outcome.days)} site(s) on {first.day} ({first.time_zone}) in {outcome.seconds:.0f} s: "
             f"{calls} API calls ({acting:.0f} s), {retries} retries, {waiting:.0f} s waiting for asynchronous effects. Log: {log_path}"]
    rows = [["site", *COLUMNS]] + [[d.plan.site_id, *_row(d)] for d in outcome.days]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines += ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))) for row in rows]
    for day in outcome.days:
        lines += [f"note {day.plan.site_id}: {note}" for note in day.notes]
    for site, figures in outcome.kpi.items():
        shown = []
        for name, label, fmt in KPI_FIGURES:
            value = figures.get(name)
            shown.append(f"{label} {'–' if value is None else fmt.format(value)}")
        lines.append(f"KPI {site}: " + ", ".join(shown))
    return "\n".join(lines)

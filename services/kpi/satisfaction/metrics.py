"""The satisfaction figures as gauges of the kpi collector (today and month to date, per site and advisor)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kpi import facts as facts_db
from services.kpi.families import PREFIX, figure_help
from services.kpi.figures import window as windows
from services.kpi.figures.model import SiteConfig
from services.kpi.satisfaction.figures import DEFINITIONS, SatisfactionFacts, compute
from services.kpi.satisfaction.load import load_sync

WINDOWS = ("today", "month_to_date")


async def satisfaction_families(engine: AsyncEngine, site_id: str, now: float, family: Any) -> dict[str, Any]:
    """Families (built with `family(kind, help, labels)`) of one site's satisfaction gauges."""
    async with engine.connect() as conn:
        site = facts_db.site_config(await facts_db.load_site(conn, site_id))
        return await conn.run_sync(satisfaction_families_sync, site, site_id, now, family)


def satisfaction_families_sync(conn: Connection, site: SiteConfig, site_id: str, now: float, family: Any,
                               kinds: tuple[str, ...] = WINDOWS) -> dict[str, Any]:
    """`satisfaction_families` (over those of `kinds` it has) on a synchronous connection, for a site whose configuration
    was read (a worker process)."""
    chosen = [windows.named(kind, site.time_zone, now) for kind in WINDOWS if kind in kinds]
    if not chosen:
        return {}
    return families_of(site_id, load_sync(conn, site_id, min(w.start for w in chosen), max(w.end for w in chosen)), chosen, family)


def families_of(site_id: str, facts: SatisfactionFacts, chosen: list[windows.Window], family: Any) -> dict[str, Any]:
    """The gauges of the satisfaction figures over the chosen windows."""
    families: dict[str, Any] = {}
    for window in chosen:
        for v in compute(facts, window):
            definition = DEFINITIONS[v.name]
            if v.value is None or definition.metric is None or (definition.state and window.kind != "today"):
                continue
            name = _name(definition.metric, bool(v.label("advisor")))
            keys = ["site", *(k for k, _ in v.labels)] + ([] if definition.state else ["window"])
            values = [site_id, *(x for _, x in v.labels)] + ([] if definition.state else [window.kind])
            target = families.setdefault(name, family("gauge", figure_help(definition), keys))
            target.samples.append((values, v.value))
    return families


def _name(metric: str, advisor: bool) -> str:
    return f"{PREFIX}{'advisor_' if advisor else ''}{metric}"


def headers() -> dict[str, tuple[str, str]]:
    """Every satisfaction family (the site's and the advisors'): name → (type, HELP)."""
    return {_name(d.metric, advisor): ("gauge", figure_help(d)) for d in DEFINITIONS.values() if d.metric is not None
            for advisor in (False, True)}

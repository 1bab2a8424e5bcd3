"""The warranty figures as gauges of the kpi collector: states now, and today, the rolling hour and month to date."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kpi import facts as facts_db
from services.kpi.families import PREFIX
from services.kpi.figures import window as windows
from services.kpi.figures.model import SiteConfig
from services.kpi.figures.result import Value
from services.kpi.warranty.figures import DAYS, DEFINITIONS, WarrantyFacts, compute, states
from services.kpi.warranty.load import load_sync


def _chosen(site: SiteConfig, now: float, kinds: tuple[str, ...]) -> tuple[list[windows.Window], float, float]:
    chosen = [windows.named(kind, site.time_zone, now) for kind in windows.WINDOW_KINDS if kind in kinds]
    return chosen, min((w.start for w in chosen), default=now), max((w.end for w in chosen), default=now)


async def warranty_families(engine: AsyncEngine, site_id: str, now: float, family: Any) -> dict[str, Any]:
    """Families (built with `family(kind, help, labels)`) of one site's warranty gauges."""
    async with engine.connect() as conn:
        site = facts_db.site_config(await facts_db.load_site(conn, site_id))
        return await conn.run_sync(warranty_families_sync, site, site_id, now, family)


def warranty_families_sync(conn: Connection, site: SiteConfig, site_id: str, now: float, family: Any,
                           kinds: tuple[str, ...] = windows.WINDOW_KINDS) -> dict[str, Any]:
    """`warranty_families` over those of `kinds` it has (the states always) on a synchronous connection, for a site
    whose configuration was read (the figures' worker process)."""
    chosen, start, end = _chosen(site, now, kinds)
    return families_of(site_id, load_sync(conn, site_id, start, end), chosen, family)


def families_of(site_id: str, facts: WarrantyFacts, chosen: list[windows.Window], family: Any) -> dict[str, Any]:
    """The gauges of a site with claims (none for a site that never had one): states, then each window's figures."""
    if not any(facts.by_status.values()):
        return {}
    families: dict[str, Any] = {}

    def add(v: Value, window_kind: str | None) -> None:
        definition = DEFINITIONS[v.name]
        if v.value is None or definition.metric is None:
            return
        keys = ["site", *(k for k, _ in v.labels)] + ([] if window_kind is None else ["window"])
        values = [site_id, *(x for _, x in v.labels)] + ([] if window_kind is None else [window_kind])
        target = families.setdefault(PREFIX + definition.metric, family("gauge", _help(definition), keys))
        target.samples.append((values, v.value))

    for v in states(facts):
        add(v, None)
    for window in chosen:
        for v in compute(facts, window):
            add(v, window.kind)
    return families


def _help(definition: Any) -> str:
    return f"{definition.formula} ({'seconds' if definition.unit == DAYS else definition.unit})"


def headers() -> dict[str, tuple[str, str]]:
    """Every warranty family: name → (type, HELP)."""
    return {PREFIX + d.metric: ("gauge", _help(d)) for d in DEFINITIONS.values() if d.metric is not None}

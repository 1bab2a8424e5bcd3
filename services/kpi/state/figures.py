"""A held site's /metrics families computed from its rows in memory: no statement reaches the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.kpi import facts as facts_db
from services.kpi import review
from services.kpi.db import SiteFact
from services.kpi.exposition import Family
from services.kpi.families import site_families
from services.kpi.figures import Snapshot, compute
from services.kpi.figures import window as windows
from services.kpi.figures.model import Facts
from services.kpi.figures.reports import REFERENCE_FIELDS
from services.kpi.satisfaction import load as satisfaction_load
from services.kpi.satisfaction import metrics as satisfaction
from services.kpi.state.reads import facts_rows, review_rows, satisfaction_rows, warranty_rows
from services.kpi.state.rows import SiteState
from services.kpi.warranty import load as warranty_load
from services.kpi.warranty import metrics as warranty


@dataclass
class Targets:
    """A site's rows of the kpi's own tables that the review needs: its targets and reference data (every month)."""

    targets: list[dict[str, Any]] = field(default_factory=list)
    reference: list[dict[str, Any]] = field(default_factory=list)

    def read(self, year: int, month: int) -> dict[str, list[Any]]:
        """What review.py's statements on these tables read for a month."""
        ym = f"{year:04d}-{month:02d}"
        return {"targets": [(t["indicator"], t["value"]) for t in self.targets if t["year"] == year and t["month"] == month],
                "reference": [tuple(r[f] for f in REFERENCE_FIELDS) for r in self.reference if r["month"] == ym][:1]}


def facts(state: SiteState, start: float, end: float, now: float) -> Facts:
    """What figures over windows inside [start, end) need, states read at min(end, now): facts.load_facts from memory."""
    bound = facts_db.params(state.site_id, start, end, now)
    return facts_db.facts_from_rows(facts_rows(state, bound["lo"], bound["hi"], bound["at"], bound["day_back"]))


def snapshot(state: SiteState, window: windows.Window) -> Snapshot:
    """The site's figures over any window."""
    return compute(facts(state, window.start, window.end, window.now), window)


def snapshots(state: SiteState, now: float, kinds: tuple[str, ...] = windows.WINDOW_KINDS) -> dict[str, Snapshot]:
    """The site's figures over today, the rolling hour and month to date (or those of `kinds`) at `now`."""
    site = facts_db.site_config(state.tables[SiteFact].get((state.site_id,)))
    chosen = [windows.named(kind, site.time_zone, now) for kind in kinds]
    read = facts(state, min(w.start for w in chosen), max(w.end for w in chosen), now)
    return {w.kind: compute(read, w) for w in chosen}


def families(state: SiteState, now: float, targets: Targets) -> dict[str, Family]:
    """Every family of the site's figures on /metrics, as KpiMetrics shows them."""
    site_id = state.site_id
    site = facts_db.site_config(state.tables[SiteFact].get((site_id,)))
    figures = snapshots(state, now)
    result = site_families(site_id, figures)
    kept = [windows.named(kind, site.time_zone, now) for kind in satisfaction.WINDOWS]
    rows = satisfaction_rows(state, facts_db.dt(min(w.start for w in kept)), facts_db.dt(max(w.end for w in kept)))
    result.update(satisfaction.families_of(site_id, satisfaction_load.from_rows(rows), kept, Family))
    chosen = [windows.named(kind, site.time_zone, now) for kind in windows.WINDOW_KINDS]
    rows = warranty_rows(state, facts_db.dt(min(w.start for w in chosen)), facts_db.dt(max(w.end for w in chosen)))
    result.update(warranty.families_of(site_id, warranty_load.from_rows(rows), chosen, Family))
    params, year, month = review.params(site_id, site, now)
    read = {**targets.read(year, month), **review_rows(state, params["lo"], params["hi"], params["back"])}
    result.update(review.review_families(site_id, review.rows_of(read, year, month, True), figures["month_to_date"]))
    return result

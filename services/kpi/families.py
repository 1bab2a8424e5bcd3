"""Prometheus families of one site's figures: gauges per window, and the waits as histograms."""

from __future__ import annotations

from typing import Any

from services.kpi.exposition import Family
from services.kpi.figures import Snapshot
from services.kpi.figures.definitions import DEFINITIONS, WAITS
from services.kpi.figures.result import Value

PREFIX = "pitwall_kpi_"
WAIT_HELP = "Waits by kind, counted in the window where they end: " + "; ".join(f"{k}: {d}" for k, d in WAITS.items())
WAIT_BUCKETS = (60.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0, 259200.0, 604800.0)


def family_name(v: Value) -> str | None:
    """The Prometheus family of a figure (None when it has no metric)."""
    metric = DEFINITIONS[v.name].metric
    if metric is None:
        return None
    scope = "technician_" if v.label("technician") else "bay_" if v.label("bay") else ""
    return f"{PREFIX}{scope}{metric}"


def figure_help(definition: Any) -> str:
    """The HELP of a figure's family: its formula and unit."""
    return f"{definition.formula} ({definition.unit})"


def headers() -> dict[str, tuple[str, str]]:
    """Every family of the site figures, whether or not a site has a value in it: name → (type, HELP)."""
    found = {f"{PREFIX}wait_seconds": ("histogram", WAIT_HELP)}
    for name, definition in DEFINITIONS.items():
        scopes = [*definition.scopes] + ([] if definition.scoped else [None])
        for scope in scopes:
            family = family_name(Value(name, 0.0, () if scope is None else ((scope, scope),)))
            if family is not None:
                found[family] = ("gauge", figure_help(definition))
    return found


def site_families(site_id: str, snapshots: dict[str, Snapshot]) -> dict[str, Family]:
    """The families of one site from its windows' snapshots."""
    families: dict[str, Family] = {}
    for window_kind, snapshot in snapshots.items():
        for v in snapshot.values:
            name = family_name(v)
            definition = DEFINITIONS[v.name]
            if name is None or v.value is None or (definition.state and window_kind != "today"):
                continue
            keys = ["site", *(k for k, _ in v.labels)] + ([] if definition.state else ["window"])
            values = [site_id, *(x for _, x in v.labels)] + ([] if definition.state else [window_kind])
            family = families.setdefault(name, Family("gauge", figure_help(definition), keys))
            family.samples.append((values, v.value))
        waits = families.setdefault(f"{PREFIX}wait_seconds", Family("histogram", WAIT_HELP, ["site", "kind", "window"]))
        for d in snapshot.waits:
            buckets = [(_le(b), float(sum(1 for s in d.samples if s <= b))) for b in WAIT_BUCKETS] + [("+Inf", float(d.count))]
            waits.samples.append(([site_id, d.kind, window_kind], (buckets, d.sum)))
    return families


def _le(bound: float) -> str:
    return str(float(bound))

"""Prometheus text of the kpi figures, rendered once when a site's figures are computed; a scrape only joins text.

Rendering every sample at each scrape (prometheus_client's generate_latest, in the event loop) took hundreds of
milliseconds with a few dozen sites, and held up the consumer meanwhile. The lines are the same as generate_latest's:
labels sorted by name, values as Go prints floats, histograms as _bucket, _count and _sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.utils import floatToGoString


@dataclass
class Family:
    """One metric family's samples for one site: gauge values, or histogram (buckets, sum)."""

    kind: str
    help: str
    labels: list[str]
    samples: list[tuple[list[str], Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Rendered:
    """A family's header and one site's sample lines."""

    kind: str
    help: str
    lines: str


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _line(name: str, labels: dict[str, str], value: float) -> str:
    text = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{text}}} {floatToGoString(value)}\n" if text else f"{name} {floatToGoString(value)}\n"


def render(families: dict[str, Family]) -> dict[str, Rendered]:
    """One site's families as text lines."""
    rendered = {}
    for name, family in families.items():
        lines = []
        for values, sample in family.samples:
            labels = dict(zip(family.labels, values, strict=True))
            if family.kind == "histogram":
                buckets, total = sample
                lines += [_line(f"{name}_bucket", {**labels, "le": le}, count) for le, count in buckets]
                lines += [_line(f"{name}_count", labels, buckets[-1][1]), _line(f"{name}_sum", labels, total)]
            else:
                lines.append(_line(name, labels, sample))
        rendered[name] = Rendered(family.kind, family.help, "".join(lines))
    return rendered


def join(sites: Iterable[dict[str, Rendered]]) -> str:
    """Every site's lines grouped by family (one HELP and TYPE each), families sorted by name."""
    merged: dict[str, tuple[Rendered, list[str]]] = {}
    for families in sites:
        for name, family in families.items():
            merged.setdefault(name, (family, []))[1].append(family.lines)
    parts = []
    for name in sorted(merged):
        family, lines = merged[name]
        help_text = family.help.replace("\\", r"\\").replace("\n", r"\n")
        parts.append(f"# HELP {name} {help_text}\n# TYPE {name} {family.kind}\n")
        parts += lines
    return "".join(parts)

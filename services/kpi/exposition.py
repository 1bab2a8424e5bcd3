"""Prometheus text of the kpi figures, rendered once when a site's figures are computed; a scrape only joins text.

Rendering every sample at each scrape (prometheus_client's generate_latest, in the event loop) took hundreds of
milliseconds with a few dozen sites, and held up the consumer meanwhile. The lines are the same as generate_latest's:
labels sorted by name, values as Go prints floats, histograms as _bucket, _count and _sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


def render(families: dict[str, Family]) -> dict[str, Rendered]:
    """One site's families as text lines."""
    rendered = {}
    for name, family in families.items():
        histogram = family.kind == "histogram"
        keys = sorted([*family.labels, "le"] if histogram else family.labels)  # labels are written sorted by name
        slots = [family.labels.index(k) if k != "le" else -1 for k in keys]
        lines = []
        for values, sample in family.samples:
            pairs = [f'{k}="{_escape(values[i])}"' if i >= 0 else "" for k, i in zip(keys, slots, strict=True)]
            if histogram:
                at = slots.index(-1)
                plain = ",".join(p for p in pairs if p)
                before, after = ",".join(p for p in pairs[:at] if p), ",".join(p for p in pairs[at + 1:] if p)
                head, tail = (before + "," if before else ""), ("," + after if after else "")
                buckets, total = sample
                lines += [f'{name}_bucket{{{head}le="{le}"{tail}}} {floatToGoString(count)}\n' for le, count in buckets]
                braces = f"{{{plain}}}" if plain else ""
                lines.append(f"{name}_count{braces} {floatToGoString(buckets[-1][1])}\n")
                lines.append(f"{name}_sum{braces} {floatToGoString(total)}\n")
            else:
                lines.append(f"{name}{{{','.join(pairs)}}} {floatToGoString(sample)}\n" if pairs else f"{name} {floatToGoString(sample)}\n")
        rendered[name] = Rendered(family.kind, family.help, "".join(lines))
    return rendered


def join(sites: Iterable[dict[str, Rendered]], headers: Mapping[str, tuple[str, str]] | None = None) -> str:
    """Every site's lines grouped by family (one HELP and TYPE each), families sorted by name; each of `headers`
    (name → (type, HELP)) is there even without a sample."""
    merged: dict[str, tuple[Rendered, list[str]]] = {name: (Rendered(kind, text, ""), []) for name, (kind, text) in (headers or {}).items()}
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

"""Pure read-time calculations of every figure over plain facts (no SQL, HTTP or Kafka)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.kpi.figures.floor import bay_figures, technician_figures
from services.kpi.figures.model import Facts
from services.kpi.figures.money import money_figures
from services.kpi.figures.now import name_figures, now_figures
from services.kpi.figures.parts import appointment_figures, parts_figures
from services.kpi.figures.quality import quality_figures
from services.kpi.figures.result import Distribution, Value
from services.kpi.figures.volume import volume_figures, wip_figures
from services.kpi.figures.waits import on_time, wait_distributions
from services.kpi.figures.window import Window


@dataclass(frozen=True)
class Snapshot:
    """Every figure of one window."""

    values: list[Value]
    waits: list[Distribution]

    def get(self, name: str, **labels: str) -> float | None:
        """The value of a figure with exactly these labels."""
        wanted = tuple(sorted(labels.items()))
        for v in self.values:
            if v.name == name and v.labels == wanted:
                return v.value
        raise KeyError(f"{name} {labels}")


AREAS: dict[str, Callable[[Facts, Window, float], list[Value]]] = {
    "technicians": lambda f, w, _: technician_figures(f, w),
    "bays": lambda f, w, _: bay_figures(f, w),
    "waits": lambda f, w, _: on_time(f, w),
    "volume": lambda f, w, _: volume_figures(f, w),
    "wip": lambda f, w, threshold: wip_figures(f, w, threshold),
    "money": lambda f, w, _: money_figures(f, w),
    "quality": lambda f, w, _: quality_figures(f, w),
    "parts": lambda f, w, _: parts_figures(f, w),
    "appointments": lambda f, w, _: appointment_figures(f, w),
    "now": lambda f, w, _: now_figures(f, w),
    "names": lambda f, w, _: name_figures(f, w),
}


def compute(facts: Facts, window: Window, *, wip_threshold_seconds: float = 86400.0, areas: tuple[str, ...] | None = None) -> Snapshot:
    """The figures of the areas asked for (all by default) over one window."""
    chosen = areas or tuple(AREAS)
    values = [v for area in chosen for v in AREAS[area](facts, window, wip_threshold_seconds)]
    waits = wait_distributions(facts, window) if "waits" in chosen else []
    return Snapshot(values, waits)


__all__ = ["AREAS", "Facts", "Snapshot", "Window", "compute"]

"""What every kpi router shares: roles, the window of a request, loading facts, presenting figures."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from fastapi import Query, Request

from services.kpi import facts as facts_db
from services.kpi.figures import Snapshot, compute
from services.kpi.figures import window as windows
from services.kpi.figures.definitions import DEFINITIONS, WAIT_FORMULA_SUFFIX, WAITS
from services.kpi.figures.model import Facts, SiteConfig
from services.kpi.figures.window import Window, iso, zone
from services.kpi.schemas import AreaRead, FigureRead, WaitRead, WindowRead
from services.kpi.settings import KpiSettings
from shared.auth import Principal, Role, requires
from shared.outbox import utcnow
from shared.problems import ProblemError, not_found
from shared.types import FIRST_YEAR, LAST_YEAR, YEAR_PATTERN, within_years

reader = requires(Role.MANAGER, Role.FOREMAN, Role.ADVISOR)
writer = requires(Role.MANAGER)


# Declared in OpenAPI; `_instant` and `month_of` check them and name the parameter.
# A window's end: a date or a date-time (offset optional), in the years every API takes.
WINDOW_END = (rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
              r"([Tt ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?([Zz]|[+-](0\d|1[0-4]):[0-5]\d)?)?$")
MONTH_PATTERN = rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])$"


@dataclass(frozen=True)
class WindowQuery:
    kind: str | None
    start: str | None
    end: str | None


def window_query(
    window: Literal["today", "rolling_hour", "month_to_date"] | None = Query(None, description="a named window"),
    start: str | None = Query(None, alias="from", json_schema_extra={"pattern": WINDOW_END},
                              description="a date (site-local midnight) or a date-time (site-local without an offset); with `to`"),
    end: str | None = Query(None, alias="to", json_schema_extra={"pattern": WINDOW_END}, description="exclusive end: a date or a date-time"),
) -> WindowQuery:
    """The window asked for: a named one, or from/to."""
    if (start is None) != (end is None):
        raise _invalid("give both from and to, or neither")
    if window is not None and start is not None:
        raise _invalid("give either window or from/to, not both")
    return WindowQuery(window, start, end)


def _invalid(detail: str) -> ProblemError:
    return ProblemError(422, "Invalid window", detail, type_="/problems/validation")


def _instant(text: str, time_zone: str, name: str) -> float:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = within_years(date.fromisoformat(text))
            return datetime(day.year, day.month, day.day, tzinfo=zone(time_zone)).timestamp()
        moment = within_years(datetime.fromisoformat(text))
    except ValueError as exc:
        raise _invalid(f"{name} must be a date (YYYY-MM-DD) or an RFC 3339 date-time in the years {FIRST_YEAR} to {LAST_YEAR},"
                       f" got {text!r}") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone(time_zone))).timestamp()


def resolve(query: WindowQuery, site: SiteConfig, now: float, settings: KpiSettings, default: str = "today") -> Window:
    """The window of a request, in the site's time zone."""
    if query.start is None or query.end is None:
        return windows.named(query.kind or default, site.time_zone, now)
    start = _instant(query.start, site.time_zone, "from")
    end = _instant(query.end, site.time_zone, "to")
    if end <= start:
        raise _invalid("to must be after from")
    if end - start > settings.max_range_days * 86400:
        raise _invalid(f"a range may span at most {settings.max_range_days} days")
    return windows.custom(start, end, site.time_zone, now)


def month_of(text: str | None, site: SiteConfig, now: float) -> tuple[int, int]:
    """(year, month) of a `YYYY-MM` query, the site's current month by default."""
    if text is None:
        local = datetime.fromtimestamp(now, zone(site.time_zone))
        return local.year, local.month
    match = re.fullmatch(MONTH_PATTERN, text)
    if not match:
        raise ProblemError(422, "Invalid month", f"month must be YYYY-MM in the years {FIRST_YEAR} to {LAST_YEAR}, got {text!r}",
                           type_="/problems/validation")
    year, month = text.split("-")
    return int(year), int(month)


def settings_of(request: Request) -> KpiSettings:
    """The service's settings."""
    return request.app.state.settings  # type: ignore[no-any-return]


async def site_config(request: Request, principal: Principal, site_id: str) -> SiteConfig:
    """The site's configuration; 403 outside the token's sites, 404 if no event of the site was seen."""
    principal.require_site(site_id)
    async with request.app.state.runtime.engine.connect() as conn:
        row = await facts_db.load_site(conn, site_id)
    if row is None:
        raise not_found("site", site_id)
    return facts_db.site_config(row)


async def load(request: Request, site_id: str, start: float, end: float, now: float) -> Facts:
    """The facts of a site for [start, end)."""
    async with request.app.state.runtime.engine.connect() as conn:
        return await facts_db.load_facts(conn, site_id, start, end, now)


async def figures_for(request: Request, facts: Facts, window: Window, areas: tuple[str, ...],
                      age_threshold_hours: float | None = None) -> Snapshot:
    """Compute (off the event loop) the figures of some areas over a window."""
    hours = age_threshold_hours if age_threshold_hours is not None else settings_of(request).wip_age_threshold_hours
    return await asyncio.to_thread(compute, facts, window, wip_threshold_seconds=hours * 3600, areas=areas)


def now() -> float:
    """The current time in POSIX seconds."""
    return utcnow().timestamp()


def window_read(window: Window) -> WindowRead:
    """A window as the API shows it."""
    return WindowRead(kind=window.kind, start=iso(window.start, window.time_zone), end=iso(window.end, window.time_zone),
                      time_zone=window.time_zone, as_of=iso(window.as_of, window.time_zone))  # type: ignore[arg-type]


def present(site_id: str, window: Window, snapshot: Snapshot, names: dict[str, str] | None = None,
            only: set[str] | None = None) -> AreaRead:
    """Every figure of a snapshot with its definition and window."""
    shown = window_read(window)
    figures = [FigureRead(name=v.name, value=v.value, unit=DEFINITIONS[v.name].unit, formula=DEFINITIONS[v.name].formula,
                          window=shown, provisional=v.provisional, labels=dict(v.labels))
               for v in snapshot.values if only is None or (v.name in only and not v.labels)]
    waits = [WaitRead(name=f"{d.kind}_wait", kind=d.kind, formula=WAITS[d.kind] + WAIT_FORMULA_SUFFIX, window=shown,
                      count=d.count, sum=d.sum, p50=d.quantile(0.5), p90=d.quantile(0.9), max=d.max)
             for d in snapshot.waits]
    return AreaRead(site_id=site_id, window=shown, figures=figures, waits=waits, names=names or {})


def dump(model: Any) -> Any:
    """JSON-ready form of a model."""
    return model.model_dump(mode="json")

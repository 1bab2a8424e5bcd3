"""Windows of time in a site's time zone: today, rolling hour, month to date, a month, any range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

WINDOW_KINDS = ("today", "rolling_hour", "month_to_date")


@dataclass(frozen=True)
class Window:
    """[start, end) in POSIX seconds; `now` is when open intervals stop running."""

    kind: str
    start: float
    end: float
    now: float
    time_zone: str

    @property
    def as_of(self) -> float:
        """The instant states (WIP, open backorders) are read at: the window's end, or now if sooner."""
        return min(self.end, self.now)

    def contains(self, t: float | None) -> bool:
        """Whether a point in time falls in the window."""
        return t is not None and self.start <= t < self.end


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo of a site (UTC when unknown)."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _local_midnight(day: datetime, tz: ZoneInfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def today(time_zone: str, now: float) -> Window:
    """The site's calendar day containing now."""
    tz = zone(time_zone)
    local = datetime.fromtimestamp(now, tz)
    start = _local_midnight(local, tz)
    end = _local_midnight(local + timedelta(days=1), tz)
    return Window("today", start, end, now, time_zone)


def rolling_hour(time_zone: str, now: float) -> Window:
    """The last 60 minutes."""
    return Window("rolling_hour", now - 3600.0, now, now, time_zone)


def month_to_date(time_zone: str, now: float) -> Window:
    """From the first of the site's month to the end of today."""
    tz = zone(time_zone)
    local = datetime.fromtimestamp(now, tz)
    start = datetime(local.year, local.month, 1, tzinfo=tz).timestamp()
    return Window("month_to_date", start, today(time_zone, now).end, now, time_zone)


def month(time_zone: str, year: int, month_number: int, now: float) -> Window:
    """A calendar month of the site."""
    tz = zone(time_zone)
    start = datetime(year, month_number, 1, tzinfo=tz).timestamp()
    nxt = datetime(year + month_number // 12, month_number % 12 + 1, 1, tzinfo=tz).timestamp()
    return Window("month", start, nxt, now, time_zone)


def named(kind: str, time_zone: str, now: float) -> Window:
    """One of WINDOW_KINDS."""
    return {"today": today, "rolling_hour": rolling_hour, "month_to_date": month_to_date}[kind](time_zone, now)


def custom(start: float, end: float, time_zone: str, now: float) -> Window:
    """Any range."""
    return Window("range", start, end, now, time_zone)


def local_date_start(time_zone: str, year: int, month_number: int, day: int) -> float:
    """Local midnight of a date, in POSIX seconds."""
    return datetime(year, month_number, day, tzinfo=zone(time_zone)).timestamp()


def iso(t: float, time_zone: str) -> str:
    """A POSIX time as RFC 3339 in the site's zone."""
    return datetime.fromtimestamp(t, UTC).astimezone(zone(time_zone)).isoformat()

"""Appointment slots: a grid from each day's opening time, a capacity per slot and lane."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from shared.errors import Conflict, Invalid


class Lane(StrEnum):
    STANDARD = "standard"
    QUICK = "quick"


def parse_hhmm(value: str) -> time:
    """'HH:MM' as a time; ValueError otherwise."""
    hours, _, minutes = value.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"{value!r} is not HH:MM")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class Schedule:
    """When a site takes appointments."""

    time_zone: str
    opening: Mapping[int, tuple[str, str]]  # weekday -> (opens, closes), 'HH:MM' local
    slot_minutes: int

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.time_zone)

    def local_day(self, moment: datetime) -> date:
        """The site's calendar day at a moment."""
        return moment.astimezone(self.zone).date()

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Start and end (UTC) of a local calendar day."""
        start = datetime.combine(day, time(0), tzinfo=self.zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def slots_on(self, day: date) -> list[datetime]:
        """Every slot start (UTC) of a local day; none when closed."""
        hours = self.opening.get(day.weekday())
        if hours is None:
            return []
        opens = datetime.combine(day, parse_hhmm(hours[0]), tzinfo=self.zone)
        closes = datetime.combine(day, parse_hhmm(hours[1]), tzinfo=self.zone)
        step = timedelta(minutes=self.slot_minutes)
        starts = []
        start = opens
        while start + step <= closes:
            starts.append(start.astimezone(UTC))
            start += step
        return starts

    def slot(self, start: datetime) -> tuple[datetime, datetime]:
        """The slot beginning at `start` (start, end in UTC); Invalid naming why it is not one."""
        local = start.astimezone(self.zone)
        hours = self.opening.get(local.weekday())
        if hours is None:
            raise Invalid(f"the site is closed on {local.strftime('%A')} {local.date().isoformat()}")
        starts = self.slots_on(local.date())
        if start.astimezone(UTC) not in starts:
            raise Invalid(
                f"{local.strftime('%H:%M')} local time is not a slot start: slots of {self.slot_minutes} minutes "
                f"run from {hours[0]} to {hours[1]}"
            )
        return start.astimezone(UTC), start.astimezone(UTC) + timedelta(minutes=self.slot_minutes)

    def slots_from(self, moment: datetime, days: int) -> Iterator[datetime]:
        """Slot starts at or after `moment`, for `days` local days."""
        first = self.local_day(moment)
        for offset in range(days):
            for start in self.slots_on(first + timedelta(days=offset)):
                if start >= moment:
                    yield start


def free_slots(
    schedule: Schedule, after: datetime, capacity: int, booked: Mapping[datetime, int], *, count: int, days: int
) -> list[datetime]:
    """The next `count` slot starts with room left, searching `days` days ahead."""
    found = []
    for start in schedule.slots_from(after, days):
        if booked.get(start, 0) < capacity:
            found.append(start)
            if len(found) == count:
                break
    return found


def require_room(
    schedule: Schedule,
    start: datetime,
    lane: Lane,
    capacity: int,
    booked: Mapping[datetime, int],
    *,
    count: int,
    days: int,
) -> None:
    """Refuse a full slot, naming the next free ones."""
    if booked.get(start, 0) < capacity:
        return
    nexts = free_slots(schedule, start, capacity, booked, count=count, days=days)
    shown = ", ".join(s.astimezone(schedule.zone).strftime("%Y-%m-%d %H:%M") for s in nexts) or "none"
    raise Conflict(
        f"the {lane.value} slot at {start.astimezone(schedule.zone).strftime('%Y-%m-%d %H:%M')} is full "
        f"({capacity} booked); next free: {shown}",
        next_free_slots=[s.isoformat() for s in nexts],
        lane=lane.value,
    )

"""When a car may be checked in: a booked car around its slot (the site's early/late rules), a walk-in while the site is open."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from services.reception.domain.slots import Schedule, parse_hhmm
from shared.errors import Conflict

WALK_IN_HINT = "check it in as a walk-in with vehicle_id and walk_in: true"


def require_booked_arrival(
    at: datetime, slot_start: datetime, slot_end: datetime, schedule: Schedule, early: int, late: int
) -> None:
    """Refuse a booked arrival more than `early` minutes before its slot or `late` minutes after it (409)."""
    earliest, latest = slot_start - timedelta(minutes=early), slot_end + timedelta(minutes=late)
    if earliest <= at <= latest:
        return
    zone = schedule.zone
    raise Conflict(
        f"the appointment is for {slot_start.astimezone(zone):%A %Y-%m-%d %H:%M} (site time); its car is checked in from "
        f"{earliest.astimezone(zone):%Y-%m-%d %H:%M} to {latest.astimezone(zone):%H:%M}, not at {at.astimezone(zone):%Y-%m-%d %H:%M}: "
        f"reschedule the appointment, or {WALK_IN_HINT} (the appointment stays booked)",
        slot_start=slot_start.isoformat(),
        earliest=earliest.isoformat(),
        latest=latest.isoformat(),
    )


def require_open(at: datetime, schedule: Schedule) -> None:
    """Refuse a walk-in while the site is closed (409)."""
    local = at.astimezone(schedule.zone)
    hours = schedule.opening.get(local.weekday())
    if hours is not None:
        opens, closes = parse_hhmm(hours[0]), parse_hhmm(hours[1])
        # HH:MM cannot say 24:00: a site closing at 23:59 is open to midnight.
        if opens <= local.time() and (local.time() < closes or closes == time(23, 59)):
            return
    open_text = f"open {hours[0]}–{hours[1]}" if hours is not None else "closed all day"
    raise Conflict(
        f"the site is closed at {local:%H:%M} on {local:%A %Y-%m-%d} ({open_text}); for a car taken in after hours, "
        f"{WALK_IN_HINT}"
    )

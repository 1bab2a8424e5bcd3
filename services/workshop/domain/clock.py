"""Clock arithmetic: clocked time, default shift ends, and which clocks are stale."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.contracts.workshop import StaleClockKind
from shared.errors import Invalid


@dataclass(frozen=True)
class Span:
    """A clocked interval; `end` None while it runs."""

    start: datetime
    end: datetime | None


def clocked_seconds(spans: Iterable[Span], now: datetime) -> int:
    """Total seconds of the spans, a running one counted up to now."""
    total = 0.0
    for span in spans:
        total += max(0.0, ((span.end or now) - span.start).total_seconds())
    return int(total)


def require_not_before(when: datetime, last: datetime | None, what: str) -> None:
    """Refuse a step dated before the last recorded step (a clock cannot run backwards)."""
    if last is not None and when < last:
        raise Invalid(f"occurred_at {when.isoformat()} is before {what} at {last.isoformat()}")


@dataclass(frozen=True)
class OpeningDay:
    """Opening and closing time of one weekday (0 = Monday), site local time."""

    weekday: int
    opens: time
    closes: time


def default_shift_end(
    clock_in: datetime, time_zone: str | None, days: list[OpeningDay], fallback: timedelta
) -> datetime:
    """The site's closing time that day when it is configured and still ahead; else clock-in + fallback."""
    if time_zone:
        local = clock_in.astimezone(ZoneInfo(time_zone))
        for day in days:
            if day.weekday == local.weekday():
                closes = datetime.combine(local.date(), day.closes, tzinfo=local.tzinfo)
                if closes > local:
                    return closes
    return clock_in + fallback


@dataclass(frozen=True)
class StalePolicy:
    """How far over is stale: a job past sold hours × factor + grace; a shift past its end + grace."""

    sold_hours_factor: Decimal
    job_grace: timedelta
    shift_grace: timedelta


@dataclass(frozen=True)
class OpenJobClock:
    """A technician's running clock on a job, with what the job already holds."""

    interval_id: str
    site_id: str
    technician_id: str
    job_id: str
    start: datetime
    job_round: int
    sold_hours: Decimal
    job_closed: timedelta  # the job's finished intervals (all technicians)
    job_running_starts: tuple[datetime, ...]  # starts of every clock running on the job (all technicians)
    technician_clocked_out_at: datetime | None  # set when the technician is no longer clocked in


@dataclass(frozen=True)
class OpenShift:
    """A technician's running attendance."""

    attendance_id: str
    site_id: str
    technician_id: str
    shift_end: datetime | None


@dataclass(frozen=True)
class StaleCondition:
    """One stale clock; `key` names it so it is flagged once."""

    key: str
    site_id: str
    kind: StaleClockKind
    technician_id: str
    job_id: str | None
    since: datetime


def stale_conditions(
    now: datetime, clocks: list[OpenJobClock], shifts: list[OpenShift], policy: StalePolicy
) -> list[StaleCondition]:
    """Every stale clock at `now`: a job clock left running past clock-out or far past its sold hours; a shift overrun."""
    found: dict[str, StaleCondition] = {}
    for clock in sorted(clocks, key=lambda c: (c.start, c.interval_id)):
        if clock.technician_clocked_out_at is not None:
            key = f"job_past_clock_out:{clock.interval_id}"
            since = max(clock.start, clock.technician_clocked_out_at)
            found[key] = StaleCondition(
                key, clock.site_id, StaleClockKind.JOB_PAST_CLOCK_OUT, clock.technician_id, clock.job_id, since
            )
        limit = timedelta(hours=float(clock.sold_hours * policy.sold_hours_factor)) + policy.job_grace
        crossed = crossing_time(clock.job_closed, list(clock.job_running_starts), limit)
        key = f"job_over_sold_hours:{clock.job_id}:{clock.job_round}"
        if crossed is not None and crossed < now and key not in found:
            found[key] = StaleCondition(
                key, clock.site_id, StaleClockKind.JOB_OVER_SOLD_HOURS, clock.technician_id, clock.job_id, crossed
            )
    for shift in shifts:
        if shift.shift_end is not None and now > shift.shift_end + policy.shift_grace:
            key = f"shift_overrun:{shift.attendance_id}"
            found[key] = StaleCondition(
                key, shift.site_id, StaleClockKind.SHIFT_OVERRUN, shift.technician_id, None, shift.shift_end
            )
    return list(found.values())


def crossing_time(closed: timedelta, running_starts: list[datetime], limit: timedelta) -> datetime | None:
    """When a job's clocked time (finished intervals plus the clocks still running) reaches `limit`; None if no clock runs."""
    if not running_starts:
        return None
    starts = sorted(running_starts)
    remaining = limit - closed
    if remaining <= timedelta(0):
        return starts[0]
    at, gained, rate = starts[0], timedelta(0), 0
    for start in starts:
        step = (start - at) * rate
        if rate and gained + step >= remaining:
            return at + (remaining - gained) / rate
        gained, at, rate = gained + step, start, rate + 1
    return at + (remaining - gained) / rate


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """A salted PBKDF2 hash of a terminal PIN, as `salt$hash` in hex."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, 100_000)
    return f"{salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str | None) -> bool:
    """Whether the PIN matches the stored hash."""
    if not stored or "$" not in stored:
        return False
    salt_hex, _ = stored.split("$", 1)
    return hmac.compare_digest(hash_pin(pin, bytes.fromhex(salt_hex)), stored)

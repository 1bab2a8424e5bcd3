"""Bays, technicians and attendance (clock in/out, breaks)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import select

from services.workshop.adapters.store import TechnicianNow, get_bay, technician_now
from services.workshop.adapters.tables import AttendanceRow, BayRow, BreakRow, JobRow, SiteRow, TechnicianRow
from services.workshop.adapters.views import bay_read, technician_read
from services.workshop.api.schemas import (
    BayCreate,
    BayRead,
    BayStatusUpdate,
    BayUpdate,
    ClockIn,
    ClockStep,
    TechnicianCreate,
    TechnicianRead,
    TechnicianUpdate,
)
from services.workshop.domain.clock import OpeningDay, default_shift_end, hash_pin
from services.workshop.usecases.clocks import ATTENDANCE_ALLOWED, leave_job_for_break
from services.workshop.usecases.context import Actor, acting_technician, check_after
from shared.clock import new_id
from shared.contracts.workshop import (
    BayStatus,
    BayStatusChanged,
    TechnicianBreakEnded,
    TechnicianBreakStarted,
    TechnicianClockedIn,
    TechnicianClockedOut,
)
from shared.errors import Conflict, IllegalTransition, Invalid
from shared.uow import UnitOfWork


def _bay_event(bay: BayRow, when: datetime) -> BayStatusChanged:
    return BayStatusChanged(
        site_id=bay.site_id,
        occurred_at=when,
        bay_id=bay.id,
        name=bay.name,
        kind=bay.kind,
        status=BayStatus(bay.status),
        reason=bay.reason,
        expected_return=bay.expected_return,
    )


async def _name_taken(uow: UnitOfWork, site_id: str, name: str, bay_id: str | None = None) -> None:
    statement = select(BayRow).where(BayRow.site_id == site_id, BayRow.name == name)
    other = (await uow.session.exec(statement)).first()
    if other is not None and other.id != bay_id:
        raise Conflict(f"site {site_id!r} already has a bay named {name!r}", type_="/problems/duplicate")


async def create_bay(uow: UnitOfWork, actor: Actor, site_id: str, body: BayCreate) -> BayRead:
    """Add a bay; its first status is published."""
    when = actor.when(body.occurred_at)
    await _name_taken(uow, site_id, body.name)
    bay = BayRow(
        id=new_id(),
        site_id=site_id,
        name=body.name,
        kind=body.kind.value,
        status=body.status.value,
        reason=body.reason,
        expected_return=body.expected_return,
        job_kinds=sorted(set(body.job_kinds)),
        last_change_at=when,
    )
    uow.session.add(bay)
    await uow.publish(_bay_event(bay, when))
    return await bay_read(uow.session, bay)


async def update_bay(uow: UnitOfWork, actor: Actor, bay: BayRow, body: BayUpdate) -> BayRead:
    """Rename a bay or change its kind or the job kinds it takes; a new name or kind is published."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True, exclude={"occurred_at"})
    when = actor.when(body.occurred_at)
    if "name" in changes:
        await _name_taken(uow, bay.site_id, changes["name"], bay.id)
    published = any(k in changes and changes[k] != getattr(bay, k) for k in ("name", "kind"))
    for key, value in changes.items():
        setattr(bay, key, sorted(set(value)) if key == "job_kinds" else value)
    bay.version += 1
    uow.session.add(bay)
    if published:
        await uow.publish(_bay_event(bay, when))
    return await bay_read(uow.session, bay)


async def set_bay_status(uow: UnitOfWork, actor: Actor, bay_id: str, body: BayStatusUpdate) -> BayRead:
    """Open, close or take a bay out of service (with reason and expected return); unchanged publishes nothing."""
    bay = await get_bay(uow.session, bay_id, actor.principal, lock=True)
    when = actor.when(body.occurred_at)
    if (bay.status, bay.reason, bay.expected_return) == (body.status.value, body.reason, body.expected_return):
        return await bay_read(uow.session, bay)
    check_after(when, bay.last_change_at, "the bay's last status change")
    bay.status, bay.reason, bay.expected_return = body.status.value, body.reason, body.expected_return
    bay.last_change_at = when
    bay.version += 1
    uow.session.add(bay)
    await uow.publish(_bay_event(bay, when))
    return await bay_read(uow.session, bay)


async def create_technician(uow: UnitOfWork, site_id: str, body: TechnicianCreate) -> TechnicianRead:
    """Add a technician (their id is the subject of their token)."""
    ident = body.id or new_id()
    if await uow.session.get(TechnicianRow, ident) is not None:
        raise Conflict(f"technician {ident!r} already exists", type_="/problems/duplicate")
    await _badge_taken(uow, site_id, body.badge, ident)
    tech = TechnicianRow(
        id=ident,
        site_id=site_id,
        name=body.name,
        skills=sorted(set(body.skills)),
        level=body.level.value,
        team=body.team,
        badge=body.badge,
        pin_hash=hash_pin(body.pin) if body.pin else None,
    )
    uow.session.add(tech)
    return technician_read(await technician_now(uow.session, tech))


async def _badge_taken(uow: UnitOfWork, site_id: str, badge: str | None, tech_id: str) -> None:
    if badge is None:
        return
    other = (
        await uow.session.exec(
            select(TechnicianRow).where(TechnicianRow.site_id == site_id, TechnicianRow.badge == badge)
        )
    ).first()
    if other is not None and other.id != tech_id:
        raise Conflict(f"badge {badge!r} belongs to technician {other.id!r}", type_="/problems/duplicate")


async def update_technician(uow: UnitOfWork, tech: TechnicianRow, body: TechnicianUpdate) -> TechnicianRead:
    """Change a technician's name, skills, level, team, badge, PIN or whether they are active."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    await _badge_taken(uow, tech.site_id, changes.get("badge"), tech.id)
    if changes.get("active") is False:
        now = await technician_now(uow.session, tech)
        if now.attendance is not None:
            raise IllegalTransition(
                f"technician {tech.name!r} is clocked in", state=now.state.value, allowed=["clock-out"]
            )
    for key, value in changes.items():
        if key == "pin":
            tech.pin_hash = hash_pin(value)
        else:
            setattr(tech, key, sorted(set(value)) if key == "skills" else value)
    tech.version += 1
    uow.session.add(tech)
    return technician_read(await technician_now(uow.session, tech))


async def _shift_end(uow: UnitOfWork, actor: Actor, site_id: str, clock_in: datetime) -> datetime:
    site = await uow.session.get(SiteRow, site_id)
    days = [
        OpeningDay(d["weekday"], time.fromisoformat(d["opens"]), time.fromisoformat(d["closes"]))
        for d in (site.opening_hours if site else [])
    ]
    return default_shift_end(
        clock_in, site.time_zone if site else None, days, timedelta(hours=actor.settings.default_shift_hours)
    )


def _refuse(tech: TechnicianRow, now: TechnicianNow, step: str) -> IllegalTransition:
    return IllegalTransition(
        f"technician {tech.name!r} is {now.state.value.replace('_', ' ')}: {step} is not allowed",
        state=now.state.value,
        allowed=ATTENDANCE_ALLOWED[now.state],
    )


async def clock_in(uow: UnitOfWork, actor: Actor, technician_id: str, body: ClockIn) -> TechnicianRead:
    """Start a shift."""
    tech = await acting_technician(uow.session, actor, technician_id)
    now = await technician_now(uow.session, tech)
    if now.attendance is not None:
        raise _refuse(tech, now, "clock-in")
    if not tech.active:
        raise IllegalTransition(f"technician {tech.name!r} is inactive", state="inactive", allowed=[])
    when = actor.when(body.occurred_at)
    check_after(when, tech.last_clock_at, "the technician's last clocking")
    shift_end = body.shift_end or await _shift_end(uow, actor, tech.site_id, when)
    if shift_end <= when:
        raise Invalid(f"shift_end {shift_end.isoformat()} is not after the clock-in at {when.isoformat()}")
    uow.session.add(
        AttendanceRow(
            id=new_id(),
            site_id=tech.site_id,
            technician_id=tech.id,
            start_at=when,
            recorded_start=when,
            shift_end=shift_end,
        )
    )
    tech.last_clock_at = when
    uow.session.add(tech)
    await uow.publish(
        TechnicianClockedIn(
            site_id=tech.site_id, occurred_at=when, technician_id=tech.id, name=tech.name, shift_end=shift_end
        )
    )
    await uow.session.flush()
    return technician_read(await technician_now(uow.session, tech))


async def clock_out(uow: UnitOfWork, actor: Actor, technician_id: str, body: ClockStep) -> TechnicianRead:
    """End the shift (ending a running break first); a job clock left running is not touched and gets flagged stale."""
    tech = await acting_technician(uow.session, actor, technician_id)
    now = await technician_now(uow.session, tech)
    if now.attendance is None:
        raise _refuse(tech, now, "clock-out")
    when = actor.when(body.occurred_at)
    check_after(when, tech.last_clock_at, "the technician's last clocking")
    if now.on_break is not None:
        now.on_break.end_at = when
        uow.session.add(now.on_break)
        await uow.publish(TechnicianBreakEnded(site_id=tech.site_id, occurred_at=when, technician_id=tech.id))
    now.attendance.end_at = when
    now.attendance.recorded_end = when
    uow.session.add(now.attendance)
    tech.last_clock_at = when
    uow.session.add(tech)
    await uow.publish(TechnicianClockedOut(site_id=tech.site_id, occurred_at=when, technician_id=tech.id))
    await uow.session.flush()
    return technician_read(await technician_now(uow.session, tech))


async def start_break(uow: UnitOfWork, actor: Actor, technician_id: str, body: ClockStep) -> TechnicianRead:
    """Start an attendance break; a running job clock stops first (job paused for break, or clocked off if others carry on)."""
    tech = await acting_technician(uow.session, actor, technician_id)
    now = await technician_now(uow.session, tech)
    if now.attendance is None or now.on_break is not None:
        raise _refuse(tech, now, "break-start")
    when = actor.when(body.occurred_at)
    check_after(when, tech.last_clock_at, "the technician's last clocking")
    if now.interval is not None:
        job = (await uow.session.exec(select(JobRow).where(JobRow.id == now.interval.job_id).with_for_update())).one()
        await leave_job_for_break(uow, job, now.interval, when)
    uow.session.add(
        BreakRow(
            id=new_id(), site_id=tech.site_id, technician_id=tech.id, attendance_id=now.attendance.id, start_at=when
        )
    )
    tech.last_clock_at = when
    uow.session.add(tech)
    await uow.publish(TechnicianBreakStarted(site_id=tech.site_id, occurred_at=when, technician_id=tech.id))
    await uow.session.flush()
    return technician_read(await technician_now(uow.session, tech))


async def end_break(uow: UnitOfWork, actor: Actor, technician_id: str, body: ClockStep) -> TechnicianRead:
    """End the running break (a job paused for it is resumed explicitly)."""
    tech = await acting_technician(uow.session, actor, technician_id)
    now = await technician_now(uow.session, tech)
    if now.on_break is None:
        raise _refuse(tech, now, "break-end")
    when = actor.when(body.occurred_at)
    check_after(when, tech.last_clock_at, "the technician's last clocking")
    now.on_break.end_at = when
    uow.session.add(now.on_break)
    tech.last_clock_at = when
    uow.session.add(tech)
    await uow.publish(TechnicianBreakEnded(site_id=tech.site_id, occurred_at=when, technician_id=tech.id))
    await uow.session.flush()
    return technician_read(await technician_now(uow.session, tech))

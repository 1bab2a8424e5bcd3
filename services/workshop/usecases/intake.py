"""Jobs from reception's events and parts news from the parts service; idempotent and tolerant of any arrival order."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from services.workshop.adapters.tables import JobRow, PartsRequestRow, RepairOrderRow, SiteRow
from services.workshop.domain.jobs import OPEN_WORK, JobStatus
from services.workshop.usecases.clocks import clock_off_one, open_intervals, touch
from shared.contracts import parts, reception
from shared.contracts.workshop import JobQueued, JobWithdrawn
from shared.uow import UnitOfWork

DECLINED, REMOVED, CANCELLED = "declined", "line_removed", "repair_order_cancelled"


class ForeignSite(Exception):
    """An id already known under another site: the event is not applied (ids are unique across sites)."""


async def _repair_order(uow: UnitOfWork, site_id: str, repair_order_id: str) -> RepairOrderRow:
    ro = await uow.session.get(RepairOrderRow, repair_order_id, with_for_update=True)
    if ro is None:
        ro = RepairOrderRow(id=repair_order_id, site_id=site_id)
        uow.session.add(ro)
    elif ro.site_id != site_id:
        raise ForeignSite(f"repair order {repair_order_id!r} belongs to site {ro.site_id!r}, not {site_id!r}")
    return ro


async def _job(uow: UnitOfWork, site_id: str, ro: RepairOrderRow, job_line_id: str) -> JobRow:
    job = await uow.session.get(JobRow, job_line_id, with_for_update=True)
    if job is None:
        job = JobRow(
            id=job_line_id,
            site_id=site_id,
            repair_order_id=ro.id,
            ro_number=ro.ro_number,
            status=JobStatus.PROPOSED.value,
        )
        uow.session.add(job)
    elif job.site_id != site_id or job.repair_order_id != ro.id:
        raise ForeignSite(
            f"job line {job_line_id!r} belongs to repair order {job.repair_order_id!r} of site {job.site_id!r}"
        )
    return job


def _take_line(job: JobRow, line: reception.JobLine) -> None:
    job.op_code, job.description, job.required_skill, job.sold_hours = (
        line.op_code,
        line.description,
        line.required_skill,
        line.sold_hours,
    )
    if job.required_skill:
        job.required_skill = job.required_skill.strip().lower()


async def on_site_configured(uow: UnitOfWork, event: reception.SiteConfigured) -> None:
    """Keep the site's time zone and opening hours (default shift ends); an older configuration never wins."""
    site = await uow.session.get(SiteRow, event.site_id, with_for_update=True)
    if site is not None and site.configured_at > event.occurred_at:
        return
    site = site or SiteRow(site_id=event.site_id, time_zone=event.time_zone, configured_at=event.occurred_at)
    site.time_zone, site.configured_at = event.time_zone, event.occurred_at
    site.opening_hours = [h.model_dump(mode="json") for h in event.opening_hours]
    uow.session.add(site)


async def on_repair_order_opened(uow: UnitOfWork, event: reception.RepairOrderOpened) -> None:
    """Know the RO and its lines (proposed until approved); fill in the RO number of jobs queued before it arrived."""
    ro = await _repair_order(uow, event.site_id, event.repair_order_id)
    ro.ro_number, ro.ro_type, ro.opened = event.ro_number, event.ro_type.value, True
    for line in event.job_lines:
        job = await _job(uow, event.site_id, ro, line.job_line_id)
        if job.status == JobStatus.PROPOSED.value and not job.line_removed:
            _take_line(job, line)
    for job in (
        await uow.session.exec(select(JobRow).where(JobRow.repair_order_id == ro.id, JobRow.ro_number == ""))
    ).all():
        job.ro_number = ro.ro_number
        uow.session.add(job)


async def on_line_added_or_changed(uow: UnitOfWork, event: reception.JobLineAdded | reception.JobLineChanged) -> None:
    """Take a line's latest description, skill and sold hours (a later completion, e.g. after rework, reports them)."""
    ro = await _repair_order(uow, event.site_id, event.repair_order_id)
    job = await _job(uow, event.site_id, ro, event.line.job_line_id)
    if not job.line_removed:
        _take_line(job, event.line)


async def on_line_approved(uow: UnitOfWork, event: reception.JobLineApproved) -> None:
    """An approved line becomes a job waiting for dispatch (JobQueued), unless removed, cancelled or declined later."""
    ro = await _repair_order(uow, event.site_id, event.repair_order_id)
    job = await _job(uow, event.site_id, ro, event.job_line_id)
    if job.line_removed or ro.cancelled_at is not None:
        return
    if job.decided_at is not None and job.decided_at > event.occurred_at:
        return  # a later decision (decline) already arrived
    requeue = job.status == JobStatus.WITHDRAWN.value and job.withdrawn_reason == DECLINED
    if job.status != JobStatus.PROPOSED.value and not requeue:
        return
    _take_line(job, event.line)
    job.status, job.approved_at, job.decided_at, job.withdrawn_reason = (
        JobStatus.QUEUED.value,
        event.occurred_at,
        event.occurred_at,
        "",
    )
    job.ro_number = ro.ro_number
    touch(uow.session, job, event.occurred_at)
    await uow.publish(
        JobQueued(
            site_id=event.site_id,
            occurred_at=event.occurred_at,
            job_id=job.id,
            repair_order_id=ro.id,
            ro_number=ro.ro_number,
            required_skill=job.required_skill,
            sold_hours=job.sold_hours,
            approved_at=event.occurred_at,
        )
    )


async def on_line_declined(uow: UnitOfWork, event: reception.JobLineDeclined) -> None:
    """A declined line leaves the queue (or never enters it); an earlier approval arriving later is ignored."""
    ro = await _repair_order(uow, event.site_id, event.repair_order_id)
    job = await _job(uow, event.site_id, ro, event.job_line_id)
    if job.decided_at is not None and job.decided_at > event.occurred_at:
        return
    job.decided_at = event.occurred_at
    await withdraw(uow, job, DECLINED, event.occurred_at)


async def on_line_removed(uow: UnitOfWork, event: reception.JobLineRemoved) -> None:
    """A removed line leaves the queue for good."""
    ro = await _repair_order(uow, event.site_id, event.repair_order_id)
    job = await _job(uow, event.site_id, ro, event.job_line_id)
    job.line_removed = True
    await withdraw(uow, job, REMOVED, event.occurred_at)


async def on_repair_order_cancelled(uow: UnitOfWork, event: reception.RepairOrderCancelled) -> None:
    """Every unfinished job of a cancelled RO leaves the floor."""
    ro = await _repair_order(uow, event.site_id, event.repair_order_id)
    if ro.cancelled_at is None:
        ro.cancelled_at = event.occurred_at
    for job in (await uow.session.exec(select(JobRow).where(JobRow.repair_order_id == ro.id).with_for_update())).all():
        await withdraw(uow, job, CANCELLED, event.occurred_at)


async def withdraw(uow: UnitOfWork, job: JobRow, reason: str, when: datetime) -> None:
    """Take a job off the floor: running clocks stop (JobClockedOff each), then JobWithdrawn; a proposed line goes quietly."""
    status = JobStatus(job.status)
    if status is JobStatus.PROPOSED:
        job.status, job.withdrawn_reason = JobStatus.WITHDRAWN.value, reason
        uow.session.add(job)
        return
    if status is JobStatus.WITHDRAWN and job.withdrawn_reason == DECLINED and reason != DECLINED:
        job.withdrawn_reason = reason  # removal or cancellation is final; a decline could be re-approved
        uow.session.add(job)
        return
    if status is not JobStatus.QUEUED and status not in OPEN_WORK:
        return
    for interval in await open_intervals(uow.session, job.id):
        await clock_off_one(uow, job, interval, max(when, interval.start_at), f"withdrawn:{reason}")
    job.status, job.withdrawn_reason = JobStatus.WITHDRAWN.value, reason
    job.pause_reason, job.pause_note, job.paused_at = None, "", None
    touch(uow.session, job, when)
    await uow.publish(
        JobWithdrawn(
            site_id=job.site_id, occurred_at=when, job_id=job.id, repair_order_id=job.repair_order_id, reason=reason
        )
    )


async def on_parts_request_received(uow: UnitOfWork, event: parts.PartsRequestReceived) -> None:
    """A request entered at the counter for one of our jobs shows on that job."""
    await _parts_request(
        uow,
        event.request_id,
        event.site_id,
        event.job_id,
        event.requested_at,
        [{"part_number": line.part_number, "quantity": str(line.quantity)} for line in event.lines],
    )


async def on_parts_issued(uow: UnitOfWork, event: parts.PartsIssued) -> None:
    """A request issued in full shows on its job (a job paused for parts can resume)."""
    request = await _parts_request(
        uow,
        event.request_id,
        event.site_id,
        event.job_id,
        event.occurred_at,
        [{"part_number": line.part_number, "quantity": str(line.quantity)} for line in event.lines],
    )
    if (
        request is not None
        and event.request_fully_issued
        and (request.issued_at is None or request.issued_at > event.occurred_at)
    ):
        request.issued_at = event.occurred_at
        uow.session.add(request)


async def on_parts_backordered(uow: UnitOfWork, event: parts.PartsBackordered) -> None:
    """A backordered request shows on its job with the expected date."""
    request = await _parts_request(
        uow,
        event.request_id,
        event.site_id,
        event.job_id,
        event.occurred_at,
        [{"part_number": event.part_number, "quantity": str(event.quantity)}],
    )
    if request is not None and request.issued_at is None:
        request.backordered, request.backordered_until = True, event.expected_at
        uow.session.add(request)


async def _parts_request(
    uow: UnitOfWork, request_id: str, site_id: str, job_id: str | None, when: datetime, lines: list[dict[str, str]]
) -> PartsRequestRow | None:
    request = await uow.session.get(PartsRequestRow, request_id, with_for_update=True)
    if request is not None:
        return request if request.site_id == site_id else None
    if job_id is None:
        return None
    job = await uow.session.get(JobRow, job_id)
    if job is None or job.site_id != site_id:
        return None
    request = PartsRequestRow(
        id=request_id,
        site_id=site_id,
        job_id=job.id,
        repair_order_id=job.repair_order_id,
        requested_by="parts counter",
        lines=lines,
        requested_at=when,
    )
    uow.session.add(request)
    return request

"""The workshop floor: the foreman dispatching by skill, technicians clocking on, pausing and completing, QC."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tools.simulator.api import Who
from tools.simulator.state import Bay, Job, Line, Ro, Tech

if TYPE_CHECKING:
    from tools.simulator.day import SiteDay

WORKSHOP = "workshop"
OVERTIME = timedelta(hours=1)  # a job still running this long after the shift is paused until tomorrow


class Floor:
    """Technicians, bays and the dispatch queue of one site."""

    def __init__(self, day: SiteDay) -> None:
        self.day = day
        self.techs = [Tech(plan) for plan in day.plan.technicians]
        self.bays: list[Bay] = []
        self.queue: list[Job] = []
        self.inspector_free = day.plan.start
        self.foreman = Who(day.plan.foreman, "foreman")
        self.inspector = Who(day.plan.inspector, "qc")
        self._waking = False
        self._again = False

    def who(self, tech: Tech) -> Who:
        """A technician acts with their own token."""
        return Who(tech.id, "technician")

    async def setup(self, at: datetime) -> None:
        """Bays and technicians, then each technician's shift and lunch break on the agenda."""
        api = self.day.api
        for profile in self.day.plan.bays:
            bay = await api.send(WORKSHOP, "POST", f"/sites/{api.site_id}/bays", self.foreman, at, "create bay",
                                 {"name": profile.name, "kind": profile.kind, "job_kinds": list(profile.job_kinds)})
            self.bays.append(Bay(profile, bay["id"]))
        for tech in self.techs:
            plan = tech.plan
            await api.send(WORKSHOP, "POST", f"/sites/{api.site_id}/technicians", self.foreman, at, "create technician",
                           {"id": plan.id, "name": plan.name, "skills": list(plan.skills), "level": plan.level}, timed=False)
            self.day.agenda.at(plan.clock_in, "clock in", lambda t=tech: self.clock_in(t))
            self.day.agenda.at(plan.break_at, "break", lambda t=tech: self.break_due(t))
            self.day.agenda.at(plan.shift_end, "shift end", self.wake)
            self.day.agenda.at(plan.shift_end + OVERTIME, "overtime over", lambda t=tech: self._go_home(t))

    # --- attendance -------------------------------------------------------------------------------------------

    async def clock_in(self, tech: Tech) -> None:
        now = self.day.agenda.now
        await self.day.api.send(WORKSHOP, "POST", f"/technicians/{tech.id}/clock-in", self.who(tech), now, "clock in",
                                {"shift_end": tech.plan.shift_end.isoformat()})
        tech.clocked_in = True
        await self.wake()

    async def break_due(self, tech: Tech) -> None:
        now = self.day.agenda.now
        if tech.reserved is not None or tech.helping is not None or not tech.clocked_in:
            tech.break_at = now + timedelta(minutes=5)
            self.day.agenda.at(tech.break_at, "break", lambda: self.break_due(tech))
            return
        job = tech.job
        await self.day.api.send(WORKSHOP, "POST", f"/technicians/{tech.id}/break-start", self.who(tech), now, "break start", {})
        tech.on_break = True
        if job is not None:  # the workshop pauses the job for the break
            self._stop_clock(job, now)
            job.status, job.pause = "paused", "break"
            tech.job = None
            job.resumable_at = now + timedelta(minutes=tech.plan.break_minutes)
        self.day.agenda.at(now + timedelta(minutes=tech.plan.break_minutes), "break end", lambda: self.break_end(tech))

    async def break_end(self, tech: Tech) -> None:
        now = self.day.agenda.now
        await self.day.api.send(WORKSHOP, "POST", f"/technicians/{tech.id}/break-end", self.who(tech), now, "break end", {})
        tech.on_break, tech.break_done = False, True
        await self.wake()

    async def _go_home(self, tech: Tech) -> None:
        """Overtime is over: a job still running waits for tomorrow."""
        if tech.clocked_out or not tech.clocked_in:
            return
        if tech.job is not None:
            await self._pause(tech.job, "other", "end of shift: continues tomorrow")
        await self._clock_out(tech)

    async def _clock_out(self, tech: Tech) -> None:
        now = self.day.agenda.now
        await self.day.api.send(WORKSHOP, "POST", f"/technicians/{tech.id}/clock-out", self.who(tech), now, "clock out", {})
        tech.clocked_out = True

    # --- who does what next -----------------------------------------------------------------------------------

    async def wake(self) -> None:
        """Give every free technician their next work: a job to resume, a rework, else the foreman dispatches."""
        if self._waking:  # a step inside a wake changed the floor: look again when it is done
            self._again = True
            return
        self._waking = True
        try:
            self._again = True
            while self._again:
                self._again = False
                await self._wake_once()
        finally:
            self._waking = False

    async def _wake_once(self) -> None:
        now = self.day.agenda.now
        for tech in self.techs:
            if not tech.free():
                continue
            if now >= tech.plan.shift_end:
                await self._clock_out(tech)
                continue
            job = self._resumable(tech, now)
            if job is not None:
                await self._resume(job)
                continue
            if tech.rework:
                await self._start_rework(tech, tech.rework[0])
        if now < self.day.plan.dispatch_cutoff:
            await self._dispatch_queue()

    def _resumable(self, tech: Tech, now: datetime) -> Job | None:
        ready = [j for j in self._jobs_of(tech)
                 if j.status == "paused" and j.waiting_parts == 0 and j.resumable_at is not None and j.resumable_at <= now]
        return min(ready, key=lambda j: (j.resumable_at, j.id)) if ready else None

    def _jobs_of(self, tech: Tech) -> list[Job]:
        return [bay.holder for bay in self.bays if bay.holder is not None and bay.holder.tech is tech]

    # --- dispatch ---------------------------------------------------------------------------------------------

    async def job_approved(self, line: Line, at: datetime) -> None:
        """An approved line joins the foreman's queue (the workshop queues it from reception's event)."""
        job = Job(line, at)
        line.job = job
        plan = line.plan
        if plan is not None:
            if plan.parts_at is not None:
                job.pending.append((plan.parts_at, "parts"))
            if plan.found_at is not None:
                job.pending.append((plan.found_at, "found"))
            if plan.helper_at is not None:
                job.pending.append((plan.helper_at, "helper"))
        self.queue.append(job)
        await self.wake()

    async def _dispatch_queue(self) -> None:
        for job in list(self.queue):
            techs = [t for t in self.techs if t.free() and (job.skill is None or job.skill in t.plan.skills)
                     and self.day.agenda.now < t.plan.shift_end]
            bays = [b for b in self.bays if b.holder is None and b.takes(job.skill)]
            if not techs or not bays:
                continue
            await self._dispatch(job)

    async def _candidates(self, job: Job) -> dict:
        api, now = self.day.api, self.day.agenda.now
        if not job.seen_queued:
            await api.wait("job queued", WORKSHOP, f"/jobs/{job.id}", self.foreman, now,
                           lambda j: j["status"] in ("queued", "dispatched"), ref={"job": job.id})
            job.seen_queued = True
        _, answer = await api.get(WORKSHOP, f"/jobs/{job.id}/candidates", self.foreman)
        return answer

    async def _dispatch(self, job: Job) -> None:
        """Ask the workshop for the ranked candidates, take the best free technician and bay (依专长依人修护)."""
        now = self.day.agenda.now
        ranked = await self._candidates(job)
        by_id = {t.id: t for t in self.techs}
        tech = next((by_id[c["technician_id"]] for c in ranked["technicians"]
                     if c["eligible"] and c["technician_id"] in by_id and by_id[c["technician_id"]].free()
                     and now < by_id[c["technician_id"]].plan.shift_end), None)
        bays = {b.id: b for b in self.bays}
        bay = next((bays[c["bay_id"]] for c in ranked["bays"] if c["eligible"] and bays[c["bay_id"]].holder is None), None)
        if tech is None or bay is None:
            return
        await self.day.api.send(WORKSHOP, "POST", f"/jobs/{job.id}/dispatch", self.foreman, now, "dispatch",
                                {"technician_id": tech.id, "bay_id": bay.id}, ref={"ro": job.ro.number, "candidates": ranked})
        self.queue.remove(job)
        job.status, job.tech, job.bay = "dispatched", tech, bay
        job.total = job.remaining = float(job.line.op.hours) * 3600 * tech.plan.speed * (job.line.plan.work_factor if job.line.plan else 1.0)
        tech.reserved, bay.holder = job, job
        walk = timedelta(seconds=self.day.rng.randint(90, 300))
        self.day.agenda.at(now + walk, "clock on", lambda: self._clock_on(job))

    async def _clock_on(self, job: Job) -> None:
        tech, now = job.tech, self.day.agenda.now
        assert tech is not None
        await self.day.api.send(WORKSHOP, "POST", f"/jobs/{job.id}/clock-on", self.who(tech), now, "clock on",
                                {"technician_id": tech.id}, ref={"ro": job.ro.number, "rework": job.rework})
        tech.reserved, tech.job = None, job
        job.status, job.since = "working", now
        self._plan_next(job)

    # --- the job clock ----------------------------------------------------------------------------------------

    def _stop_clock(self, job: Job, now: datetime) -> None:
        assert job.since is not None
        job.remaining -= (now - job.since).total_seconds()
        job.since = None
        job.generation += 1

    def _plan_next(self, job: Job) -> None:
        """Put the job's next step on the agenda: an interruption planned for this much work done, or completion."""
        job.generation += 1
        generation, now = job.generation, self.day.agenda.now
        done = job.total - job.remaining
        for share, kind in sorted(job.pending):
            point = share * job.total
            if point >= done:
                self.day.agenda.at(now + timedelta(seconds=round(point - done)), kind, lambda k=kind: self._step(job, generation, k))
                return
        self.day.agenda.at(now + timedelta(seconds=round(max(job.remaining, 60))), "complete",
                           lambda: self._step(job, generation, "complete"))

    async def _step(self, job: Job, generation: int, kind: str) -> None:
        if generation != job.generation or job.status != "working":
            return  # the clock stopped meanwhile (a break)
        now = self.day.agenda.now
        job.remaining -= (now - job.since).total_seconds()  # type: ignore[operator]
        job.since = now
        if kind == "complete":
            await self._complete(job)
            return
        job.pending = [p for p in job.pending if p[1] != kind]
        if kind == "parts":
            await self._ask_for_parts(job)
        elif kind == "found":
            await self._found_work(job)
        else:
            await self._call_helper(job)
            self._plan_next(job)

    async def _pause(self, job: Job, reason: str, note: str) -> None:
        tech, now = job.tech, self.day.agenda.now
        assert tech is not None
        await self.day.api.send(WORKSHOP, "POST", f"/jobs/{job.id}/pause", self.who(tech), now, "pause",
                                {"technician_id": tech.id, "reason": reason, "note": note}, ref={"ro": job.ro.number})
        self._stop_clock(job, now)
        job.status, job.pause, job.resumable_at = "paused", reason, None
        tech.job = None

    async def _resume(self, job: Job) -> None:
        tech, now = job.tech, self.day.agenda.now
        assert tech is not None
        await self.day.api.send(WORKSHOP, "POST", f"/jobs/{job.id}/resume", self.who(tech), now, "resume",
                                {"technician_id": tech.id}, ref={"ro": job.ro.number, "after": job.pause})
        tech.job = job
        job.status, job.since, job.pause, job.resumable_at = "working", now, None, None
        self._plan_next(job)

    async def _ask_for_parts(self, job: Job) -> None:
        tech, now = job.tech, self.day.agenda.now
        assert tech is not None
        lines = [{"part_number": number, "quantity": str(quantity)} for number, quantity in job.line.op.parts]
        request = await self.day.api.send(WORKSHOP, "POST", f"/jobs/{job.id}/parts-requests", self.who(tech), now, "request parts",
                                          {"technician_id": tech.id, "lines": lines}, ref={"ro": job.ro.number})
        job.waiting_parts += 1
        job.ro.requests.append(request["id"])
        await self._pause(job, "waiting_parts", "parts requested at the counter")
        self.day.counter.requested(job, request["id"])
        await self.wake()

    async def parts_ready(self, job: Job) -> None:
        """The counter brought a request's parts to the bay."""
        job.waiting_parts -= 1
        if job.waiting_parts == 0 and job.status == "paused" and job.pause == "waiting_parts":
            job.resumable_at = self.day.agenda.now
        await self.wake()

    async def _found_work(self, job: Job) -> None:
        plan = job.line.plan
        assert plan is not None and plan.found is not None
        await self._pause(job, "waiting_approval", f"found: {plan.found.description}")
        self.day.desk.found_work(job, plan.found, plan.found_declined, plan.found_delay)
        await self.wake()

    def answered(self, job: Job, at: datetime) -> None:
        """The customer answered on the work found: the technician may carry on."""
        job.resumable_at = at + timedelta(minutes=2)
        self.day.agenda.at(job.resumable_at, "resume", self.wake)

    async def _call_helper(self, job: Job) -> None:
        """A second technician helps for a while (their time shares the job's sold hours)."""
        plan, now = job.line.plan, self.day.agenda.now
        assert plan is not None and job.tech is not None
        leave = now + timedelta(minutes=plan.helper_minutes)
        if now + timedelta(seconds=job.remaining) < leave + timedelta(minutes=5) or not self._clear_of_breaks(job.tech, now, leave):
            return
        ranked = await self._candidates(job)
        by_id = {t.id: t for t in self.techs}
        helper = next((by_id[c["technician_id"]] for c in ranked["technicians"]
                       if c["eligible"] and c["technician_id"] in by_id and by_id[c["technician_id"]].free()
                       and by_id[c["technician_id"]] is not job.tech and self._clear_of_breaks(by_id[c["technician_id"]], now, leave)
                       and leave < by_id[c["technician_id"]].plan.shift_end), None)
        if helper is None:
            return
        await self.day.api.send(WORKSHOP, "POST", f"/jobs/{job.id}/clock-on", self.who(helper), now, "help on job",
                                {"technician_id": helper.id}, ref={"ro": job.ro.number})
        helper.helping = job
        self.day.agenda.at(leave, "helper leaves", lambda: self._helper_leaves(job, helper))

    def _clear_of_breaks(self, tech: Tech, start: datetime, end: datetime) -> bool:
        return tech.break_done or not (start - timedelta(minutes=tech.plan.break_minutes) <= tech.break_at <= end)

    async def _helper_leaves(self, job: Job, helper: Tech) -> None:
        await self.day.api.send(WORKSHOP, "POST", f"/jobs/{job.id}/clock-off", self.who(helper), self.day.agenda.now, "clock off",
                                {"technician_id": helper.id}, ref={"ro": job.ro.number})
        helper.helping = None
        await self.wake()

    async def _complete(self, job: Job) -> None:
        tech, now = job.tech, self.day.agenda.now
        assert tech is not None and job.bay is not None
        await self.day.api.send(WORKSHOP, "POST", f"/jobs/{job.id}/complete", self.who(tech), now, "complete",
                                {"technician_id": tech.id}, ref={"ro": job.ro.number, "rework": job.rework})
        job.status, job.since = "done", None
        job.generation += 1
        tech.job, job.bay.holder = None, None
        self.check_ro(job.ro)
        await self.wake()

    # --- QC and rework ----------------------------------------------------------------------------------------

    def check_ro(self, ro: Ro) -> None:
        """Once every approved job is done and no answer is awaited, the inspector takes the car."""
        jobs = ro.approved_jobs()
        if ro.qc_scheduled or ro.undecided() or not jobs or any(j.status != "done" for j in jobs):
            return
        if any(line.status == "approved" and line.job is None for line in ro.lines):
            return
        now = self.day.agenda.now
        plan = ro.visit.plan
        start = max(now + timedelta(minutes=3), self.inspector_free)
        result = start + timedelta(minutes=plan.qc_minutes[min(ro.qc_results, 1)])
        self.inspector_free = result
        ro.qc_scheduled = True
        self.day.agenda.at(result, "qc", lambda: self._qc(ro))

    async def _qc(self, ro: Ro) -> None:
        api, now = self.day.api, self.day.agenda.now
        approved = {j.id for j in ro.approved_jobs()}
        declined = {line.line_id for line in ro.lines if line.status == "declined"}

        def settled(page: dict) -> bool:
            status = {j["id"]: j["status"] for j in page["items"]}
            return (all(status.get(i) == "completed" for i in approved)
                    and all(status.get(i, "withdrawn") == "withdrawn" for i in declined))

        await api.wait("jobs of the RO done", WORKSHOP, f"/sites/{api.site_id}/jobs", self.inspector, now, settled,
                       params={"repair_order_id": ro.id, "limit": 100}, ref={"ro": ro.number})
        ro.qc_scheduled = False
        fail = ro.visit.plan.qc_fail and ro.qc_results == 0
        ro.qc_results += 1
        path = f"/sites/{api.site_id}/repair-orders/{ro.id}/qc"
        if not fail:
            await api.send(WORKSHOP, "POST", path, self.inspector, now, "qc pass", {"result": "pass"}, ref={"ro": ro.number})
            ro.passed_at = now
            self.day.desk.qc_passed(ro)
            return
        job = ro.approved_jobs()[0]
        await api.send(WORKSHOP, "POST", path, self.inspector, now, "qc fail",
                       {"result": "fail", "reason": "road test: the fault is still there", "job_ids": [job.id]}, ref={"ro": ro.number})
        job.status, job.rework = "dispatched", True
        job.total = job.remaining = ro.visit.plan.rework_minutes * 60.0
        assert job.tech is not None
        job.tech.rework.append(job)
        await self.wake()

    async def _start_rework(self, tech: Tech, job: Job) -> None:
        """The car goes back to its bay (or another free one) and the same technician clocks on again."""
        bay = job.bay
        if bay is None or bay.holder is not None:
            ranked = await self._candidates(job)
            bays = {b.id: b for b in self.bays}
            bay = next((bays[c["bay_id"]] for c in ranked["bays"] if c["eligible"] and bays[c["bay_id"]].holder is None), None)
            if bay is None:
                return
            await self.day.api.send(WORKSHOP, "POST", f"/jobs/{job.id}/dispatch", self.foreman, self.day.agenda.now, "dispatch",
                                    {"technician_id": tech.id, "bay_id": bay.id}, ref={"ro": job.ro.number, "rework": True})
        tech.rework.remove(job)
        job.bay, bay.holder = bay, job
        tech.reserved = job
        await self._clock_on(job)

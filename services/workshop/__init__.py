"""The workshop service: the floor the foreman, the technicians' bay terminals and the QC inspector use.

**Floor.** Bays have a kind (general, quick_service, alignment, diagnosis, body, paint, wash), the job kinds they take
(required skills, or `general` for jobs without one; empty takes any) and a status (open, closed, out of service with a
reason and expected return). Technicians have skills, a level, a team, a badge and a terminal PIN. Attendance is clock
in / clock out with breaks; a wrong clocking is corrected by the foreman with a reason (ClockingAdjusted): the interval
keeps its recorded times next to the corrected ones, and the correction is listed.

**Jobs** come from reception's events: a job is one job line (`job_id` = the reception `job_line_id`). An approved line is
queued for dispatch (JobQueued, `approved_at` = the approval's time); a declined or removed line, or a cancelled RO, takes
it off the floor (running clocks end with JobClockedOff, then JobWithdrawn). Handlers are idempotent and accept any order:
an approval arriving before its RO queues the job with the line it carries (`ro_number` "" until the RO arrives), a
decline newer than an approval wins, a removal or cancellation is final.

**Dispatch** assigns a technician and a bay, refused (409, every reason) when the technician lacks the skill or is not
clocked in, or the bay is closed, out of service or of the wrong kind. `/jobs/{id}/candidates` ranks technicians
(eligible, skill held, idle before busy, least open sold hours) and bays (eligible, free, least assigned).

**Job clock.** States: queued → dispatched → in_progress ⇄ paused → completed (→ dispatched again on a QC fail), or
withdrawn. One technician is on one job at a time: **clocking on (or resuming) while clocked on another job is refused**
(409 naming that job, `allowed`: pause, clock-off, complete); the first job is never stopped implicitly, so every clocked
interval ends with its own event: JobPaused (one per technician clocked on), JobClockedOff (one technician leaves, others
carry on), JobCompleted (stops every clock on the job), or ClockingAdjusted. A bay holds one job at a time (clocked on or
paused there). A break-start stops the technician's job clock (JobPaused reason `break`, or JobClockedOff when others carry
on); clock-out leaves a running job clock alone, and it is flagged stale. Clocked hours come only from these events.

**Identity.** A technician may only clock themselves: their token's subject is their technician id, or a shared bay
terminal's token (role technician) sends the technician's PIN in `X-Technician-Pin`. The foreman dispatches and corrects
(and may clock for anyone), the qc role records QC, a manager may do everything; all scoped to the token's sites.

**Parts and QC.** A parts request publishes PartsRequested; PartsIssued with `request_fully_issued` marks it issued on the
job (the board shows a job paused for parts whose parts are in). QC per RO once every job is completed: pass, or fail with
a reason naming the jobs to rework (same technician and bay by default).

**Stale clocks.** A background check (every `stale_check_seconds`) flags, once per condition, a job clock running past
the technician's clock-out, a job clocked far past its sold hours (× `stale_sold_hours_factor` + grace), and a technician
clocked in past shift end + grace: StaleClockFlagged and the board; the flag clears when the clock is fixed.
"""

"""Input rules: roles and sites, unknown things, illegal steps, bad times — each a problem+json, nothing saved or published."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.workshop.app import create_app
from services.workshop.handlers import HANDLERS
from shared.contracts.base import Event
from shared.outbox import utcnow
from tests.kit import auth, new_site, running
from tests.workshop.floor import Ids, Site, approved, line, ro_opened, settings


class Floor(Site):
    """A site with bays B1 (general) and B2 (alignment), technicians li (engine) and wang (chassis), and approved jobs."""

    ids: Ids
    b1: str
    b2: str

    async def receive(self, *events: Event) -> None:
        """Apply reception events through the service's own handlers (this suite runs without Kafka)."""
        runtime = self.client._transport.app.state.runtime  # type: ignore[attr-defined]
        for event in events:
            async with runtime.unit_of_work() as uow:
                await HANDLERS[type(event)](uow, event)
                await uow.commit()

    async def published(self) -> list[str]:
        """The types in the outbox, oldest first (what the relay would publish)."""
        runtime = self.client._transport.app.state.runtime  # type: ignore[attr-defined]
        table = runtime.infra.outbox
        async with runtime.engine.connect() as connection:
            return [t.rsplit(".", 2)[-2] for t in (await connection.execute(select(table.c.type).order_by(table.c.id))).scalars()]

    async def outbox_size(self) -> int:
        runtime = self.client._transport.app.state.runtime  # type: ignore[attr-defined]
        async with runtime.engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(runtime.infra.outbox))).scalar_one())


@pytest.fixture
async def floor(tmp_path: Path) -> AsyncIterator[Floor]:
    app = create_app(settings(f"sqlite+aiosqlite:///{tmp_path}/w.db", "127.0.0.1:1", run_relay=False, run_consumer=False,
                              stale_check_seconds=3600))
    async with running(app) as client:
        site = Floor(client, new_site())
        site.ids = Ids(site.id)
        t0 = utcnow() - timedelta(hours=2)
        site.b1 = await site.bay("B1", "general", occurred_at=t0)
        site.b2 = await site.bay("B2", "alignment", ["chassis"], occurred_at=t0)
        await site.technician("li", "Li Wei", ["engine"], pin="4711")
        await site.technician("wang", "Wang Fang", ["chassis", "engine"])
        lines = [line(site.ids[n], "engine", "1.0", n) for n in ("J1", "J2", "J3")]
        await site.receive(ro_opened(site.id, site.ids["ro"], "RO-1", lines, t0),
                           *(approved(site.id, site.ids["ro"], job_line, t0) for job_line in lines))
        yield site


async def _nothing_saved(floor: Floor, calls: list[tuple[str, str, dict[str, str], dict[str, Any] | None, int]]) -> list[dict[str, Any]]:
    before = await floor.outbox_size()
    answers = [await floor.call(method, path, headers, body, status) for method, path, headers, body, status in calls]
    assert await floor.outbox_size() == before
    return answers


async def test_roles_sites_and_unknown_things(floor: Floor) -> None:
    ids, other = floor.ids, new_site()
    answers = await _nothing_saved(floor, [
        ("POST", f"/sites/{floor.id}/bays", {}, {"name": "B9", "kind": "general"}, 401),
        ("POST", f"/sites/{floor.id}/bays", floor.tech("li"), {"name": "B9", "kind": "general"}, 403),
        ("POST", f"/sites/{floor.id}/bays", auth(["foreman"], [other]), {"name": "B9", "kind": "general"}, 403),
        ("POST", f"/jobs/{ids['J1']}/dispatch", floor.tech("li"), {"technician_id": "li", "bay_id": floor.b1}, 403),
        ("POST", f"/sites/{floor.id}/repair-orders/{ids['ro']}/qc", floor.foreman, {"result": "pass"}, 403),
        ("GET", f"/jobs/{ids['J1']}", auth(["manager"], [other]), None, 404),
        ("POST", f"/jobs/{ids['J1']}/dispatch", auth(["foreman"], [other]), {"technician_id": "li", "bay_id": floor.b1}, 404),
        ("POST", "/jobs/no-such-job/clock-on", floor.tech("li"), {}, 404),
        ("POST", f"/jobs/{ids['J1']}/dispatch", floor.foreman, {"technician_id": "nobody", "bay_id": floor.b1}, 404),
        ("POST", f"/jobs/{ids['J1']}/dispatch", floor.foreman, {"technician_id": "li", "bay_id": "no-bay"}, 404),
        ("POST", "/bays/no-bay/status", floor.foreman, {"status": "closed"}, 404),
        ("POST", "/technicians/nobody/clock-in", floor.foreman, {}, 404),
        ("POST", f"/sites/{floor.id}/repair-orders/unknown-ro/qc", floor.inspector, {"result": "pass"}, 404),
        ("POST", f"/sites/{floor.id}/clocking-adjustments", floor.foreman,
         {"interval_id": "nope", "corrected_start": utcnow().isoformat(), "reason": "typo"}, 404),
        # A technician clocks only themselves: wang's token for li, or a wrong PIN at a terminal.
        ("POST", "/technicians/li/clock-in", floor.tech("wang"), {}, 403),
        ("POST", "/technicians/li/clock-in", {**auth(["technician"], [floor.id], "terminal-3"), "X-Technician-Pin": "0000"}, {}, 403),
    ])
    assert answers[1]["detail"] == "this action needs one of the roles: foreman, manager"
    assert answers[7]["detail"] == "job 'no-such-job' does not exist"
    assert "only clock themselves" in answers[14]["detail"] and answers[15]["detail"] == "the PIN does not match this technician"
    # The terminal with the right PIN clocks Li in.
    terminal = {**auth(["technician"], [floor.id], "terminal-3"), "X-Technician-Pin": "4711"}
    assert (await floor.post("/technicians/li/clock-in", terminal))["state"] == "idle"
    assert await floor.published() == ["status_changed", "status_changed", "queued", "queued", "queued", "clocked_in"]


async def test_bad_input_is_422_naming_the_problem(floor: Floor) -> None:
    future, ancient = (utcnow() + timedelta(minutes=10)).isoformat(), (utcnow() - timedelta(days=5)).isoformat()
    answers = await _nothing_saved(floor, [
        ("POST", f"/sites/{floor.id}/bays", floor.foreman, {"name": "B9", "kind": "general", "status": "out_of_service"}, 422),
        ("POST", f"/sites/{floor.id}/bays", floor.foreman, {"name": "B9", "kind": "garage"}, 422),
        ("POST", f"/sites/{floor.id}/bays", floor.foreman, {"name": "B9", "kind": "general", "colour": "red"}, 422),
        ("POST", f"/sites/{floor.id}/bays", floor.foreman, {"name": "B1", "kind": "general"}, 409),
        ("POST", f"/sites/{floor.id}/technicians", floor.foreman, {"id": "li", "name": "Other Li"}, 409),
        ("POST", f"/sites/{floor.id}/technicians", floor.foreman, {"name": "Zhou", "pin": "12"}, 422),
        ("POST", "/technicians/li/clock-in", floor.tech("li"), {"occurred_at": future}, 422),
        ("POST", "/technicians/li/clock-in", floor.tech("li"), {"occurred_at": ancient}, 422),
        ("POST", "/technicians/li/clock-in", floor.tech("li"), {"occurred_at": "2026-01-01T08:00:00"}, 422),
        ("POST", f"/jobs/{floor.ids['J1']}/pause", floor.tech("li"), {"reason": "coffee"}, 422),
        ("POST", f"/jobs/{floor.ids['J1']}/parts-requests", floor.tech("li"), {"lines": []}, 422),
        ("POST", f"/jobs/{floor.ids['J1']}/parts-requests", floor.tech("li"), {"lines": [{"part_number": "P", "quantity": "0"}]}, 422),
        ("POST", f"/sites/{floor.id}/repair-orders/{floor.ids['ro']}/qc", floor.inspector, {"result": "fail", "reason": "x"}, 422),
    ])
    assert answers[0]["detail"].endswith("a bay out of service needs a reason")
    assert answers[2]["errors"][0]["loc"] == ["body", "colour"]
    assert answers[6]["detail"] == "occurred_at is in the future"
    assert "a manager must correct it" in answers[7]["detail"]
    assert answers[12]["detail"].endswith("a QC fail names the jobs to rework (job_ids)")
    # A manager may backdate beyond the limit.
    await floor.post("/technicians/li/clock-in", floor.manager, {"occurred_at": ancient})


async def test_illegal_steps_are_409_with_state_and_allowed_steps(floor: Floor) -> None:
    ids, li, wang = floor.ids, floor.tech("li"), floor.tech("wang")
    await floor.post("/technicians/li/clock-in", li)
    await floor.post("/technicians/wang/clock-in", wang)
    await floor.post(f"/jobs/{ids['J1']}/dispatch", floor.foreman, {"technician_id": "li", "bay_id": floor.b1})
    await floor.post(f"/jobs/{ids['J2']}/dispatch", floor.foreman, {"technician_id": "wang", "bay_id": floor.b1})
    await floor.post(f"/jobs/{ids['J1']}/clock-on", li)
    answers = await _nothing_saved(floor, [
        ("POST", "/technicians/li/clock-in", li, {}, 409),
        ("POST", "/technicians/li/break-end", li, {}, 409),
        ("POST", f"/jobs/{ids['J3']}/complete", li, {}, 409),  # queued: never started
        ("POST", f"/jobs/{ids['J1']}/resume", li, {}, 409),
        ("POST", f"/jobs/{ids['J1']}/clock-off", li, {}, 409),  # the last one on it
        ("POST", f"/jobs/{ids['J1']}/dispatch", floor.foreman, {"technician_id": "wang", "bay_id": floor.b1}, 409),
        ("POST", f"/jobs/{ids['J2']}/clock-on", wang, {}, 409),  # B1 holds J1
        ("POST", f"/jobs/{ids['J2']}/clock-on", li, {}, 409),  # dispatched to wang
        ("POST", f"/jobs/{ids['J1']}/pause", wang, {"reason": "other"}, 409),  # wang is not on J1
        ("POST", f"/jobs/{ids['J1']}/pause", li, {"reason": "other", "occurred_at": (utcnow() - timedelta(hours=1)).isoformat()}, 422),
    ])
    assert (answers[0]["state"], answers[0]["allowed"]) == ("on_job", ["clock-out", "break-start"])
    assert (answers[2]["state"], answers[2]["allowed"]) == ("queued", ["dispatch", "parts-request"])
    assert answers[2]["type"] == "/problems/illegal-transition"
    assert answers[4]["allowed"] == ["pause", "complete"]
    assert answers[5]["state"] == "in_progress"
    assert (answers[6]["state"], answers[6]["job_id"]) == ("bay_occupied", ids["J1"])
    assert "before the job's last step" in answers[9]["detail"]


async def test_teamwork_break_reassign_and_idempotent_retry(floor: Floor) -> None:
    ids, li, wang = floor.ids, floor.tech("li"), floor.tech("wang")
    key = {"Idempotency-Key": "clock-in-li-1"}
    first = await floor.client.post("/technicians/li/clock-in", json={}, headers={**li, **key})
    again = await floor.client.post("/technicians/li/clock-in", json={}, headers={**li, **key})
    assert first.status_code == again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    await floor.post("/technicians/wang/clock-in", wang)
    await floor.post(f"/jobs/{ids['J1']}/dispatch", floor.foreman, {"technician_id": "li", "bay_id": floor.b1})
    await floor.post(f"/jobs/{ids['J1']}/clock-on", li)
    joined = await floor.post(f"/jobs/{ids['J1']}/clock-on", wang)  # a helper joins
    assert joined["clocked_on"] == ["li", "wang"]
    await floor.post(f"/jobs/{ids['J1']}/clock-off", wang)
    await floor.post(f"/jobs/{ids['J1']}/clock-on", wang)
    await floor.post("/technicians/li/break-start", li)  # wang carries on: li clocks off
    assert (await floor.get(f"/jobs/{ids['J1']}"))["clocked_on"] == ["wang"]
    await floor.post(f"/jobs/{ids['J1']}/pause", wang, {"reason": "waiting_approval"})
    b3 = await floor.bay("B3", "general")
    refused = await floor.post(f"/jobs/{ids['J1']}/dispatch", floor.foreman, {"technician_id": "wang", "bay_id": floor.b2}, 409)
    assert [r["code"] for r in refused["reasons"]] == ["wrong_bay_kind"]
    moved = await floor.post(f"/jobs/{ids['J1']}/dispatch", floor.foreman, {"technician_id": "wang", "bay_id": b3})
    assert (moved["status"], moved["bay_id"]) == ("paused", b3)
    assert (await floor.get(f"/bays/{floor.b1}"))["job_id"] is None
    await floor.post(f"/jobs/{ids['J1']}/resume", wang)
    done = await floor.post(f"/jobs/{ids['J1']}/complete", wang)
    assert done["status"] == "completed" and done["clocked_on"] == []
    assert await floor.published() == [
        "status_changed", "status_changed", "queued", "queued", "queued",
        "clocked_in", "clocked_in", "dispatched", "clocked_on", "clocked_on", "clocked_off", "clocked_on",
        "clocked_off", "break_started", "paused", "status_changed", "dispatched", "resumed", "completed",
    ]


async def test_updates_honour_if_match_and_unchanged_status_publishes_nothing(floor: Floor) -> None:
    read = await floor.client.get(f"/bays/{floor.b1}", headers=floor.foreman)
    tag = read.headers["etag"]
    stale = await floor.client.patch(f"/bays/{floor.b1}", json={"name": "Lift 1"}, headers={**floor.foreman, "If-Match": '"bay-x-0"'})
    assert stale.status_code == 412 and stale.headers["content-type"] == "application/problem+json"
    renamed = await floor.client.patch(f"/bays/{floor.b1}", json={"name": "Lift 1", "job_kinds": ["engine", "general"]},
                                       headers={**floor.foreman, "If-Match": tag})
    assert renamed.status_code == 200 and renamed.headers["etag"] != tag
    assert (renamed.json()["name"], renamed.json()["job_kinds"]) == ("Lift 1", ["engine", "general"])
    before = await floor.outbox_size()
    await floor.post(f"/bays/{floor.b1}/status", floor.foreman, {"status": "open"})  # already open
    assert await floor.outbox_size() == before
    closed = await floor.post(f"/bays/{floor.b1}/status", floor.foreman, {"status": "closed"})
    assert closed["status"] == "closed"
    await floor.post(f"/bays/{floor.b1}/status", floor.foreman, {"status": "closed", "expected_return": utcnow().isoformat()}, 422)
    assert (await floor.published())[-2:] == ["status_changed", "status_changed"]  # renamed, closed

    await floor.post("/technicians/li/clock-in", floor.tech("li"))
    refused = await floor.call("PATCH", "/technicians/li", floor.foreman, {"active": False}, 409)
    assert refused["allowed"] == ["clock-out"]
    updated = await floor.call("PATCH", "/technicians/li", floor.foreman, {"skills": ["Engine", "diagnosis"], "level": "master"})
    assert (updated["skills"], updated["level"], updated["state"]) == (["diagnosis", "engine"], "master", "idle")
    listed = await floor.get(f"/sites/{floor.id}/technicians?limit=1")
    assert (listed["total"], [t["id"] for t in listed["items"]]) == (2, ["li"])

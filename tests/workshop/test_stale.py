"""Stale clocks: each forgotten clock is flagged once, on the board and on Kafka, and clears when fixed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from services.workshop.app import create_app
from shared.contracts import workshop
from shared.outbox import utcnow
from tests.kit import EventTap, eventually, new_site, publish, running
from tests.workshop.floor import Ids, Site, approved, line, ro_opened, settings, summary


async def test_each_stale_clock_is_flagged_once_and_cleared_when_fixed(tmp_path: Path, kafka: str) -> None:
    site_id = new_site()
    ids = Ids(site_id)
    now = utcnow().replace(microsecond=0)

    def ago(hours: float) -> str:
        return (now - timedelta(hours=hours)).isoformat()

    app = create_app(settings(f"sqlite+aiosqlite:///{tmp_path}/w.db", kafka, stale_check_seconds=0.1,
                              stale_job_grace_minutes=30, shift_overrun_grace_minutes=15))
    async with running(app) as client, EventTap(kafka, [workshop.TOPIC], [site_id]) as tap:
        site = Site(client, site_id)
        quick, bumper = line(ids["quick"], None, "0.5", "oil change"), line(ids["bumper"], None, "3.0", "bumper")
        await publish(kafka, ro_opened(site_id, ids["ro"], "RO-7", [quick, bumper], now - timedelta(hours=5)),
                      approved(site_id, ids["ro"], quick, now - timedelta(hours=5)),
                      approved(site_id, ids["ro"], bumper, now - timedelta(hours=5)))
        await tap.wait_for(workshop.JobQueued, 2)
        b1 = await site.bay("B1", "quick_service", occurred_at=now - timedelta(hours=6))
        b2 = await site.bay("B2", "body", occurred_at=now - timedelta(hours=6))
        for ident in ("li", "wang", "zhou", "qian"):
            await site.technician(ident, ident.title(), [])

        # Li's shift ended an hour ago and he is still clocked in.
        await site.post("/technicians/li/clock-in", site.foreman, {"occurred_at": ago(10), "shift_end": ago(1)})
        # Wang has been on a half-hour job for three hours (limit: 0.5 h × 2 + 30 min = 1.5 h).
        await site.post("/technicians/wang/clock-in", site.foreman, {"occurred_at": ago(4)})
        await site.post(f"/jobs/{ids['quick']}/dispatch", site.foreman, {"technician_id": "wang", "bay_id": b1, "occurred_at": ago(3.5)})
        await site.post(f"/jobs/{ids['quick']}/clock-on", site.foreman, {"technician_id": "wang", "occurred_at": ago(3)})
        await tap.wait_for(workshop.StaleClockFlagged, 2)
        flags = {f.data["kind"]: f.data for f in tap.of(workshop.StaleClockFlagged)}
        assert flags["shift_overrun"]["technician_id"] == "li" and flags["shift_overrun"]["since"] == _z(ago(1))
        assert flags["job_over_sold_hours"]["job_id"] == ids["quick"]
        assert flags["job_over_sold_hours"]["since"] == _z(ago(1.5))
        board = await site.get(f"/sites/{site_id}/board")
        assert sorted((f["technician_id"], f["kind"]) for f in board["stale_clocks"]) == [
            ("li", "shift_overrun"), ("wang", "job_over_sold_hours")]
        assert {t["technician_id"]: t["stale"] for t in board["technicians"]} == {"li": True, "qian": False, "wang": True, "zhou": False}
        b1_job = next(b for b in board["bays"] if b["name"] == "B1")["job"]
        assert b1_job["clocked_seconds"] >= 3 * 3600 and b1_job["sold_seconds"] == 1800

        # Both are fixed: the flags clear. Resuming the overrun job brings the same condition back: shown, not published again.
        await site.post(f"/jobs/{ids['quick']}/pause", site.foreman, {"reason": "other"})
        await site.post("/technicians/li/clock-out", site.foreman)

        async def standing() -> list[str]:
            return sorted(f["kind"] for f in await site.get(f"/sites/{site_id}/stale-clocks"))

        assert await eventually(lambda: _is(standing(), []))
        await site.post(f"/jobs/{ids['quick']}/resume", site.foreman, {"technician_id": "wang"})

        # Zhou clocks out leaving the bumper job running: flagged (the marker: every earlier check ran before it).
        await site.post("/technicians/zhou/clock-in", site.foreman, {"occurred_at": ago(2)})
        await site.post(f"/jobs/{ids['bumper']}/dispatch", site.foreman, {"technician_id": "zhou", "bay_id": b2, "occurred_at": ago(2)})
        await site.post(f"/jobs/{ids['bumper']}/clock-on", site.foreman, {"technician_id": "zhou", "occurred_at": ago(1.9)})
        await site.post("/technicians/zhou/clock-out", site.foreman, {"occurred_at": ago(0.5)})
        await tap.wait_for(workshop.StaleClockFlagged, 3)
        assert await eventually(lambda: _is(standing(), ["job_over_sold_hours", "job_past_clock_out"]))
        flagged = [s for s in summary(tap.events, ids.aliases()) if s[0] == "StaleClockFlagged"]
        assert sorted(flagged) == sorted([
            ("StaleClockFlagged", "li", None, "shift_overrun"),
            ("StaleClockFlagged", "wang", "quick", "job_over_sold_hours"),
            ("StaleClockFlagged", "zhou", "bumper", "job_past_clock_out"),
        ])
        assert tap.of(workshop.StaleClockFlagged)[-1].data["since"] == _z(ago(0.5))


def _z(value: str) -> str:
    return value.replace("+00:00", "Z")


async def _is(awaitable: object, expected: object) -> bool:
    return await awaitable == expected  # type: ignore[misc]

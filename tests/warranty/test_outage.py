"""The OEM down (500s, then hanging, then answering too late) and the reception restarted meanwhile: every claim
waits in the durable queue and is taken in exactly once when the OEM is back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.kit import eventually, new_site
from tests.reception.helpers import Desk
from tests.warranty.support import Stack, claim_status, claims_of, clerk, ok, stack, warranty_ro
from tests.warranty.test_lifecycle import complete


async def attempts_at_least(s: Stack, site: str, claim_id: str, n: int, error: str) -> dict[str, Any] | None:
    claim = await ok(s.dealer, "GET", f"/warranty/claims/{claim_id}", headers=clerk(site))
    queue = claim["submission_status"]
    return claim if queue["attempts"] >= n and error in (queue["last_error"] or "") else None


async def test_claims_wait_out_an_oem_outage_and_a_restart_and_are_submitted_once_each(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with stack(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", kafka) as s:
        desk = Desk(s.dealer, site)
        await desk.configure()
        claims = []
        for _ in range(2):
            done = await warranty_ro(desk, kafka)
            [claim] = await claims_of(s.dealer, site, done.ro["id"])
            claims.append(await complete(s, site, claim))

        await s.fault("error_500")
        for claim in claims:
            await ok(s.dealer, "POST", f"/warranty/claims/{claim['id']}/submit", 202, json={}, headers=clerk(site))
        for claim in claims:
            waiting = await eventually(lambda c=claim: attempts_at_least(s, site, c["id"], 2, "HTTP 500"), timeout=20)
            assert waiting["status"] == "validated" and waiting["submission_status"]["pending"] is True
            assert waiting["submission_status"]["next_attempt_at"] is not None

        await s.restart_reception()  # the queue is in the database: nothing is lost
        await s.fault("timeout", delay_seconds=3)
        for claim in claims:
            await eventually(lambda c=claim: attempts_at_least(s, site, c["id"], 3, "timeout"), timeout=20)
        # the OEM takes the next claim in but answers after our timeout: its webhook says so first, and no retry follows
        await s.fault("slow", delay_seconds=2, requests=1)

        for claim in claims:
            paid = await eventually(lambda c=claim: claim_status(s.dealer, site, c["id"], "paid"), timeout=40)
            assert paid["submission"] == 1 and paid["submission_status"]["outcome"] == "taken_in"
        report = await s.received()
        assert report["accepted_submissions"] == {claims[0]["id"]: 1, claims[1]["id"]: 1}
        outcomes = {r["outcome"] for r in report["requests"] if r["kind"] == "claim_submission"}
        assert {"fault_error_500", "fault_timeout", "accepted"} <= outcomes


async def test_without_webhooks_the_status_is_polled(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    async with stack(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", kafka, webhooks_on=False,
                     warranty_status_poll_after_seconds=0.3) as s:
        desk = Desk(s.dealer, site)
        await desk.configure()
        done = await warranty_ro(desk, kafka)
        [claim] = await claims_of(s.dealer, site, done.ro["id"])
        await complete(s, site, claim)
        await ok(s.dealer, "POST", f"/warranty/claims/{claim['id']}/submit", 202, json={}, headers=clerk(site))
        paid = await eventually(lambda: claim_status(s.dealer, site, claim["id"], "paid"), timeout=30)
        assert (paid["approved_amount"], paid["paid_amount"]) == ("630.00", "630.00")
        polls = [r for r in (await s.received())["requests"] if r["kind"] == "claim_status"]
        assert polls and all(r["claim_id"] == claim["id"] and r["outcome"] == "ok" for r in polls)

"""Fault injection: an OEM answering 500s, hanging, or answering after the work was done."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.oem_simulator.support import ADMIN, OEM, PLAIN_VIN, claim, received, simulator, submit
from tools.oem_simulator.settings import OemSimulatorSettings


async def test_error_500_mode_fails_claims_and_recalls_until_healed() -> None:
    async with simulator() as oem:
        assert (await oem.post("/admin/faults", json={"mode": "error_500"}, headers=ADMIN)).status_code == 200
        failed = await submit(oem, claim("F-1"))
        assert failed.status_code == 500
        assert failed.headers["content-type"] == "application/problem+json"
        assert failed.json()["type"] == "/problems/simulated-fault"
        assert (await oem.get("/recalls", params={"vin": PLAIN_VIN}, headers=OEM)).status_code == 500
        assert (await oem.get("/claims/F-1", headers=OEM)).status_code == 500

        healed = await oem.post("/admin/faults", json={"mode": "none"}, headers=ADMIN)
        assert healed.json() == {"mode": "none", "delay_seconds": 30.0, "requests": None}
        assert (await submit(oem, claim("F-1"))).status_code == 202
        report = await received(oem)
        assert [(r["kind"], r["outcome"]) for r in report["requests"]] == [
            ("claim_submission", "fault_error_500"), ("recall_lookup", "fault_error_500"),
            ("claim_status", "fault_error_500"), ("claim_submission", "accepted"),
        ]
        assert report["requests"][0]["claim_id"] == "F-1"
        assert report["accepted_submissions"] == {"F-1": 1}


async def test_a_fault_for_a_number_of_requests_heals_by_itself() -> None:
    async with simulator() as oem:
        await oem.post("/admin/faults", json={"mode": "error_500", "requests": 2}, headers=ADMIN)
        statuses = [(await submit(oem, claim("F-2"))).status_code for _ in range(3)]
        assert statuses == [500, 500, 202]
        assert (await oem.get("/admin/faults", headers=ADMIN)).json()["mode"] == "none"
        assert (await received(oem))["accepted_submissions"] == {"F-2": 1}


async def test_timeout_mode_hangs_processes_nothing_then_answers_504() -> None:
    async with simulator() as oem:
        await oem.post("/admin/faults", json={"mode": "timeout", "delay_seconds": 5}, headers=ADMIN)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(submit(oem, claim("F-3")), timeout=0.2)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(oem.get("/recalls", params={"vin": PLAIN_VIN}, headers=OEM), timeout=0.2)

        await oem.post("/admin/faults", json={"mode": "timeout", "delay_seconds": 0.2}, headers=ADMIN)
        started = time.monotonic()
        late = await submit(oem, claim("F-3"))
        assert time.monotonic() - started >= 0.2
        assert late.status_code == 504
        assert late.json()["detail"] == "simulated OEM timeout; nothing was processed"

        await oem.post("/admin/faults", json={"mode": "none"}, headers=ADMIN)
        assert (await oem.get("/claims/F-3", headers=OEM)).status_code == 404
        assert (await submit(oem, claim("F-3"))).status_code == 202
        report = await received(oem)
        assert [r["outcome"] for r in report["requests"] if r["kind"] == "claim_submission"] == [
            "fault_timeout", "fault_timeout", "accepted",
        ]
        assert report["accepted_submissions"] == {"F-3": 1}


async def test_slow_mode_takes_the_claim_in_so_a_retry_is_a_replay() -> None:
    async with simulator() as oem:
        await oem.post("/admin/faults", json={"mode": "slow", "delay_seconds": 5}, headers=ADMIN)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(submit(oem, claim("F-4")), timeout=0.2)
        await oem.post("/admin/faults", json={"mode": "none"}, headers=ADMIN)
        retry = await submit(oem, claim("F-4"))
        assert retry.status_code == 202
        assert retry.headers["idempotent-replayed"] == "true"
        assert (await received(oem))["accepted_submissions"] == {"F-4": 1}


async def test_faults_need_the_admin_key_and_a_known_mode() -> None:
    async with simulator() as oem:
        assert (await oem.post("/admin/faults", json={"mode": "error_500"}, headers=OEM)).status_code == 401
        bad = await oem.post("/admin/faults", json={"mode": "flaky"}, headers=ADMIN)
        assert bad.status_code == 422
        assert bad.json()["reasons"][0]["field"] == "mode"
        assert (await submit(oem, claim("F-5"))).status_code == 202


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITWALL_OEM_SIM_WEBHOOK_URL", "http://127.0.0.1:8001/oem/webhooks")
    monkeypatch.setenv("PITWALL_OEM_SIM_REJECT_OP_CODES", "99-00-01, 99-00-02")
    monkeypatch.setenv("PITWALL_OEM_SIM_RETURN_OP_CODES", '["77-00-01"]')
    monkeypatch.setenv("PITWALL_OEM_SIM_DECISION_DELAY_SECONDS", "0.5")
    monkeypatch.setenv("PITWALL_OEM_WEBHOOK_SECRET", "shared-secret")
    loaded = OemSimulatorSettings()
    assert loaded.webhook_url == "http://127.0.0.1:8001/oem/webhooks"
    assert loaded.reject_op_codes == ["99-00-01", "99-00-02"]
    assert loaded.return_op_codes == ["77-00-01"]
    assert loaded.decision_delay_seconds == 0.5
    assert loaded.webhook_secret.get_secret_value() == "shared-secret"
    monkeypatch.setenv("PITWALL_OEM_SIM_WEBHOOK_SECRET", "own-secret")
    assert OemSimulatorSettings().webhook_secret.get_secret_value() == "own-secret"
    assert (loaded.host, loaded.port) == ("127.0.0.1", 8005)


async def test_the_simulator_answers_readyz_and_metrics_like_the_services() -> None:
    async with simulator() as oem:
        ready = await oem.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready", "checks": {"decisions": True, "webhooks": True}})
        assert (await submit(oem, claim("M-1"))).status_code == 202
        text = (await oem.get("/metrics")).text
        assert 'pitwall_http_request_duration_seconds_count{method="POST",route="/claims",service="oem-simulator",status="202"} 1.0' in text
        assert "pitwall_oem_sim_webhooks_pending " in text

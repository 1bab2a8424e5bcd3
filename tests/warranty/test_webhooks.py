"""Status webhooks: signed by the OEM's secret within the time tolerance, each webhook id applied once; anything else
is 401 and changes nothing."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.contracts import warranty as wy
from tests.kit import EventTap, eventually, new_site
from tests.reception.helpers import Desk
from tests.warranty.support import (
    ADMIN,
    OEM_PATH,
    Stack,
    claim_status,
    claims_of,
    clerk,
    ok,
    signed,
    stack,
    warranty_ro,
)
from tests.warranty.test_lifecycle import complete

OTHER_SECRET = "whsec_YW5vdGhlci1vZW0tc2VjcmV0LWZvci10ZXN0cw=="


def paid_message(claim: dict[str, Any]) -> bytes:
    """The OEM's claim.paid message for an accepted claim."""
    now = datetime.now(UTC).isoformat()
    data = {
        "claim_id": claim["id"], "oem_reference": claim["oem_reference"], "dealer_code": "D-4711", "vin": claim["vin"],
        "status": "paid", "submission": 1, "currency": "CNY", "claimed_amount": "670.00", "approved_amount": "670.00",
        "paid_amount": "670.00", "payment_reference": "PAY-TEST-1", "updated_at": now,
    }
    return json.dumps({"type": "claim.paid", "timestamp": now, "data": data}).encode()


async def post(s: Stack, body: bytes, headers: dict[str, str]) -> Any:
    return await s.dealer.post(OEM_PATH, content=body, headers=headers)


async def test_forged_stale_and_duplicate_webhooks(tmp_path: Path, kafka: str) -> None:
    site = new_site()
    oem = {"payment_delay_seconds": 3600}  # the claim stays accepted until we say it is paid
    elsewhere = {"site-elsewhere": {"webhook_secret": OTHER_SECRET}}
    async with stack(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", kafka, oem=oem, oem_sites=elsewhere) as s, \
            EventTap(kafka, [wy.TOPIC], [site]) as tap:
        desk = Desk(s.dealer, site)
        await desk.configure()
        done = await warranty_ro(desk, kafka)
        [claim] = await claims_of(s.dealer, site, done.ro["id"])
        await complete(s, site, claim)
        await ok(s.dealer, "POST", f"/warranty/claims/{claim['id']}/submit", 202, json={}, headers=clerk(site))
        accepted = await eventually(lambda: claim_status(s.dealer, site, claim["id"], "accepted"), timeout=30)

        # the OEM delivers its accepted message again: applied once
        deliveries = (await s.oem.get("/admin/deliveries", headers=ADMIN)).json()
        [first] = [d for d in deliveries if d["claim_id"] == claim["id"] and d["type"] == "claim.accepted"]
        await ok(s.oem, "POST", f"/admin/deliveries/{first['msg_id']}/redeliver", 202, headers=ADMIN)

        async def redelivered() -> bool:
            sent = (await s.oem.get("/admin/deliveries", headers=ADMIN)).json()
            again = [d for d in sent if d["msg_id"] == first["msg_id"]]
            return len(again) == 2 and again[1]["state"] == "delivered" and again[1]["last_status_code"] == 200

        await eventually(redelivered, timeout=20)
        assert (await claim_status(s.dealer, site, claim["id"], "accepted"))["version"] == accepted["version"]

        body = paid_message(accepted)
        refused = {
            "forged": await post(s, body, signed(body, "msg_test_paid", secret="whsec_Zm9yZ2VkLXNlY3JldC1ieS1hbi1hdHRhY2tlcg==")),
            "stale": await post(s, body, signed(body, "msg_test_paid", at=int(time.time()) - 600)),
            "future": await post(s, body, signed(body, "msg_test_paid", at=int(time.time()) + 600)),
            "tampered": await post(s, body.replace(b"670.00", b"6700.00"), signed(body, "msg_test_paid")),
            "unsigned": await post(s, body, {"content-type": "application/json"}),
            "other site's OEM": await post(s, body, signed(body, "msg_test_paid", secret=OTHER_SECRET)),
        }
        for why, answer in refused.items():
            assert answer.status_code == 401, (why, answer.text)
            assert answer.headers["content-type"] == "application/problem+json", why
        assert "no matching signature" in refused["forged"].json()["detail"]
        assert "timestamp too old" in refused["stale"].json()["detail"]
        assert "timestamp too new" in refused["future"].json()["detail"]
        assert "missing webhook-id header" in refused["unsigned"].json()["detail"]
        assert "not signed with the secret of the claim's OEM" in refused["other site's OEM"].json()["detail"]
        unchanged = await claim_status(s.dealer, site, claim["id"], "accepted")
        assert unchanged is not None and unchanged["version"] == accepted["version"]

        # the same id, now genuinely signed: the refused attempts did not use it up
        applied = await ok(s.dealer, "POST", OEM_PATH, content=body, headers=signed(body, "msg_test_paid"))
        assert applied == {"webhook_id": "msg_test_paid", "outcome": "applied"}
        paid = await claim_status(s.dealer, site, claim["id"], "paid")
        assert paid is not None and (paid["paid_amount"], paid["payment_reference"]) == ("670.00", "PAY-TEST-1")
        twice = await ok(s.dealer, "POST", OEM_PATH, content=body, headers=signed(body, "msg_test_paid"))
        assert twice["outcome"] == "duplicate"
        other_id = await ok(s.dealer, "POST", OEM_PATH, content=body, headers=signed(body, "msg_test_paid_2"))
        assert other_id["outcome"] == "no_change"
        assert (await claim_status(s.dealer, site, claim["id"], "paid"))["version"] == paid["version"]  # type: ignore[index]

        junk = b'{"type": "claim.paid"}'
        assert (await post(s, junk, signed(junk, "msg_junk"))).status_code == 422
        unknown = paid_message({**accepted, "id": "no-such-claim"})
        assert (await ok(s.dealer, "POST", OEM_PATH, content=unknown, headers=signed(unknown, "msg_unknown")))["outcome"] == "unknown_claim"

        await ok(s.dealer, "POST", f"/warranty/claims/{claim['id']}/close", json={}, headers=clerk(site))
        await tap.wait_for(wy.ClaimClosed)
        mine = [e.type.split(".")[3] for e in tap.events if e.data["claim_id"] == claim["id"]]
        assert (mine.count("accepted"), mine.count("paid"), mine[-3:]) == (1, 1, ["accepted", "paid", "closed"])

"""A site's after-sales care over one day: deliveries with follow-ups due, follow-up calls with scores, complaints, and
warranty claims towards the OEM.

The scripted day (tests/kpi/day.py) has none of these, so the satisfaction and warranty figures get their series from
here. All of it happened before now, on the same local date as the scripted day; what the warranty figures must be is
written out in WARRANTY.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.contracts import reception as r
from shared.contracts import warranty as wc
from shared.contracts.base import Event

OPENING = [r.OpeningHours(weekday=d, opens="08:00", closes="18:00") for d in range(7)]


def aftercare_day(site: str, tz: str, day: date) -> list[Event]:
    """Two ROs delivered; one customer reached and scoring, one not reached; one complaint resolved, one open; five
    warranty claims."""

    def at(hhmm: str) -> datetime:
        hours, minutes = map(int, hhmm.split(":"))
        return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(tz))

    due = at("00:00") + timedelta(days=4)

    def ro(ro_id: str) -> list[Event]:
        return [
            r.RepairOrderOpened(site_id=site, occurred_at=at("08:10"), repair_order_id=ro_id, ro_number=ro_id,
                                visit_id="v-" + ro_id, vehicle_id="veh-" + ro_id, customer_id="c-" + ro_id, vin="VIN" + ro_id,
                                advisor="adv", ro_type=r.RoType.GENERAL_REPAIR, mileage_in=1000, arrived_at=at("08:00"),
                                job_lines=[]),
            r.VehicleDelivered(site_id=site, occurred_at=at("11:00"), repair_order_id=ro_id, mileage_out=1001,
                               follow_up_due_at=due),
        ]

    def call(attempt: str, ro_id: str, reached: bool, hhmm: str, **answers: object) -> r.FollowUpRecorded:
        return r.FollowUpRecorded(site_id=site, occurred_at=at(hhmm), repair_order_id=ro_id, attempt_id=attempt,
                                  attempt_number=1, channel=r.FollowUpChannel.PHONE, reached=reached, advisor="adv",
                                  delivered_at=at("11:00"), due_at=due, closes_follow_up=reached, **answers)  # type: ignore[arg-type]

    care: list[Event] = [
        r.SiteConfigured(site_id=site, occurred_at=at("06:00"), name="Aftercare", time_zone=tz, opening_hours=OPENING,
                         labour_rate=Decimal("100"), technician_cost_rate=Decimal("30"), tax_rate=Decimal("0.13"),
                         comeback_window_days=30),
        *ro("RC1"), *ro("RC2"),
        call("F1", "RC1", True, "15:00", scores={"overall": 4, "advisor": 5}, weak_items={"explained_work": False}),
        call("F2", "RC2", False, "15:30"),
        r.ComplaintOpened(site_id=site, occurred_at=at("10:00"), complaint_id="K1", repair_order_id="RC1", advisor="adv",
                          category="price", severity="low", owner="manager"),
        r.ComplaintResolved(site_id=site, occurred_at=at("12:00"), complaint_id="K1", outcome="explained",
                            opened_at=at("10:00"), repair_order_id="RC1", advisor="adv"),
        r.ComplaintOpened(site_id=site, occurred_at=at("14:00"), complaint_id="K2", repair_order_id="RC2", advisor="adv",
                          category="quality", severity="medium", owner="manager"),
    ]
    return [*care, *warranty_claims(site, at)]


def warranty_claims(site: str, at: Callable[[str], datetime]) -> list[Event]:
    """Five claims, each one's events in order (published in this order, their ce_sequence grows per claim)."""

    def claim(cls: type[wc._Claim], claim_id: str, hhmm: str, status: wc.ClaimStatus, repaired: str, claimed: str,
              approved: str | None = None, paid: str | None = None, **extra: object) -> Event:
        return cls(site_id=site, occurred_at=at(hhmm), claim_id=claim_id, repair_order_id="RO-" + claim_id,
                   ro_number="RO-" + claim_id, job_line_ids=["L-" + claim_id], status=status, repaired_at=at(repaired),
                   currency="CNY", claimed_amount=Decimal(claimed), approved_amount=Decimal(approved) if approved else None,
                   paid_amount=Decimal(paid) if paid else None, **extra)

    def drafted(claim_id: str, hhmm: str, repaired: str, claimed: str) -> Event:
        return claim(wc.ClaimDrafted, claim_id, hhmm, wc.ClaimStatus.DRAFT, repaired, claimed, vin="VIN" + claim_id,
                     labour_op_code="OP", sold_hours=Decimal(1), actual_hours=Decimal(1))

    def submitted(claim_id: str, hhmm: str, repaired: str, claimed: str) -> Event:
        return claim(wc.ClaimSubmitted, claim_id, hhmm, wc.ClaimStatus.SUBMITTED, repaired, claimed, submission=1,
                     oem_reference="OEM-" + claim_id)

    S = wc.ClaimStatus
    return [
        drafted("W1", "09:00", "08:30", "200"),
        claim(wc.ClaimValidated, "W1", "09:10", S.VALIDATED, "08:30", "200"),
        submitted("W1", "10:00", "08:30", "200"),
        claim(wc.ClaimAccepted, "W1", "11:00", S.ACCEPTED, "08:30", "200", "180", oem_reference="OEM-W1"),
        claim(wc.ClaimPaid, "W1", "14:00", S.PAID, "08:30", "200", "180", "180"),
        drafted("W2", "09:00", "08:00", "100"), submitted("W2", "10:30", "08:00", "100"),
        claim(wc.ClaimRejected, "W2", "12:00", S.REJECTED, "08:00", "100", reason="not covered"),
        drafted("W3", "09:30", "09:00", "300"), submitted("W3", "11:00", "09:00", "300"),
        claim(wc.ClaimAccepted, "W3", "13:00", S.ACCEPTED, "09:00", "300", "250", oem_reference="OEM-W3"),
        drafted("W4", "10:00", "09:30", "50"),
        drafted("W5", "11:00", "10:30", "120"), submitted("W5", "12:30", "10:30", "120"),
        claim(wc.ClaimReturned, "W5", "15:00", S.RETURNED, "10:30", "120", reason="photo missing"),
    ]


# The warranty figures of the day (month to date is the day: a new site).
WARRANTY = {
    "by_status": {"draft": 1, "validated": 0, "submitted": 0, "accepted": 1, "returned": 1, "rejected": 1, "paid": 1,
                  "debited": 0, "closed": 0},  # W4; W3; W5; W2; W1
    "receivable": 370,  # W3 approved 250 + W5 claimed 120 (returned, not yet paid)
    "claimed": 720,  # first submissions: W1 200, W2 100, W3 300, W5 120
    "paid": 180,  # W1
    "rejection": 1 / 3,  # decided: W1, W3 accepted, W2 rejected (a return is no decision)
    "to_submission": 7200,  # W1 1.5 h, W2 2.5 h, W3 2 h, W5 2 h after repair: mean 2 h
    "to_payment": 19800,  # W1 repaired 08:30, paid 14:00
}


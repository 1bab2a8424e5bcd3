"""A site's after-sales care over one day: deliveries with follow-ups due, follow-up calls with scores, complaints.

The scripted day (tests/kpi/day.py) has none of these, so the satisfaction figures get their series from here.
All of it happened before now, on the same local date as the scripted day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.contracts import reception as r
from shared.contracts.base import Event

OPENING = [r.OpeningHours(weekday=d, opens="08:00", closes="18:00") for d in range(7)]


def aftercare_day(site: str, tz: str, day: date) -> list[Event]:
    """Two ROs delivered; one customer reached and scoring, one not reached; one complaint resolved, one open."""

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

    return [
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

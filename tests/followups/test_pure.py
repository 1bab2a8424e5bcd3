"""Pure rules: due days in the site's zone, attempts closing a follow-up, and the figures' edge cases."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.kpi.figures.window import custom
from services.kpi.satisfaction.figures import Attempt, Complaint, Delivery, SatisfactionFacts, compute
from services.reception.domain.follow_up import FollowUpStatus, after_result, delivered_before_for, due_day, due_end


def test_due_day_is_counted_from_the_local_delivery_day() -> None:
    delivered = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 2 March 01:30 in Shanghai
    assert due_day(delivered, "Asia/Shanghai", 3) == date(2026, 3, 5)
    assert due_day(delivered, "UTC", 3) == date(2026, 3, 4)
    assert due_end(delivered, "Asia/Shanghai", 3) == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)
    assert delivered < delivered_before_for(date(2026, 3, 5), "Asia/Shanghai", 3)
    assert not delivered < delivered_before_for(date(2026, 3, 4), "Asia/Shanghai", 3)


def test_unreached_attempts_close_the_follow_up_at_the_limit() -> None:
    assert after_result(False, 2, 3) is FollowUpStatus.DUE
    assert after_result(False, 3, 3) is FollowUpStatus.UNREACHABLE
    assert after_result(True, 1, 3) is FollowUpStatus.REACHED


def test_figures_late_follow_up_running_due_day_and_advisors() -> None:
    day = 86400.0
    facts = SatisfactionFacts(
        deliveries=[Delivery("A", "amy", 0.0, 3 * day), Delivery("B", "bob", 10.0, 3 * day), Delivery("C", "bob", 20.0, None),
                    Delivery("D", "amy", 5 * day, 8 * day)],
        attempts=[Attempt("A", "amy", 4 * day, True, {"friendliness": 3, "repair_quality": 5}),  # reached after its due day
                  Attempt("B", "bob", day, True, {"friendliness": 1}, {"fair_price": False})],
        complaints=[Complaint("K", "bob", day, None), Complaint("L", None, 2 * day, 2.5 * day)],
    )
    values = {(v.name, v.labels): v for v in compute(facts, custom(0.0, 10 * day, "UTC", 6 * day))}
    assert values[("follow_ups_due", ())].value == 3  # C declined contact
    assert values[("follow_ups_on_time", ())].value == 1  # only B; A was late, D's due day still runs
    assert values[("follow_up_completion_rate", ())].provisional is True
    assert values[("csi", ())].value == (4 + 1) / 2
    assert values[("satisfaction_score", (("category", "friendliness"),))].value == 2.0
    assert values[("complaints_open", ())].value == 1 and values[("complaint_resolution_time", ())].value == 0.5 * day
    assert values[("complaints_per_100_ros", ())].value == 50.0
    assert values[("csi", (("advisor", "bob"),))].value == 1.0
    assert values[("weak_item_no_share", (("advisor", "bob"), ("item", "fair_price")))].value == 1.0
    assert values[("complaints_opened", (("advisor", "amy"),))].value == 0

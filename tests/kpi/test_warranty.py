"""Warranty claim figures: claims published on `pitwall.warranty.v1` — late, twice, out of order — give exact figures on
REST and /metrics; the figures' worker renders them as the service does; any arrival order gives the same claims.

The script (times site-local; "recent" is now rounded down to the minute):
  A  repaired 3 days ago 08:00; drafted 09:00, validated 09:05, submitted 10:00 (500), accepted 14:00 (480),
     paid recent-10 min (480)
  B  repaired 2 days ago 12:00; drafted 08:30, submitted 11:00 (300), rejected 15:00
  C  repaired 5 days ago 09:00; drafted 08:00, submitted 09:00 (200), returned 12:00, corrected 12:30 (250),
     submitted again 13:00 (submission 2, 250), accepted recent-20 min (250)
  D  repaired today 07:00; drafted 16:00 (150)
  E  repaired 45 days ago; submitted 40 days ago (1000), accepted 38 days ago (900): in no window
  F  repaired a day before recent-30 min; submitted recent-30 min (100)
  G  repaired yesterday 08:00; submitted yesterday 10:00 (400), rejected yesterday 16:00
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi import exposition
from services.kpi.state import figures as memory
from services.kpi.state.live import LiveState
from services.kpi.app import create_app
from services.kpi.families import site_families
from services.kpi.handlers import changes_of, project_batch
from services.kpi.metrics import site_snapshots
from services.kpi.rebuild import rebuild
from services.kpi.satisfaction.metrics import satisfaction_families
from services.kpi.settings import KpiSettings
from services.kpi.warranty.metrics import warranty_families
from services.kpi.warranty.tables import WarrantyClaimFact
from shared.cloudevents import CloudEvent
from shared.contracts import default_registry
from shared.contracts import reception as r
from shared.contracts import warranty as w
from shared.db import create_engine
from shared.migrations import upgrade_to_head
from tests.kit import as_cloud_event, auth, caught_up, eventually, new_site, publish, running
from tests.kpi.harness import memory_engine
from tests.kpi.support import app_for, evening_zone, kpi_settings, start_at_end_of_topics

D = Decimal
STATUSES = ("draft", "validated", "submitted", "accepted", "returned", "rejected", "paid", "debited", "closed")


@dataclass
class Script:
    """The claims of one site, as CloudEvents with their per-claim sequence, and the times the figures turn on."""

    site: str
    tz: str
    now: datetime
    events: dict[str, CloudEvent]  # "a1".."g2" → event (letter: claim, digit: its ce_sequence)
    a_to_payment: float  # seconds from A's repair to its payment

    def local(self, days_ago: int, hhmm: str) -> datetime:
        hours, minutes = map(int, hhmm.split(":"))
        day = self.now.astimezone(ZoneInfo(self.tz)).date() - timedelta(days=days_ago)
        return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(self.tz))


def script(site: str, tz: str, now: datetime) -> Script:
    """The scripted claims (see the module docstring)."""
    s = Script(site, tz, now, {}, 0.0)
    recent = now.replace(second=0, microsecond=0)

    def claim(key: str, cls: type[w._Claim], at: datetime, status: str, repaired: datetime, claimed: str,
              approved: str | None = None, paid: str | None = None, **extra: Any) -> None:
        letter, sequence = key[0], int(key[1:])
        kind = {w.ClaimDrafted: {"vin": "VIN" + letter, "labour_op_code": "OP1", "sold_hours": D("1.5"), "actual_hours": D("1.2")},
                w.ClaimSubmitted: {"oem_reference": "OEM-" + letter}, w.ClaimAccepted: {"oem_reference": "OEM-" + letter},
                w.ClaimCorrected: {"changed_fields": ["claimed_amount"]}}.get(cls, {})
        event = cls(site_id=site, occurred_at=at, claim_id=f"claim-{letter}", repair_order_id=f"RO-{letter}", ro_number=letter,
                    job_line_ids=["L1"], status=w.ClaimStatus(status), repaired_at=repaired, currency="EUR",
                    claimed_amount=D(claimed), approved_amount=None if approved is None else D(approved),
                    paid_amount=None if paid is None else D(paid), **kind, **extra)
        s.events[key] = as_cloud_event(event, sequence=sequence)

    day = s.local
    rep_a = day(3, "08:00")
    claim("a1", w.ClaimDrafted, day(0, "09:00"), "draft", rep_a, "500")
    claim("a2", w.ClaimValidated, day(0, "09:05"), "validated", rep_a, "500")
    claim("a3", w.ClaimSubmitted, day(0, "10:00"), "submitted", rep_a, "500", submission=1)
    claim("a4", w.ClaimAccepted, day(0, "14:00"), "accepted", rep_a, "500", "480")
    claim("a5", w.ClaimPaid, recent - timedelta(minutes=10), "paid", rep_a, "500", "480", "480")
    s.a_to_payment = (recent - timedelta(minutes=10) - rep_a).total_seconds()
    rep_b = day(2, "12:00")
    claim("b1", w.ClaimDrafted, day(0, "08:30"), "draft", rep_b, "300")
    claim("b2", w.ClaimSubmitted, day(0, "11:00"), "submitted", rep_b, "300", submission=1)
    claim("b3", w.ClaimRejected, day(0, "15:00"), "rejected", rep_b, "300")
    rep_c = day(5, "09:00")
    claim("c1", w.ClaimDrafted, day(0, "08:00"), "draft", rep_c, "200")
    claim("c2", w.ClaimSubmitted, day(0, "09:00"), "submitted", rep_c, "200", submission=1)
    claim("c3", w.ClaimReturned, day(0, "12:00"), "returned", rep_c, "200")
    claim("c4", w.ClaimCorrected, day(0, "12:30"), "validated", rep_c, "250")
    claim("c5", w.ClaimSubmitted, day(0, "13:00"), "submitted", rep_c, "250", submission=2)
    claim("c6", w.ClaimAccepted, recent - timedelta(minutes=20), "accepted", rep_c, "250", "250")
    claim("d1", w.ClaimDrafted, day(0, "16:00"), "draft", day(0, "07:00"), "150")
    claim("e1", w.ClaimSubmitted, day(40, "10:00"), "submitted", day(45, "10:00"), "1000", submission=1)
    claim("e2", w.ClaimAccepted, day(38, "10:00"), "accepted", day(45, "10:00"), "1000", "900")
    f_at = recent - timedelta(minutes=30)
    claim("f1", w.ClaimSubmitted, f_at, "submitted", f_at - timedelta(days=1), "100", submission=1)
    rep_g = day(1, "08:00")
    claim("g1", w.ClaimSubmitted, day(1, "10:00"), "submitted", rep_g, "400", submission=1)
    claim("g2", w.ClaimRejected, day(1, "16:00"), "rejected", rep_g, "400")
    return s


def configured(s: Script) -> r.SiteConfigured:
    """The site's configuration: its time zone."""
    return r.SiteConfigured(site_id=s.site, occurred_at=s.local(3, "06:00"), name=s.site, time_zone=s.tz, opening_hours=[],
                            labour_rate=D("100"), technician_cost_rate=D("40"), tax_rate=D("0.1"), comeback_window_days=30)


# Newest first, so the older events of phase 2 land on rows that already hold a later status.
PHASE_1 = ["a5", "b3", "c6", "c4", "d1", "e2", "f1", "g2", "a5"]
PHASE_2 = ["a1", "a3", "a2", "a4", "b2", "b1", "c5", "c3", "c1", "c2", "e1", "g1", "a3"]
FINAL_STATUSES = {**dict.fromkeys(STATUSES, 0), "draft": 1, "submitted": 1, "accepted": 2, "rejected": 2, "paid": 1}
RECEIVABLE = 1250.0  # C accepted 250 + E accepted 900 + F submitted 100


def expected(s: Script, window: str) -> dict[str, float]:
    """The window figures by hand (REST names, durations in seconds)."""
    today = {"claims_submitted": 4, "claimed_amount": 1100,  # A 500, B 300, C 200 (its first submission), F 100
             "claims_decided": 3, "claims_rejected": 1, "rejection_rate": 1 / 3,  # A, C accepted; B rejected
             # A 3 d 2 h, B 2 d − 1 h, C 5 d (its first submission), F 1 d
             "repair_to_submission_days": (266400 + 169200 + 432000 + 86400) / 4,
             "claims_paid": 1, "paid_amount": 480, "repair_to_payment_days": s.a_to_payment}
    if window == "rolling_hour":  # F submitted, C accepted, A paid
        return {**today, "claims_submitted": 1, "claimed_amount": 100, "claims_decided": 1, "claims_rejected": 0,
                "rejection_rate": 0.0, "repair_to_submission_days": 86400}
    with_g = {**today, "claims_submitted": 5, "claimed_amount": 1500, "claims_decided": 4, "claims_rejected": 2,
              "rejection_rate": 0.5, "repair_to_submission_days": (266400 + 169200 + 432000 + 86400 + 7200) / 5}
    if window == "range" or (window == "month_to_date" and s.local(0, "00:00").day > 1):  # G's yesterday is in the month
        return with_g
    return today


def rest_figures(answer: dict) -> tuple[dict[str, float], dict[str, float], float]:
    """(window figures with durations back in seconds, claims by status figures, receivable) of a REST answer."""
    figures = {f["name"]: f for f in answer["figures"]}
    window = {name: f["value"] * (86400 if f["unit"] == "days" else 1) for name, f in figures.items()
              if name not in ("claims", "receivable")}
    by_status = {f["labels"]["status"]: f["value"] for f in answer["figures"] if f["name"] == "claims"}
    return window, by_status, figures["receivable"]["value"]


METRIC_OF = {"claimed_amount": "claimed", "rejection_rate": "rejection_ratio", "paid_amount": "paid",
             "repair_to_submission_days": "repair_to_submission_seconds", "repair_to_payment_days": "repair_to_payment_seconds"}


def expected_metrics(s: Script) -> dict[tuple[str, str], float]:
    """Every warranty sample of the site on /metrics: (family, status or window) → value."""
    samples = {("pitwall_kpi_warranty_claims", status): float(n) for status, n in FINAL_STATUSES.items()}
    samples[("pitwall_kpi_warranty_receivable", "")] = RECEIVABLE
    for window in ("today", "rolling_hour", "month_to_date"):
        for name, metric in METRIC_OF.items():
            samples[(f"pitwall_kpi_warranty_{metric}", window)] = float(expected(s, window)[name])
    return samples


def warranty_samples(text: str, site: str) -> dict[tuple[str, str], float]:
    """The site's warranty samples of a /metrics text."""
    return {(sample.name, sample.labels.get("status") or sample.labels.get("window", "")): sample.value
            for family in text_string_to_metric_families(text) if family.name.startswith("pitwall_kpi_warranty_")
            for sample in family.samples if sample.labels.get("site") == site}


async def send(kafka: str, cloud_events: list[CloudEvent]) -> None:
    """Send CloudEvents as they are to the warranty topic (same id twice: a true redelivery)."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for ce in cloud_events:
            await producer.send(w.TOPIC, ce.value(), key=ce.key(), headers=ce.to_headers())
        await producer.flush()
    finally:
        await producer.stop()


async def test_claims_late_twice_and_out_of_order_give_exact_figures_on_rest_and_metrics(database_url: str, kafka: str,
                                                                                         tmp_path: Path) -> None:
    site = new_site()
    tz, _ = evening_zone()
    s = script(site, tz, datetime.now(UTC))
    settings = kpi_settings(database_url, kafka)
    await start_at_end_of_topics(settings)
    await publish(kafka, configured(s))
    unknown = CloudEvent(id="unknown-" + site, source="/pitwall/tests", type="pitwall.warranty.claim.archived.v9",
                         time=s.now, subject="claim/x", site_id=site, sequence=9, data={"claim_id": "claim-a"})
    republished_c5 = as_cloud_event(w.ClaimSubmitted.model_validate(s.events["c5"].data), sequence=5)  # another id
    app = app_for(settings)
    async with running(app) as client:
        headers = auth(["warranty"], [site])

        async def answer(**params: str) -> dict:
            response = await client.get(f"/kpi/sites/{site}/warranty", params=params, headers=headers)
            assert response.status_code == 200, response.text
            return response.json()

        await send(kafka, [s.events[k] for k in PHASE_1] + [unknown])
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=60)
        first = await answer(window="today")
        assert first["claims_by_status"] == FINAL_STATUSES  # the newest status of each claim already
        window, _, receivable = rest_figures(first)
        assert receivable == RECEIVABLE
        # Only F's submission is known yet; B's rejection and C's acceptance are today's decisions.
        assert (window["claims_submitted"], window["claims_decided"], window["claims_rejected"]) == (1, 2, 1)

        await send(kafka, [s.events[k] for k in PHASE_2] + [republished_c5])
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=60)
        for params in ({"window": "today"}, {"window": "rolling_hour"}, {},
                       {"from": s.local(1, "00:00").date().isoformat(), "to": s.local(-1, "00:00").date().isoformat()}):
            body = await answer(**params)
            window, by_status, receivable = rest_figures(body)
            assert body["claims_by_status"] == by_status == FINAL_STATUSES, params  # older events changed no status
            assert receivable == RECEIVABLE
            assert window == pytest.approx(expected(s, body["window"]["kind"]), rel=1e-12), params
            assert body["window"]["kind"] == params.get("window", "range" if params else "month_to_date")
        days = {f["name"]: f for f in (await answer())["figures"]}["repair_to_submission_days"]
        assert days["unit"] == "days" and days["value"] == pytest.approx(expected(s, "month_to_date")["repair_to_submission_days"] / 86400)

        async def metrics_shown() -> dict[tuple[str, str], float]:
            return warranty_samples((await client.get("/metrics", params={"site": site})).text, site)

        want = expected_metrics(s)
        await eventually(lambda: _same(metrics_shown(), want), timeout=30)
        assert await metrics_shown() == pytest.approx(want, rel=1e-12)

    rebuilt = f"sqlite+aiosqlite:///{tmp_path}/rebuilt.db"  # a replay of the topics orders the claims by sequence too
    await rebuild(settings, database_url=rebuilt, sites={site}, progress=False)
    live = await site_claims(database_url, site)
    assert [row["status"] for row in live] == ["paid", "rejected", "accepted", "draft", "accepted", "submitted", "rejected"]
    assert await site_claims(rebuilt, site) == live


async def site_claims(url: str, site: str) -> list[dict[str, Any]]:
    """The site's claim rows (times in UTC)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            table = WarrantyClaimFact.__table__  # type: ignore[attr-defined]
            rows = (await conn.execute(select(table).where(table.c.site_id == site).order_by(table.c.claim_id))).mappings().all()
    finally:
        await engine.dispose()
    return [{k: (v.astimezone(UTC) if isinstance(v, datetime) else v) for k, v in row.items()} for row in rows]


async def _same(shown: Any, want: dict[tuple[str, str], float]) -> bool:
    got = await shown
    return got.keys() == want.keys() and all(abs(got[k] - v) <= 1e-9 * max(1.0, abs(v)) for k, v in want.items())


async def feed(engine: AsyncEngine, batches: list[list[CloudEvent]]) -> None:
    """Project batches of CloudEvents (with their sequences) as the consumer's batch handler does, without Kafka."""
    registry = default_registry()
    for batch in batches:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            events = [registry.get(ce.type).model_validate(ce.data) for ce in batch]  # type: ignore[union-attr]
            await project_batch(session, events, [ce.sequence for ce in batch])


async def test_the_warranty_figures_from_memory_are_those_read_from_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/kpi.db"
    engine = create_engine(url)
    await upgrade_to_head(engine, "kpi")
    tz, _ = evening_zone()
    s = script("site-warranty-memory", tz, datetime.now(UTC))
    await feed(engine, [[as_cloud_event(configured(s))], list(s.events.values())[::-1]])
    now = s.now.timestamp()
    families = site_families(s.site, await site_snapshots(engine, s.site, now))
    families.update(await satisfaction_families(engine, s.site, now, exposition.Family))
    families.update(await warranty_families(engine, s.site, now, exposition.Family))
    from_database = exposition.join([exposition.render(families)])
    assert warranty_samples(from_database, s.site) == pytest.approx(expected_metrics(s), rel=1e-12)
    live = LiveState(changes_of)
    try:
        await live.hold(engine, [s.site], None)
        state = live.held(s.site)
        assert state is not None
        assert warranty_samples(exposition.join([exposition.render(memory.families(state, now, memory.Targets()))]), s.site) \
            == warranty_samples(from_database, s.site)
    finally:
        await engine.dispose()


async def test_a_site_without_claims_has_no_warranty_samples_and_access_is_by_role(tmp_path: Path) -> None:
    app = create_app(KpiSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/kpi.db", run_relay=False, run_consumer=False))
    tz, _ = evening_zone()
    s = script("site-warranty-api", tz, datetime.now(UTC))
    async with running(app) as client:
        engine = app.state.runtime.engine
        empty = configured(script("site-no-claims", tz, s.now))
        await feed(engine, [[as_cloud_event(empty), as_cloud_event(configured(s))], list(s.events.values())])
        assert await warranty_families(engine, "site-no-claims", s.now.timestamp(), exposition.Family) == {}
        url = f"/kpi/sites/{s.site}/warranty"
        for role in ("manager", "foreman", "advisor", "warranty"):
            response = await client.get(url, headers=auth([role], [s.site]))
            assert response.status_code == 200, (role, response.text)
            assert response.json()["claims_by_status"] == FINAL_STATUSES
        for headers, status in ((auth(["technician"], [s.site]), 403), (auth(["warranty"], ["elsewhere"]), 403), ({}, 401)):
            response = await client.get(url, headers=headers)
            assert response.status_code == status and response.headers["content-type"] == "application/problem+json"
        response = await client.get(url, params={"window": "yesterday"}, headers=auth(["manager"], [s.site]))
        assert response.status_code == 422 and "window" in response.text
        response = await client.get("/kpi/sites/never-seen/warranty", headers=auth(["manager"], ["*"]))
        assert response.status_code == 404


async def claim_rows(batches: list[list[CloudEvent]]) -> list[dict[str, Any]]:
    """The claim rows the batches give, on a fresh database."""
    engine = await memory_engine()
    try:
        await feed(engine, batches)
        async with engine.connect() as conn:
            table = WarrantyClaimFact.__table__  # type: ignore[attr-defined]
            rows = (await conn.execute(select(table).order_by(table.c.claim_id))).mappings().all()
        return [{k: (v.astimezone(UTC) if isinstance(v, datetime) else v) for k, v in row.items()} for row in rows]
    finally:
        await engine.dispose()


SCRIPT = script("site-warranty-order", "Etc/GMT-8", datetime(2025, 3, 12, 12, 30, tzinfo=UTC))
_reference: list[list[dict[str, Any]]] = []


@st.composite
def arrivals(draw: st.DrawFn) -> list[list[CloudEvent]]:
    """The claims' events shuffled, some delivered twice, cut into batches."""
    stream = list(draw(st.permutations(list(SCRIPT.events.values()))))
    for duplicate in draw(st.lists(st.sampled_from(list(SCRIPT.events.values())), max_size=8)):
        stream.insert(draw(st.integers(0, len(stream))), duplicate)
    cuts = sorted(draw(st.lists(st.integers(1, len(stream) - 1), max_size=5, unique=True)))
    return [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=arrivals())
async def test_any_arrival_order_with_duplicates_gives_the_same_claims(batches: list[list[CloudEvent]]) -> None:
    if not _reference:
        _reference.append(await claim_rows([[e] for e in SCRIPT.events.values()]))
    assert await claim_rows(batches) == _reference[0]


async def test_the_reference_order_keeps_each_claims_newest_status_and_first_steps() -> None:
    shuffled = random.Random(7).sample(list(SCRIPT.events.values()), len(SCRIPT.events))
    rows = {row["claim_id"]: row for row in await claim_rows([[e] for e in shuffled])}
    c = rows["claim-c"]
    assert (c["status"], c["sequence"], c["approved_amount"], c["claimed_amount"]) == ("accepted", 6, D("250"), D("250"))
    assert (c["first_submission"], c["first_submitted_amount"], c["first_submitted_at"]) == (1, D("200"), SCRIPT.local(0, "09:00"))
    assert (rows["claim-a"]["status"], rows["claim-a"]["paid_at_amount"], rows["claim-b"]["decision"]) == ("paid", D("480"), "rejected")

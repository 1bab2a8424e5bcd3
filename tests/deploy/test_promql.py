"""Every PromQL expression of the dashboards and the rules, proven against a real Prometheus.

Two kpi service instances (one consuming, one not: another member of the deployment) share one PostgreSQL
database that holds a scripted day (site A, tests/kpi/day.py, with the month's targets and reference data entered
over the KPI's REST API), a live morning (site B, tests/deploy/floor.py) and a day of follow-ups, complaints and
warranty claims (site C, tests/deploy/aftercare.py), all published to the real Kafka. Debian's Prometheus scrapes
both with the repo's rules; each expression is queried over the HTTP API and must return the written-out series and
values (or, for a copied KPI figure, exactly the KPI's own series and values).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from shared.cloudevents import CloudEvent
from shared.contracts import parts as p
from tests.deploy import expected, floor
from tests.deploy.aftercare import aftercare_day
from tests.deploy.expected import Expect
from tests.deploy.stack import ROOT, RULES, Prom, free_port, kpi_instance, prometheus, same, wait_until_answers
from tests.kit import as_cloud_event, auth, eventually, new_site, publish
from tests.kpi import checks
from tests.kpi.day import Day
from tests.kpi.support import TOPICS, evening_zone, kpi_settings, send, start_at_end_of_topics

AGE_SLACK = 60.0  # how far an age on the board may lag the query time: the KPI's refresh, the scrape, the rule evaluation
DEDUP = re.compile(r"^max without \(instance, job\) \((pitwall_kpi_\w+)\)$")
BOARDS = {json.loads(path.read_text())["uid"]: json.loads(path.read_text())
          for path in sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))}


def poison(site: str) -> CloudEvent:
    """A reorder-point event without its part number: only the kpi consumes it, and dead-letters it."""
    event = p.PartBelowReorderPoint(site_id=site, occurred_at=datetime.now(UTC), part_number="X", available=Decimal(1),
                                    reorder_point=Decimal(2), reorder_quantity=Decimal(3))
    good = as_cloud_event(event)
    data = {k: v for k, v in good.data.items() if k != "part_number"}
    return CloudEvent(id=good.id, source=good.source, type=good.type, time=good.time, subject=good.subject,
                      site_id=good.site_id, sequence=good.sequence, data=data)


def exposition(text: str, site: str) -> dict[str, dict[tuple, float]]:
    """Sample name → (labels other than site) → value, for one site of a /metrics page."""
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("site") == site:
                labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "site"))
                found.setdefault(sample.name, {})[labels] = sample.value
    return found


def of_site(result: list[tuple[dict[str, str], float]], site: str) -> dict[tuple, float]:
    """The series of one site, keyed like `exposition`."""
    return {tuple(sorted((k, v) for k, v in labels.items() if k not in ("site", "__name__"))): value
            for labels, value in result if labels.get("site") == site}


def canon(result: list[tuple[dict[str, str], float]]) -> list[tuple[tuple, float]]:
    """Series in a comparable order."""
    return sorted((tuple(sorted(labels.items())), value) for labels, value in result)


def compare(what: str, got: dict[str, float], wanted: Expect, age_at: float = 0.0) -> list[str]:
    """Mismatches between the series got (keyed by the distinguishing label) and those wanted; an age (`wanted.age`)
    is `age_at` plus the wanted value, up to AGE_SLACK less."""
    if set(got) != set(wanted.values):
        return [f"{what}: series {sorted(got)} != {sorted(wanted.values)} (values {got})"]
    if wanted.age:
        return [f"{what}[{key}]: {got[key]} is not an age of {age_at + value} s (up to {AGE_SLACK} s less)"
                for key, value in wanted.values.items() if not age_at + value - AGE_SLACK <= got[key] <= age_at + value + 1]
    return [f"{what}[{key}]: {got[key]} != {value}" for key, value in wanted.values.items()
            if not same(got[key], value, wanted.tolerance)]


def keyed(result: list[tuple[dict[str, str], float]], site: str, by: str, where: tuple = ()) -> dict[str, float]:
    """The series of a site (with the `where` labels) keyed by the label(s) (`a/b`) that tell them apart."""
    rows = [(labels, value) for labels, value in result
            if labels.get("site", site) == site and all(labels.get(k) == v for k, v in where)]
    return {"/".join(labels.get(label, "") for label in by.split("/")) if by else "": value for labels, value in rows}


class Proof:
    """The checks, run until they all hold (the derived series need a few scrapes of history)."""

    def __init__(self, prom: Prom, sites: dict[str, str], group: str, dead: str, page: str, page_read: float,
                 live_now: float) -> None:
        self.prom, self.sites, self.group, self.dead = prom, sites, group, dead
        self.live_now = live_now  # the live site's (B) `now`
        self.at = time.time()
        self.stable = {key: exposition(page, sites[key]) for key in ("A", "C")}  # figures that no longer move
        self.page_read = page_read

    def fill(self, text: str) -> str:
        return text.format(A=self.sites["A"], B=self.sites["B"], group=self.group, dead=self.dead)

    async def dashboards(self) -> list[str]:
        """Every target of every panel, with $site the site its expectation names."""
        problems: list[str] = []
        for uid, wanted_by_title in expected.BOARDS.items():
            panels = [panel for panel in BOARDS[uid]["panels"] if panel.get("targets")]
            assert {panel["title"] for panel in panels} == set(wanted_by_title), f"{uid}: a panel without a proof"
            for panel in panels:
                wanted = wanted_by_title[panel["title"]]
                site = self.sites[wanted.site]
                for target in panel["targets"]:
                    result = await self.query(target["expr"].replace("$site", site))
                    if wanted.by == "refId":
                        got = {target["refId"]: value for _, value in result}
                        want = Expect(wanted.site, {target["refId"]: wanted.values[target["refId"]]})
                        problems += compare(f"{uid}/{panel['title']}/{target['refId']}", got, want)
                    else:
                        problems += compare(f"{uid}/{panel['title']}", keyed(result, site, wanted.by), wanted,
                                            self.at - self.live_now)
        return problems

    async def records(self) -> list[str]:
        """Every recording rule's expression: KPI copies and ratios equal the KPI's own figures; the rest as written."""
        problems: list[str] = []
        for rule in rules("record"):
            name, expr = rule["record"], rule["expr"].strip()
            result = await self.query(expr)
            if name == "pitwall:wait_p90_target_seconds":  # the kind label is the rule's, added when recorded
                problems += compare(f"{name} {rule['labels']}", keyed(result, "", ""),
                                    Expect("A", {"": expected.TARGETS[rule["labels"]["kind"]]}))
                continue
            if name in expected.RECORDS:
                for wanted in expected.RECORDS[name]:
                    got = keyed(result, self.sites[wanted.site], wanted.by, wanted.where)
                    problems += compare(f"{name} ({wanted.site})", got, wanted)
                continue
            family = m.group(1) if (m := DEDUP.match(expr)) else name.removeprefix("site:")
            shown = [key for key, figures in self.stable.items() if family in figures]
            assert shown, f"{name}: no recording expectation, and no test site has a KPI {family} to compare with"
            for key in shown:
                problems += self.same_as_kpi(f"{name} ({key})", of_site(result, self.sites[key]), self.stable[key][family])
        return problems

    def same_as_kpi(self, what: str, got: dict[tuple, float], want: dict[tuple, float]) -> list[str]:
        """A recorded series against the KPI's own figure for one site: the same series, the same values."""
        if set(got) != set(want):
            return [f"{what}: series {sorted(set(got) ^ set(want))} differ from the KPI's"]
        problems = []
        for key, value in want.items():
            if what.split(" ")[0].endswith("_age_seconds"):  # an age grows by the time passed since the page was read
                ok = value <= got[key] <= value + (time.monotonic() - self.page_read) + 10
            else:
                ok = same(got[key], value)
            if not ok:
                problems.append(f"{what}{dict(key)}: {got[key]} != KPI {value}")
        return problems

    async def alerts(self) -> list[str]:
        """Every alert's expression returns exactly the written-out series for the test's sites and processes."""
        problems: list[str] = []
        names = {rule["alert"] for rule in rules("alert")}
        assert names == set(expected.ALERTS), f"alerts without a proof: {names ^ set(expected.ALERTS)}"
        for rule in rules("alert"):
            wanted = expected.ALERTS[rule["alert"]]
            result = [(labels, value) for labels, value in await self.query(rule["expr"])
                      if labels.get("site", self.sites["A"]) in self.sites.values()]
            if wanted.above is not None:
                operand, threshold = wanted.above
                over = canon([(labels, value) for labels, value in await self.query(operand) if value > threshold])
                if canon([(labels, value) for labels, value in result]) != over:
                    problems.append(f"{rule['alert']}: {result} != the series of {operand} over {threshold}: {over}")
                continue
            if not wanted.labels:
                if result:
                    problems.append(f"{rule['alert']}: expected nothing, got {result}")
                continue
            labels = {k: self.fill(v) for k, v in wanted.labels.items()}
            matching = [(got, value) for got, value in result if labels.items() <= got.items()]
            rest = [(got, value) for got, value in result if not labels.items() <= got.items()]
            if rest and wanted.others:
                allowed = {tuple(sorted(got.items())) for got, _ in await self.query(wanted.others)}
                rest = [(got, value) for got, value in rest if tuple(sorted(got.items())) not in allowed]
            if rest or len(matching) != 1 or not same(matching[0][1], wanted.value, wanted.tolerance):
                problems.append(f"{rule['alert']}: expected one series {labels} = {wanted.value}, got {result}")
        return problems

    async def operands(self) -> list[str]:
        """What the alerts that cannot be provoked here measure, for the two kpi instances."""
        problems: list[str] = []
        checks_ = {  # expression: (how many series, what each value must be)
            "pitwall_outbox_backlog_events": (2, lambda v: v == 0),
            "pitwall_outbox_oldest_unsent_age_seconds": (2, lambda v: v == 0),
            "increase(pitwall_outbox_publish_failures_total[5m])": (2, lambda v: v == 0),
            expected.LAG: (len(TOPICS), lambda v: v >= 0),  # one series per topic the kpi consumes
            expected.API_P95: (1, lambda v: v > 0),
        }
        for expr, (count, ok) in checks_.items():
            result = await self.query(expr)
            if len(result) != count or not all(ok(value) for _, value in result):
                problems.append(f"{expr}: {result}")
        return problems

    async def states(self) -> list[str]:
        """The alerts that fire here are loaded and evaluating: pending (while their `for` runs) or firing."""
        active = (await self.prom.get("/api/v1/alerts"))["alerts"]
        problems = []
        for name, wanted in expected.ALERTS.items():
            if wanted.state:
                labels = {k: self.fill(v) for k, v in wanted.labels.items()}
                if not any(a["labels"]["alertname"] == name and labels.items() <= a["labels"].items()
                           and wanted.state in ("active", a["state"]) for a in active):
                    problems.append(f"{name} {labels} is not {wanted.state}")
        return problems

    async def query(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query at this round's moment (every check of a round sees the same data)."""
        return await self.prom.query(expr, self.at)

    async def everything(self) -> list[str]:
        """All the checks' mismatches, at a moment just behind now (the last scrape and evaluation are in)."""
        self.at = time.time() - 2
        return [*await self.dashboards(), *await self.records(), *await self.alerts(), *await self.operands(),
                *await self.states()]


def rules(kind: str) -> list[dict]:
    """Every rule of a kind ("record" or "alert") in the repo's rule files."""
    return [rule for path in RULES for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"] if kind in rule]


async def kpi_page(url: str, sites: dict[str, str], consumer: bool) -> str:
    """The /metrics page once it shows the three sites and (the consumer's) the dead letter; fails saying what lacks."""
    missing: list[list[str]] = [[]]

    async def complete() -> str | None:
        async with httpx.AsyncClient(timeout=10.0) as client:
            page = (await client.get(f"{url}/metrics")).text
        live = exposition(page, sites["B"]).get("pitwall_kpi_vehicle_entries", {})
        aftercare = exposition(page, sites["C"]).get("pitwall_kpi_complaints_open", {})
        claims = exposition(page, sites["C"]).get("pitwall_kpi_warranty_claims", {})
        reviewed = exposition(page, sites["A"])
        missing[0] = [*checks.day_metrics_mismatches(page, sites["A"]),
                      *([] if live.get((("window", "today"),)) == 7 else [f"B's entries today: {live}"]),
                      *([] if aftercare == {(): 1.0} else [f"C's open complaints: {aftercare}"]),
                      *([] if claims.get((("status", "paid"),)) == 1 else [f"C's paid claims: {claims}"]),
                      *([] if len(reviewed.get("pitwall_kpi_target", {})) == len(expected.TARGETS_A)
                        and "pitwall_kpi_staff_turnover_ratio" in reviewed else ["A's targets and radar"]),
                      *([] if 'outcome="dead_lettered"' in page or not consumer else ["no dead letter"])]
        return None if missing[0] else page

    try:
        return await eventually(complete, timeout=90, interval=0.5)
    except AssertionError:
        raise AssertionError(f"{url}/metrics never showed the test's sites: {missing[0]}") from None


async def enter_targets_and_reference(url: str, site: str, month: str) -> None:
    """What the service manager enters for site A: the year's targets and the month's reference data."""
    headers = auth(["manager"], [site])
    targets = [{"indicator": name, "yearly": value} for name, value in expected.TARGETS_A.items()]
    async with httpx.AsyncClient(base_url=url, timeout=10.0, headers=headers) as client:
        response = await client.put(f"/kpi/sites/{site}/targets/{month[:4]}", json={"targets": targets})
        assert response.status_code == 200, response.text
        response = await client.put(f"/kpi/sites/{site}/reference-data/{month}", json=expected.REFERENCE_A)
        assert response.status_code == 200, response.text


async def test_every_dashboard_and_rule_expression_returns_the_expected_series(pg_url: str, kafka: str, tmp_path: Path) -> None:
    sites = {"A": new_site(), "B": new_site(), "C": new_site()}
    group = f"kpi-promql-{uuid.uuid4().hex[:8]}"
    await start_at_end_of_topics(kpi_settings(pg_url, kafka, group))
    tz, day = evening_zone()
    live_now = datetime.now(UTC).replace(microsecond=0)
    await publish(kafka, *Day(sites["A"], tz, day).events(), *floor.live_day(sites["B"], live_now),
                  *aftercare_day(sites["C"], tz, day))
    await send(kafka, [poison(sites["B"])])

    consuming, consuming_url = kpi_instance("kpi-1", tmp_path, pg_url, kafka, group, consumer=True)
    other, other_url = kpi_instance("kpi-2", tmp_path, pg_url, kafka, group, consumer=False)
    dead = f"127.0.0.1:{free_port()}"
    started = [consuming, other]
    try:
        await wait_until_answers(consuming, f"{consuming_url}/readyz")
        await wait_until_answers(other, f"{other_url}/readyz")
        await enter_targets_and_reference(consuming_url, sites["A"], day.isoformat()[:7])
        page = await kpi_page(consuming_url, sites, consumer=True)
        page_read = time.monotonic()
        await kpi_page(other_url, sites, consumer=False)

        server, prom_url = prometheus(tmp_path, [consuming_url.removeprefix("http://"), other_url.removeprefix("http://")], dead)
        started.append(server)
        await wait_until_answers(server, f"{prom_url}/-/ready")
        prom = Prom(prom_url)
        proof = Proof(prom, sites, group, dead, page, page_read, live_now.timestamp())

        # Both instances expose site A: summed, the board would double; the recorded series counts it once.
        site_a = f'site="{sites["A"]}", window="today"'

        async def counted_once() -> bool:
            raw = sorted(v for _, v in await prom.query(f"pitwall_kpi_vehicle_entries{{{site_a}}}"))
            recorded = [v for _, v in await prom.query(f"site:pitwall_kpi_vehicle_entries{{{site_a}}}")]
            return raw == [5, 5] and recorded == [5]

        await eventually(counted_once, timeout=60, interval=0.5)

        for board in BOARDS.values():  # the $site variable offers both sites
            (variable,) = board["templating"]["list"]
            metric = re.fullmatch(r"label_values\((\S+), site\)", variable["query"]).group(1)
            values = await prom.get("/api/v1/label/site/values", **{"match[]": metric})
            assert set(sites.values()) <= set(values), (variable["query"], values)

        last: list[list[str]] = [[]]

        async def proven() -> bool:
            last[0] = await proof.everything()
            return not last[0]

        try:
            await eventually(proven, timeout=90, interval=1.0)
        except AssertionError:
            raise AssertionError("\n".join(last[0])) from None
    finally:
        for process in reversed(started):
            process.stop()

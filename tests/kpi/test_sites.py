"""Two sites in one stream stay separate, and a token for one site cannot read the other."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.kit import auth, caught_up, eventually, new_site, publish, running
from tests.kpi import checks
from tests.kpi.day import Day
from tests.kpi.support import app_for, area, by_name, evening_zone, kpi_settings, start_at_end_of_topics


def entries_on_metrics(text: str) -> dict[str, float]:
    return {s.labels["site"]: s.value for f in text_string_to_metric_families(text) if f.name == "pitwall_kpi_vehicle_entries"
            for s in f.samples if s.labels.get("window") == "today"}


async def test_two_sites_in_one_stream_stay_separate(tmp_path: Path, kafka: str) -> None:
    a, b = new_site(), new_site()
    tz, day = evening_zone()
    day_a, day_b = Day(a, tz, day), Day(b, tz, day)
    morning_b = [e for e in day_b.events() if e.occurred_at < day_b.at("12:00")]  # the same ids, another site
    stream = [e for pair in zip(day_a.events(), morning_b + [None] * 99) for e in pair if e is not None]
    settings = kpi_settings(f"sqlite+aiosqlite:///{tmp_path}/kpi.db", kafka)
    await start_at_end_of_topics(settings)
    await publish(kafka, *stream)
    app = app_for(settings)
    async with running(app) as client:
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=60)
        await checks.check_day(client, a, day)
        # Site B's morning only: V1 and V2 arrived, RO1 and RO2 opened, RO1 (230) invoiced, T1 and T2 clocked in.
        volume = by_name(await area(client, b, "wip", window="today"))
        assert volume[("vehicle_entries", ())] == 2 and volume[("repair_orders_opened", ())] == 2
        assert by_name(await area(client, b, "money", window="today"))[("total_revenue", ())] == 230
        assert by_name(await area(client, b, "technicians", window="today"))[("technicians_clocked_in", ())] == 2

        async def both_on_metrics() -> bool:
            shown = entries_on_metrics((await client.get("/metrics")).text)
            return {site: shown.get(site) for site in (a, b)} == {a: 5, b: 2}  # (other tests' sites share the topics)

        await eventually(both_on_metrics, timeout=20)
        only_b = (await client.get("/metrics", params={"site": b})).text  # a scrape job for some sites only
        assert entries_on_metrics(only_b) == {b: 2} and "pitwall_consumer_events_total" in only_b

        only_a = auth(["manager"], [a])
        for path in ("summary", "technicians", "money", "radar", "msi", "targets", "reference-data"):
            response = await client.get(f"/kpi/sites/{b}/{path}", headers=only_a)
            assert response.status_code == 403, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        assert (await client.get(f"/kpi/sites/{a}/summary", headers=only_a)).status_code == 200
        response = await client.put(f"/kpi/sites/{b}/reference-data/2026-01", json={"leavers": 1}, headers=only_a)
        assert response.status_code == 403
        both = auth(["advisor"], [a, b])
        assert (await client.get(f"/kpi/sites/{b}/summary", headers=both)).status_code == 200


async def test_a_token_lists_the_sites_it_can_see(tmp_path: Path, kafka: str) -> None:
    a, b, c = new_site(), new_site(), new_site()
    tz, day = evening_zone()
    configured = [e for e in Day(a, tz, day).events() if e.type.endswith(".site.configured.v1")]
    arrived_b = [e for e in Day(b, tz, day).events() if e.type.endswith(".vehicle.arrived.v1")][:1]
    settings = kpi_settings(f"sqlite+aiosqlite:///{tmp_path}/kpi.db", kafka)
    await start_at_end_of_topics(settings)
    await publish(kafka, *configured, *arrived_b)
    app = app_for(settings)
    async with running(app) as client:
        await eventually(lambda: caught_up(app.state.runtime, kafka), timeout=60)
        listed = await client.get("/kpi/sites", headers=auth(["manager"], [a, b, c]))
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == [
            {"site_id": s, "name": "Scripted" if s == a else None, "time_zone": tz if s == a else None, "configured": s == a}
            for s in sorted((a, b))
        ]
        assert listed.json()["total"] == 2
        only_b = (await client.get("/kpi/sites", headers=auth(["advisor"], [b]))).json()
        assert [s["site_id"] for s in only_b["items"]] == [b]
        group = (await client.get("/kpi/sites", headers=auth(["manager"], ["*"]), params={"limit": 1})).json()
        assert len(group["items"]) == 1 and group["total"] >= 2  # every site seen (other tests' sites share the topics)
        assert (await client.get("/kpi/sites", headers=auth(["technician"], [a]))).status_code == 403

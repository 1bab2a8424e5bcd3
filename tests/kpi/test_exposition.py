"""/metrics text rendered when the figures are computed reads exactly as prometheus_client renders the same families."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from services.kpi.metrics import KpiMetrics
from tests.kpi.day import Day
from tests.kpi.harness import feed, memory_engine
from tests.kpi.support import evening_zone


async def test_the_pre_rendered_text_is_what_prometheus_client_renders() -> None:
    engine = await memory_engine()
    tz, day = evening_zone()
    await feed(engine, [Day("site-text-a", tz, day).events(), Day("site-text-b", tz, day).events()[::2]])
    collector = KpiMetrics(engine, refresh_seconds=5, debounce_seconds=0)
    await collector.refresh()
    await engine.dispose()
    registry = CollectorRegistry()
    registry.register(collector)
    text = collector.exposition()
    assert text == generate_latest(registry).decode()
    assert text.count("# TYPE pitwall_kpi_vehicle_entries gauge") == 1  # both sites' samples under one header
    assert 'pitwall_kpi_vehicle_entries{site="site-text-a",window="today"} 5.0' in text
    assert 'pitwall_kpi_wait_seconds_bucket{kind="reception",le="+Inf",site="site-text-a",window="today"} 5.0' in text

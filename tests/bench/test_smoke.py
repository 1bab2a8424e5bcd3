"""Every benchmark at tiny sizes, so none of them rots: each runs end to end and reports sane figures.

(Figures are never asserted against targets here: performance is checked by the benchmarks run by hand.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import freshness, replay, write_path
from bench.common import own_broker
from tools.localkafka import KafkaToolError
from tools.ports import free_port


@pytest.fixture(scope="module")
def bench_kafka() -> Iterator[str]:
    """A broker of the benchmarks' own (never the shared one: a replay reads its topics from offset 0)."""
    try:
        with own_broker(free_port(), free_port()) as bootstrap:
            yield bootstrap
    except KafkaToolError as exc:
        pytest.fail(f"the benchmarks' own Kafka did not start: {exc}")


def written(report: object, path: Path) -> dict:
    """What the benchmark wrote to its JSON file (what a reader of the results sees)."""
    report.finish(path)  # type: ignore[attr-defined]
    data = json.loads(path.read_text())
    assert set(data) == {"benchmark", "params", "machine", "figures", "targets"}
    return dict(data)


async def test_replay_smoke(bench_kafka: str, tmp_path: Path) -> None:
    data = written(await replay.run(replay.Options(events=2000, sites=4), bench_kafka, tmp_path), tmp_path / "replay.json")
    figures = data["figures"]
    assert figures["log"]["events"] == 2000 and len(figures["log"]["by_type"]) >= 30  # the simulator's mix, not one kind
    assert figures["bare_before"]["events"] == figures["bare_after"]["events"] == 2000
    outcomes = figures["replay"]["outcomes"]
    assert outcomes["applied"] == 2000 and {k for k, n in outcomes.items() if n} <= {"applied", "duplicate"}  # none ignored or dead-lettered
    assert figures["ratio"] == pytest.approx(figures["replay"]["events_per_second"] / figures["bare_events_per_second"], rel=1e-3, abs=1e-4)
    assert 20 < figures["replay"]["rss_mb_after_settle"] < 2000
    assert set(data["targets"]) == {"replay ÷ bare", "memory MB"}


async def test_write_path_smoke(bench_kafka: str, tmp_path: Path, pg_server: str | None) -> None:
    options = write_path.Options(requests=20, concurrency=4, rate=20.0, seconds=1.0, rounds=2, sites=2)
    data = written(await write_path.run(options, bench_kafka, tmp_path), tmp_path / "write.json")
    for kind in ("sqlite", "postgres"):
        result = data["figures"][kind]
        assert result["bare"]["statuses"] == {"201": 20} and result["open_ro"]["statuses"] == {"201": 20}
        assert result["bare_open_loop"]["statuses"] == {"201": 20} and result["open_ro_open_loop"]["statuses"] == {"201": 20}
        assert 0 < result["open_ro"]["p50_ms"] <= result["open_ro"]["p99_ms"]
        assert result["ratio"] == pytest.approx(result["open_ro"]["requests_per_second"] / result["bare"]["requests_per_second"], rel=1e-3, abs=1e-4)


async def test_freshness_smoke(bench_kafka: str, tmp_path: Path) -> None:
    options = freshness.Options(sites=1, speed=300.0, ros=4, seconds=3.0, warmup=3.0, probe_interval=0.5)
    data = written(await freshness.run(options, bench_kafka, tmp_path), tmp_path / "freshness.json")
    figures = data["figures"]
    assert figures["probes"] == figures["count"] == 6  # every probe was seen on /metrics
    assert 0 <= figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"] < 60_000
    assert figures["events_per_second"]["mean"] > 0  # the simulated site's load was flowing
    assert not figures["load_ended_early"]


async def test_freshness_direct_load_smoke(bench_kafka: str, tmp_path: Path) -> None:
    options = freshness.Options(load="direct", sites=2, rate=20.0, seconds=2.0, warmup=2.0, probe_interval=0.5)
    data = written(await freshness.run(options, bench_kafka, tmp_path), tmp_path / "freshness.json")
    figures = data["figures"]
    assert figures["probes"] == figures["count"] == 4
    assert figures["applied_to_metrics"]["count"] == figures["topic_to_applied"]["count"] == 4  # each probe seen in kpi's database
    assert 10 <= figures["events_per_second"]["mean"] <= 30  # the steady rate asked for, give or take a second's edges
    assert figures["full_metrics_bytes"] > figures["metrics_bytes"] > 0  # every site's figures, and the probe site's alone


"""The Grafana boards: generated from code, committed as generated, provisioned where compose mounts them."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from types import ModuleType

import yaml

from tests.deploy.stack import ROOT

GRAFANA = ROOT / "deploy" / "grafana"
METRIC = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")


def generator() -> ModuleType:
    """deploy/grafana/generate.py as a module."""
    spec = importlib.util.spec_from_file_location("pitwall_grafana_generate", GRAFANA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def boards() -> dict[str, dict]:
    return {path.name: json.loads(path.read_text()) for path in sorted((GRAFANA / "dashboards").glob("*.json"))}


def test_the_committed_boards_are_exactly_what_the_generator_writes() -> None:
    rendered = generator().render()
    committed = {path.name: path.read_text() for path in (GRAFANA / "dashboards").glob("*.json")}
    assert set(rendered) == set(committed)
    for name, content in rendered.items():
        assert committed[name] == content, f"{name} is stale: run .venv/bin/python deploy/grafana/generate.py"


def test_grafana_provisions_the_datasource_and_the_boards_where_compose_mounts_them() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in mounts
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in mounts
    (source,) = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    assert "prometheus" in compose["services"]
    (provider,) = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "pitwall.yml").read_text())["providers"]
    assert provider["type"] == "file" and provider["options"]["path"] == "/var/lib/grafana/dashboards"
    for name, board in boards().items():
        refs = [board["templating"]["list"][0]["datasource"]]
        for panel in board["panels"]:
            refs += [ref for ref in [panel.get("datasource"), *(t["datasource"] for t in panel.get("targets", []))] if ref]
        assert {ref["uid"] for ref in refs} == {source["uid"]}, name


def test_every_query_reads_the_site_series_of_the_chosen_site() -> None:
    # Only `site:*` recorded series (one copy per site, however many KPI instances) or the targets; always $site.
    for name, board in boards().items():
        (variable,) = board["templating"]["list"]
        assert variable["name"] == "site" and variable["query"].startswith("label_values(site:"), name
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                assert all(metric.startswith(("site:", "pitwall:")) for metric in METRIC.findall(expr)), expr
                assert METRIC.findall(expr) and expr.count('site="$site"') == len(METRIC.findall(expr)), expr


def test_the_wall_is_a_few_large_panels_refreshed_every_few_seconds() -> None:
    wall = next(board for board in boards().values() if board["uid"] == "pitwall-wall")
    assert wall["refresh"] in {"5s", "10s"}
    panels = wall["panels"]
    assert 8 <= len(panels) <= 16
    assert all(panel["gridPos"]["w"] >= 4 and panel["gridPos"]["h"] >= 6 for panel in panels)
    assert all(panel["options"]["text"]["titleSize"] >= 24 for panel in panels)
    cells = sum(panel["gridPos"]["w"] * panel["gridPos"]["h"] for panel in panels)
    bottom = max(panel["gridPos"]["y"] + panel["gridPos"]["h"] for panel in panels)
    assert cells == 24 * bottom, "the wall has holes or overlaps"


def test_the_boards_are_in_the_model_of_the_grafana_compose_runs() -> None:
    # The SDK is pinned in the flavour of compose's Grafana; Grafana 11.1 reads schema 39, and `style` is gone from it.
    grafana = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["grafana"]["image"].rpartition(":")[2]
    (sdk,) = re.findall(r"^grafana-foundation-sdk==\d+!(\S+)$", (ROOT / "requirements.lock").read_text(), flags=re.MULTILINE)
    assert sdk == grafana
    for name, board in boards().items():
        assert board["schemaVersion"] == 39, name
        assert "style" not in board, name

"""The compose file validates with Debian's docker-compose (no Docker engine needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose_config(tmp_path: Path) -> dict:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text())
    result = subprocess.run(
        [binary, "--env-file", str(env_file), "--profile", "oem-simulator", "config"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_compose_file_validates_and_holds_the_whole_system(tmp_path: Path) -> None:
    config = compose_config(tmp_path)
    services = config["services"]
    assert {"kafka", "postgres", "reception", "workshop", "parts", "kpi", "oem-simulator", "prometheus", "grafana"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    for name in ("reception", "workshop", "parts", "kpi"):
        service = services[name]
        assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["environment"][f"PITWALL_{name.upper()}_DATABASE_URL"].endswith(f"@postgres:5432/{name}")
    assert set(config["volumes"]) >= {"kafka-data", "postgres-data", "prometheus-data", "grafana-data"}


def binds(service: dict) -> dict[str, str]:
    """Container path → host path of a service's bind mounts (`host:container[:mode]` as docker-compose 1 prints them)."""
    found = {}
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("/"):
            found[target] = source
    return found


def test_prometheus_and_grafana_get_the_repo_s_rules_and_boards(tmp_path: Path) -> None:
    services = compose_config(tmp_path)["services"]
    prometheus = binds(services["prometheus"])
    assert Path(prometheus["/etc/prometheus"]) == ROOT / "deploy" / "prometheus"  # prometheus.yml reads rules/*.yml there
    grafana = binds(services["grafana"])
    assert Path(grafana["/etc/grafana/provisioning"]) == ROOT / "deploy" / "grafana" / "provisioning"
    assert Path(grafana["/var/lib/grafana/dashboards"]) == ROOT / "deploy" / "grafana" / "dashboards"
    home = services["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (ROOT / "deploy" / "grafana" / "dashboards" / Path(home).name).exists()


def test_no_secret_is_committed() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "change-me" not in text
    assert "${PITWALL_JWT_SECRET:?" in text and "${POSTGRES_PASSWORD:?" in text
    assert "USER pitwall" in (ROOT / "deploy" / "Dockerfile").read_text()

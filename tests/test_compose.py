"""The compose file validates with Debian's docker-compose (no Docker engine needed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from services.kpi.settings import KpiSettings
from services.reception.settings import ReceptionSettings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / ".env.example").read_text()


def run_config(tmp_path: Path, env: str | None = None, *profiles: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` with this .env text (.env.example by default)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    env_file = tmp_path / ".env"
    env_file.write_text(EXAMPLE if env is None else env)
    return subprocess.run([binary, "--env-file", str(env_file), *(f"--profile={p}" for p in profiles), "config"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def compose_config(tmp_path: Path, env: str | None = None) -> dict:
    result = run_config(tmp_path, env, "oem-simulator")
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


def test_every_image_is_pinned_and_the_built_one_carries_the_project_s_version(tmp_path: Path) -> None:
    services = compose_config(tmp_path)["services"]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for name, service in services.items():
        image, _, tag = service["image"].rpartition(":")  # PostgreSQL releases are major.minor
        assert image and re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-[a-z]+)?", tag), f"{name}: {service['image']} is not an exact release"
        if "build" in service:
            assert service["image"] == f"pitwall/service:{version}", name
    bases = re.findall(r"^FROM (\S+)", (ROOT / "deploy" / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base) for base in bases), bases


def test_prometheus_and_grafana_say_when_they_are_ready(tmp_path: Path) -> None:
    services = compose_config(tmp_path)["services"]
    assert "http://127.0.0.1:9090/-/ready" in services["prometheus"]["healthcheck"]["test"]
    assert "http://127.0.0.1:3000/api/health" in services["grafana"]["healthcheck"]["test"]
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_nobody_sees_the_manager_s_revenue_without_signing_in(tmp_path: Path) -> None:
    grafana = compose_config(tmp_path)["services"]["grafana"]["environment"]
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "false"


def test_the_oem_endpoint_is_chosen_in_env_rather_than_defaulting_to_the_optional_simulator(tmp_path: Path) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${PITWALL_OEM_BASE_URL:?" in text
    without = "\n".join(line for line in EXAMPLE.splitlines() if not line.startswith("PITWALL_OEM_BASE_URL="))
    result = run_config(tmp_path, without)
    assert result.returncode != 0 and "PITWALL_OEM_BASE_URL" in result.stderr


def test_a_database_password_with_url_characters_reaches_the_database_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    password = "p@ss/w:rd%?#"
    services = compose_config(tmp_path, EXAMPLE.replace("POSTGRES_PASSWORD=change-me", f"POSTGRES_PASSWORD={password}"))["services"]
    for name, settings_class in (("reception", ReceptionSettings), ("kpi", KpiSettings)):
        for key, value in services[name]["environment"].items():
            monkeypatch.setenv(key, str(value))
        url = make_url(settings_class().resolved_database_url())
        assert (url.username, url.password, url.host, url.port, url.database) == ("pitwall", password, "postgres", 5432, name)

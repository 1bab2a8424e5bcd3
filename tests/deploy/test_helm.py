"""The Helm chart deploy/helm/pitwall, rendered with the default and the large group's values: every object is one that
Kubernetes (its OpenAPI schemas) and the operators (their CRDs' schemas) accept, and holds what running several
replicas needs — probes, limits, disruption budgets, secrets by reference, KPI members within the partitions."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from sqlalchemy.engine import make_url

from shared.consumer import dead_letter_topic
from shared.contracts import TOPICS
from shared.settings import default_consumer_group
from tests.deploy.stack import ROOT

CHART = ROOT / "deploy" / "helm" / "pitwall"
PROFILES = {"default": [], "large-group": ["-f", str(CHART / "values-large-group.yaml")]}
KUBERNETES = "1.30.0"  # the oldest minor still supported upstream when the chart was written; its schemas are stricter
SERVICES = ("reception", "workshop", "parts", "kpi")
API_SERVICES = ("reception", "workshop", "parts")
PUBLISHERS = ("reception", "workshop", "parts")  # the services whose outbox has rows to relay
KPI_READS = ("pitwall.reception.v1", "pitwall.workshop.v1", "pitwall.parts.v1", "pitwall.warranty.v1")
CRD_SCHEMAS = yaml.safe_load((Path(__file__).parent / "crd_schemas.yaml").read_text())["kinds"]
SECRET_ENV = re.compile(r"SECRET|PASSWORD|API_KEY|TOKEN")


def helm_binary() -> str:
    """The pinned helm that tools/helm.sh builds (or PITWALL_HELM); missing, a failure in CI and a skip elsewhere."""
    version = re.search(r"^HELM_VERSION=(\S+)$", (ROOT / "tools" / "helm.sh").read_text(), re.MULTILINE)
    assert version is not None
    cache = Path(os.environ.get("PITWALL_TOOLS_CACHE", Path.home() / ".cache" / "pitwall"))
    for candidate in (os.environ.get("PITWALL_HELM"), str(cache / "helm" / version.group(1) / "helm")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    message = f"helm {version.group(1)} is not installed: run `bash tools/helm.sh` (it builds it with go install)"
    if os.environ.get("CI") or os.environ.get("PITWALL_REQUIRE_INFRA"):
        pytest.fail(message)
    pytest.skip(message)


def render(*args: str) -> subprocess.CompletedProcess[str]:
    """`helm template` of the chart as release `pitwall` in namespace `pitwall`."""
    return subprocess.run([helm_binary(), "template", "pitwall", str(CHART), "--namespace", "pitwall",
                           "--kube-version", KUBERNETES, *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module", params=sorted(PROFILES))
def objects(request: pytest.FixtureRequest) -> Iterator[list[dict[str, Any]]]:
    """Every object the chart renders with one values profile."""
    result = render(*PROFILES[request.param])
    assert result.returncode == 0, result.stderr
    yield [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def deployment(objects: list[dict[str, Any]], service: str) -> dict[str, Any]:
    return of_kind(objects, "Deployment")[f"pitwall-{service}"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) == {"matchLabels"}, selector
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


def topic_partitions(objects: list[dict[str, Any]]) -> dict[str, int]:
    return {t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(objects, "KafkaTopic").values()}


def test_every_object_is_valid_for_kubernetes_or_its_operator(objects: list[dict[str, Any]]) -> None:
    invalid = []
    for obj in objects:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        crd = CRD_SCHEMAS.get(f"{obj['apiVersion']} {obj['kind']}")
        try:
            if crd is not None:
                jsonschema.Draft202012Validator(crd).validate(obj)
            else:
                kubernetes_validate.validate(obj, KUBERNETES, strict=True)
        except (jsonschema.ValidationError, kubernetes_validate.utils.SchemaNotFoundError) as exc:
            invalid.append(f"{where}: {getattr(exc, 'message', exc)}")
    assert invalid == []
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "ConfigMap",
            "ServiceMonitor", "PrometheusRule", "Kafka", "KafkaNodePool", "KafkaTopic", "Cluster"} <= kinds


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_helm_lint_finds_nothing_to_warn_about(profile: str) -> None:
    result = subprocess.run([helm_binary(), "lint", "--strict", "--kube-version", KUBERNETES, str(CHART), *PROFILES[profile]],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misspelt_field_is_caught() -> None:
    topic = {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
             "metadata": {"name": "t", "labels": {"strimzi.io/cluster": "c"}}, "spec": {"partitons": 3}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(CRD_SCHEMAS["kafka.strimzi.io/v1 KafkaTopic"]).validate(topic)
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"},
           "spec": {"maxUnavaliable": 1}}
    with pytest.raises(jsonschema.ValidationError):
        kubernetes_validate.validate(pdb, KUBERNETES, strict=True)


def test_every_service_runs_with_probes_limits_and_a_disruption_budget(objects: list[dict[str, Any]]) -> None:
    budgets = of_kind(objects, "PodDisruptionBudget").values()
    assert sorted(of_kind(objects, "Deployment")) == sorted([*(f"pitwall-{s}" for s in SERVICES),
                                                             *(f"pitwall-{s}-relay" for s in PUBLISHERS)])
    for name, workload in of_kind(objects, "Deployment").items():
        pod = workload["spec"]["template"]
        main = pod["spec"]["containers"]
        assert [(c["readinessProbe"]["httpGet"]["path"], c["livenessProbe"]["httpGet"]["path"]) for c in main] \
            == [("/readyz", "/healthz")], name
        for container in main + pod["spec"].get("initContainers", []):
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), (name, container["name"])
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), (name, container["name"])
        covering = [b for b in budgets if selects(b["spec"]["selector"], pod["metadata"]["labels"])]
        assert len(covering) == 1, name
        assert selects(workload["spec"]["selector"], pod["metadata"]["labels"])


def test_each_service_migrates_its_own_database_before_it_serves(objects: list[dict[str, Any]]) -> None:
    for service in SERVICES:
        pod = deployment(objects, service)["spec"]["template"]["spec"]
        (init,) = pod["initContainers"]
        assert init["command"] == ["python", "/migrate/migrate.py", service]
        urls = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert urls[f"PITWALL_{service.upper()}_DATABASE_URL"].endswith(f"/{service}")
        assert {e["name"]: e.get("value") for e in init["env"]} == urls
    script = of_kind(objects, "ConfigMap")["pitwall-migrate"]["data"]["migrate.py"]
    assert script == (CHART / "files" / "migrate.py").read_text()


def test_api_services_scale_on_cpu_and_the_kpi_does_not(objects: list[dict[str, Any]]) -> None:
    autoscalers = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(objects, "HorizontalPodAutoscaler").values()}
    assert sorted(autoscalers) == sorted(f"pitwall-{s}" for s in API_SERVICES)
    for service in API_SERVICES:
        assert "replicas" not in deployment(objects, service)["spec"]  # the autoscaler owns the count
        (metric,) = autoscalers[f"pitwall-{service}"]["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert autoscalers[f"pitwall-{service}"]["spec"]["minReplicas"] >= 2
    assert deployment(objects, "kpi")["spec"]["replicas"] >= 1


def test_one_relay_reads_each_services_outbox(objects: list[dict[str, Any]]) -> None:
    """Two relays on one outbox send the same rows (tests/hardening/test_replicas.py): one pod relays, replaced by Recreate."""
    relaying: dict[str, list[str]] = {}
    for name, workload in of_kind(objects, "Deployment").items():
        env = {e["name"]: e.get("value") for e in workload["spec"]["template"]["spec"]["containers"][0]["env"]}
        (database,) = [value for key, value in env.items() if key.endswith("_DATABASE_URL")]
        service = database.rsplit("/", 1)[-1]
        if env.get(f"PITWALL_{service.upper()}_RUN_RELAY", "true") != "false":
            relaying.setdefault(service, []).append(name)
    assert {s: relaying[s] for s in PUBLISHERS} == {s: [f"pitwall-{s}-relay"] for s in PUBLISHERS}
    targets = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(objects, "HorizontalPodAutoscaler").values()}
    for service in PUBLISHERS:
        relay = deployment(objects, f"{service}-relay")
        assert relay["spec"]["replicas"] == 1 and relay["spec"]["strategy"] == {"type": "Recreate"}
        assert f"pitwall-{service}-relay" not in targets
        env = {e["name"]: e.get("value") for e in relay["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env[f"PITWALL_{service.upper()}_RUN_CONSUMER"] == "false"  # the serving pods consume, in their group


def test_kpi_members_do_not_outnumber_the_partitions_they_share(objects: list[dict[str, Any]]) -> None:
    partitions = topic_partitions(objects)
    read = {partitions[topic] for topic in KPI_READS}
    assert len(read) == 1, "a site's events on every topic reach one KPI member only with equal partition counts"
    assert deployment(objects, "kpi")["spec"]["replicas"] <= read.pop()


def test_the_topics_are_the_services_topics_and_keep_the_log(objects: list[dict[str, Any]]) -> None:
    partitions = topic_partitions(objects)
    groups = [default_consumer_group(s) for s in SERVICES]
    assert sorted(partitions) == sorted([*TOPICS.values(), *(dead_letter_topic(g) for g in groups)])
    for topic in of_kind(objects, "KafkaTopic").values():
        retention = topic["spec"]["config"]["retention.ms"]
        assert retention == -1 if topic["spec"]["topicName"] in TOPICS.values() else retention > 0
    (kafka,) = of_kind(objects, "Kafka").values()
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    bootstrap = f"{kafka['metadata']['name']}-kafka-bootstrap:9092"
    for service in SERVICES:
        env = {e["name"]: e.get("value") for e in deployment(objects, service)["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["PITWALL_KAFKA_BOOTSTRAP"] == bootstrap


def test_secrets_are_referenced_never_inlined(objects: list[dict[str, Any]]) -> None:
    assert of_kind(objects, "Secret") == {}
    (cluster,) = of_kind(objects, "Cluster").values()
    referenced = set()
    for workload in of_kind(objects, "Deployment").values():
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"] + pod["initContainers"]:
            for env in container["env"]:
                if SECRET_ENV.search(env["name"]):
                    assert set(env) == {"name", "valueFrom"}, env
                    referenced.add(env["valueFrom"]["secretKeyRef"]["name"])
                elif env["name"].endswith("DATABASE_URL"):
                    assert make_url(env["value"]).password is None, env  # the password comes from the Secret
    assert referenced == {"pitwall-jwt", "pitwall-oem", f"{cluster['metadata']['name']}-app"}
    rendered = yaml.safe_dump_all(objects)
    assert "pitwall-dev-secret" not in rendered


def test_only_the_gateway_and_prometheus_reach_the_services(objects: list[dict[str, Any]]) -> None:
    (policy,) = of_kind(objects, "NetworkPolicy").values()
    for service in SERVICES:
        assert selects(policy["spec"]["podSelector"], deployment(objects, service)["spec"]["template"]["metadata"]["labels"])
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    peers = [(p["namespaceSelector"]["matchLabels"], p["podSelector"]["matchLabels"]) for p in rule["from"]]
    assert peers == [({"kubernetes.io/metadata.name": "ingress-nginx"}, {"app.kubernetes.io/name": "ingress-nginx"}),
                     ({"kubernetes.io/metadata.name": "monitoring"}, {"app.kubernetes.io/name": "prometheus"})]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]


def test_prometheus_scrapes_every_service_and_grafana_gets_the_boards(objects: list[dict[str, Any]]) -> None:
    (monitor,) = of_kind(objects, "ServiceMonitor").values()
    services = of_kind(objects, "Service")
    assert sorted(n for n, s in services.items() if selects(monitor["spec"]["selector"], s["metadata"]["labels"])) \
        == sorted(services) == sorted(of_kind(objects, "Deployment"))
    assert [(e["port"], e["path"]) for e in monitor["spec"]["endpoints"]] == [("http", "/metrics")]
    boards = {name: data for cm in of_kind(objects, "ConfigMap").values()
              if cm["metadata"]["labels"].get("grafana_dashboard") == "1" for name, data in cm["data"].items()}
    committed = {p.name: json.loads(p.read_text()) for p in (ROOT / "deploy" / "grafana" / "dashboards").glob("*.json")}
    assert {name: json.loads(data) for name, data in boards.items()} == committed
    rules = {r["metadata"]["name"]: r["spec"] for r in of_kind(objects, "PrometheusRule").values()}
    for path in (ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"):
        assert rules[f"pitwall-{path.stem}"] == yaml.safe_load(path.read_text())


@pytest.mark.parametrize("inlined", ["secrets.jwt.value=s3cret", "services.parts.env.PITWALL_DATABASE_PASSWORD=s3cret",
                                     "services.kpi.env.PITWALL_KPI_JWT_SECRET=s3cret"])
def test_the_chart_refuses_a_secret_given_as_a_value(inlined: str) -> None:
    result = render("--set", inlined)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr


def test_the_chart_refuses_more_kpi_members_than_partitions() -> None:
    result = render("--set", "services.kpi.replicas=7", "--set", "kafka.topics.partitions=6")
    assert result.returncode != 0
    assert "services.kpi.replicas must not exceed kafka.topics.partitions" in result.stderr


def test_the_chart_refuses_a_cpu_autoscaler_on_the_kpi() -> None:
    result = render("--set", "services.kpi.autoscaling.enabled=true")
    assert result.returncode != 0
    assert "consumer-group members" in result.stderr


def test_an_existing_kafka_and_postgresql_are_used_as_given() -> None:
    result = render("--set", "kafka.strimzi.enabled=false", "--set", "kafka.bootstrap=kafka.data:9092",
                    "--set", "postgresql.cluster.enabled=false", "--set", "postgresql.host=pg.data",
                    "--set", "secrets.database.existingSecret=pitwall-db")
    assert result.returncode == 0, result.stderr
    objects = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert not {"Kafka", "KafkaNodePool", "KafkaTopic", "Cluster"} & {o["kind"] for o in objects}
    env = {e["name"]: e for e in deployment(objects, "parts")["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["PITWALL_KAFKA_BOOTSTRAP"]["value"] == "kafka.data:9092"
    assert env["PITWALL_PARTS_DATABASE_URL"]["value"] == "postgresql+asyncpg://pitwall@pg.data:5432/parts"
    assert env["PITWALL_DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "pitwall-db", "key": "password"}


async def test_the_migration_step_brings_a_database_to_head_with_replicas_starting_together(pg_url: str) -> None:
    env = {**os.environ, "PITWALL_WORKSHOP_DATABASE_URL": pg_url, "PYTHONPATH": str(ROOT)}
    steps = [await asyncio.create_subprocess_exec(sys.executable, str(CHART / "files" / "migrate.py"), "workshop", cwd=ROOT,
                                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for _ in range(3)]
    outputs = [(await step.communicate())[0].decode() for step in steps]
    assert [step.returncode for step in steps] == [0, 0, 0], outputs
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from shared.db import create_engine
    from shared.migrations import alembic_config

    engine = create_engine(pg_url)
    try:
        async with engine.connect() as connection:
            versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        await engine.dispose()
    assert versions == [ScriptDirectory.from_config(alembic_config("workshop")).get_current_head()]

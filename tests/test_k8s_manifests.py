"""deploy/k8s: every rendered manifest is valid for Kubernetes, and says what it must."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .kustomize import render

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
# The oldest Kubernetes the manifests are meant for (preStop `sleep` is GA from 1.30).
KUBERNETES_VERSION = "1.32"
WEB = {"app.kubernetes.io/name": "amrutam", "app.kubernetes.io/component": "web"}


def _tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/k8s with each overlay's *.env.example standing in for its *.env,
    which hold the real secrets and are never committed."""
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("*.env"))
    for example in copy.glob("overlays/*/*.env.example"):
        shutil.copy(example, example.with_suffix(""))
    return copy


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tree(tmp_path_factory)


@pytest.fixture(scope="module")
def production(tree: Path) -> list[dict[str, Any]]:
    return render(tree / "overlays" / "production")


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    containers = obj["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


@pytest.mark.parametrize("kustomization", ["base", "overlays/production"])
def test_every_rendered_manifest_validates_against_the_kubernetes_schemas(tree, kustomization):
    objects = render(tree / kustomization)

    assert objects
    for obj in objects:
        # strict: a field the schema does not know is an error, not ignored.
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_a_misspelt_field(production):
    web = _one(production, "Deployment", "amrutam-web")
    broken = yaml.safe_load(yaml.safe_dump(web))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_the_python_rendering_is_what_kubectl_kustomize_renders(tree, production):
    out = subprocess.run(
        ["kubectl", "kustomize", str(tree / "overlays" / "production")],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    by_kubectl = [doc for doc in yaml.safe_load_all(out) if doc]

    def key(obj: dict[str, Any]) -> tuple[str, str]:
        return obj["kind"], obj["metadata"]["name"]

    assert sorted(production, key=key) == sorted(by_kubectl, key=key)


def test_the_web_is_ready_on_ready_and_alive_on_health(production):
    web = _container(_one(production, "Deployment", "amrutam-web"))

    assert web["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert web["livenessProbe"]["httpGet"]["path"] == "/health"
    assert web["startupProbe"]["httpGet"]["path"] == "/health"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert web[probe]["httpGet"]["port"] == "http"
        # Django answers 400 to a Host outside ALLOWED_HOSTS, which would fail the probe.
        host = web[probe]["httpGet"]["httpHeaders"] == [{"name": "Host", "value": "localhost"}]
        assert host
    config = _one(production, "ConfigMap", "amrutam-config")
    assert "localhost" in config["data"]["ALLOWED_HOSTS"].split(",")


def test_every_container_states_its_resources(production):
    owners = [o for o in production if o["kind"] in ("Deployment", "Job")]

    assert {o["metadata"]["name"] for o in owners} == {
        "amrutam-web",
        "amrutam-worker",
        "amrutam-beat",
        "amrutam-migrate",
    }
    for owner in owners:
        resources = _container(owner)["resources"]
        assert set(resources["requests"]) == {"cpu", "memory"}, owner["metadata"]["name"]
        assert "memory" in resources["limits"], owner["metadata"]["name"]


def test_the_web_keeps_serving_through_disruptions_and_scales_on_cpu(production):
    web = _one(production, "Deployment", "amrutam-web")
    pdb = _one(production, "PodDisruptionBudget", "amrutam-web")
    hpa = _one(production, "HorizontalPodAutoscaler", "amrutam-web")

    assert web["spec"]["template"]["metadata"]["labels"] == WEB
    assert pdb["spec"]["selector"]["matchLabels"] == WEB
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "amrutam-web",
    }
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    # A drain must be able to evict one pod even at the smallest scale.
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_beat_runs_as_one_replica_that_is_replaced_not_rolled(production):
    from django.conf import settings

    beat = _one(production, "Deployment", "amrutam-beat")

    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert _container(beat)["command"][:4] == ["celery", "-A", "amrutam", "beat"]
    # Its lock: each run is claimed in the database first, should two beats overlap.
    assert settings.CELERY_BEAT_SCHEDULER == "notifications.beat:LockingScheduler"


def test_migrations_run_in_the_job_and_never_in_the_pods(production):
    job = _one(production, "Job", "amrutam-migrate")

    assert _container(job)["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    for name in ("amrutam-web", "amrutam-worker", "amrutam-beat"):
        assert "migrate" not in _container(_one(production, "Deployment", name))["command"]


def test_metrics_are_routed_nowhere_and_the_web_pods_admit_only_the_proxy_and_prometheus(
    production,
):
    ingress = _one(production, "Ingress", "amrutam-web")
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    web_policy = _one(production, "NetworkPolicy", "amrutam-web")
    background = _one(production, "NetworkPolicy", "amrutam-background")

    for path in paths:
        assert path["pathType"] == "Prefix"
        for internal in ("/metrics", "/health", "/ready"):
            assert not (internal + "/").startswith(path["path"].rstrip("/") + "/"), path
    assert web_policy["spec"]["podSelector"]["matchLabels"] == WEB
    assert web_policy["spec"]["policyTypes"] == ["Ingress"]
    [rule] = web_policy["spec"]["ingress"]
    namespaces = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for peer in rule["from"]
    }
    assert namespaces == {"ingress-nginx", "monitoring"}
    assert all("podSelector" in peer for peer in rule["from"])
    assert background["spec"]["ingress"] == []
    assert background["spec"]["policyTypes"] == ["Ingress"]


def test_keys_and_urls_come_from_secrets_never_the_config_map(production):
    config = _one(production, "ConfigMap", "amrutam-config")["data"]
    secrets = {o["metadata"]["name"] for o in production if o["kind"] == "Secret"}
    examples = "".join(p.read_text() for p in K8S.glob("overlays/production/*.env.example"))
    secret_keys = {line.split("=")[0] for line in examples.splitlines() if "=" in line}

    for name in ("JWT_SECRET", "ENCRYPTION_KEY", "DATABASE_URL", "RAZORPAY_KEY_SECRET"):
        assert name in secret_keys
        assert name not in config
    for owner in [o for o in production if o["kind"] in ("Deployment", "Job")]:
        refs = {
            source["secretRef"]["name"]
            for source in _container(owner)["envFrom"]
            if "secretRef" in source
        }
        assert refs == secrets == {"amrutam-keys", "amrutam-connections"}


def test_the_pods_run_as_the_images_unprivileged_user_on_a_read_only_root(production):
    for owner in [o for o in production if o["kind"] in ("Deployment", "Job")]:
        pod = owner["spec"]["template"]["spec"]
        container = _container(owner)

        assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
        assert pod["automountServiceAccountToken"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        # The only writable place: gunicorn's control socket, metrics files, beat schedule.
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]  # noqa: S108


def test_docker_compose_runs_the_same_commands_in_the_same_order(production):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    job = _one(production, "Job", "amrutam-migrate")

    assert compose["migrate"]["command"] == _container(job)["command"]
    assert compose["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    for service, deployment in (("worker", "amrutam-worker"), ("beat", "amrutam-beat")):
        assert (
            compose[service]["command"]
            == _container(_one(production, "Deployment", deployment))["command"]
        )
    assert "/ready" in " ".join(compose["app"]["healthcheck"]["test"])
    assert compose["pgbouncer"]["profiles"] == ["pgbouncer"]
    assert "pool_mode = transaction" in (ROOT / "deploy/pgbouncer/pgbouncer.ini").read_text()
    # The image's own command serves; migrating is the step above, never every start.
    assert "migrate" not in (ROOT / "Dockerfile").read_text().split("CMD", 1)[1]

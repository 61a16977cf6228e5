"""deploy/k8s: every manifest validates against the Kubernetes schemas (kubernetes-validate,
strict: no unknown fields); the RabbitmqCluster custom resource, for which the validator has no
schema, and the Kustomization are checked by hand. Every service has probes, limits and its
config; the consumers and the gateway scale with an HPA."""

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).parents[2] / "deploy" / "k8s"
SERVICES = {
    "gateway": 8000,
    "case-service": 8101,
    "notification-service": 8102,
    "report-service": 8103,
    "retention-service": 8104,
}
AUTOSCALED = {"gateway", "case-service", "notification-service", "report-service"}
KUBERNETES = "1.31.0"
NOT_IN_SCHEMAS = {("rabbitmq.com/v1beta1", "RabbitmqCluster")}


def documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


@pytest.mark.parametrize(
    "doc",
    [d for d in documents() if (d["apiVersion"], d["kind"]) not in NOT_IN_SCHEMAS],
    ids=lambda d: f"{d['kind']}/{d['metadata']['name']}",
)
def test_manifest_is_valid(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_deployments_have_probes_limits_and_config() -> None:
    deployments = by_kind("Deployment")
    services = by_kind("Service")
    assert set(deployments) == set(SERVICES)
    for name, port in SERVICES.items():
        pod = deployments[name]["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        assert container["command"] == [name]
        assert container["ports"][0]["containerPort"] == port
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, name
        sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
        assert sources == {"arende-config", "arende-secrets"}
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(port)
        assert services[name]["spec"]["ports"][0]["port"] == port


def test_consumers_and_gateway_autoscale() -> None:
    hpas = by_kind("HorizontalPodAutoscaler")
    assert set(hpas) == AUTOSCALED
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        assert hpa["spec"]["minReplicas"] >= 1 < hpa["spec"]["maxReplicas"]


def test_config_has_the_spec_environment() -> None:
    config = by_kind("ConfigMap")["arende-config"]["data"]
    secret = by_kind("Secret")["arende-secrets"]["stringData"]
    for key in ("RABBITMQ_URL", "DATABASE_URL", "INTERNAL_API_TOKEN", "BOOTSTRAP_ADMIN_PASSWORD"):
        assert key in secret, key
    for key in ("SMTP_HOST", "SMTP_PORT", "SMS_GATEWAY_URL", "GATEWAY_PORT"):
        assert key in config, key
    assert not set(config) & set(secret)


def test_every_variable_is_read_by_a_service(settings_variables: set[str]) -> None:
    """A misspelt variable in the ConfigMap or Secret would be ignored silently."""
    config = by_kind("ConfigMap")["arende-config"]["data"]
    secret = by_kind("Secret")["arende-secrets"]["stringData"]
    assert not (set(config) | set(secret)) - settings_variables


def test_rabbitmq_is_a_three_node_cluster_with_metrics() -> None:
    (cluster,) = [d for d in documents() if d["kind"] == "RabbitmqCluster"]
    spec = cluster["spec"]
    assert spec["replicas"] == 3
    assert "rabbitmq_prometheus" in spec["rabbitmq"]["additionalPlugins"]
    assert "quorum_queue.initial_cluster_size = 3" in spec["rabbitmq"]["additionalConfig"]
    assert spec["persistence"]["storage"]
    assert set(spec["resources"]) == {"requests", "limits"}

"""The Helm chart, rendered offline and checked manifest by manifest.

helm-python-sdk renders and lints the chart with Helm's own Go library, no
helm binary and no cluster; kubernetes-validate checks every rendered
manifest against the Kubernetes API's schemas (strict: unknown fields are
errors). What only the kind workflow checks: that the API server accepts
them, and that the operator then runs with the permissions granted here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.operator.support import crd

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "echosphere"
K8S_VERSION = "1.30.0"

helm.disable_logging()


def ci_values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "ci" / "ci-values.yaml").read_text())
    return loaded


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    chart = helm.Chart.load(CHART)
    files = chart.render(values, name="echo", namespace="echo-system", is_install=True)
    manifests = []
    for path, text in files.items():
        if path.endswith(".txt"):
            continue
        manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return manifests


def notes(values: dict[str, Any] | None = None) -> str:
    chart = helm.Chart.load(CHART)
    files = chart.render(values, name="echo", namespace="echo-system", is_install=True)
    return files["echosphere/templates/NOTES.txt"]


VALUES = {"default": None, "ci": ci_values()}


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_chart_lints_clean(values: dict[str, Any] | None) -> None:
    report = helm.lint(CHART, values, strict=True, kube_version=f"v{K8S_VERSION}")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_every_rendered_manifest_validates(values: dict[str, Any] | None) -> None:
    manifests = render(values)
    kinds = sorted(m["kind"] for m in manifests)
    assert "Deployment" in kinds and "ServiceAccount" in kinds
    for manifest in manifests:
        if manifest["kind"] == "EchoCluster":
            _, errors = crd.admit(manifest)
            assert errors == [], errors
        else:
            kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


def test_default_values_install_no_cluster_and_a_cluster_role() -> None:
    kinds = {m["kind"] for m in render()}
    assert kinds == {"Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Service"}


def test_ci_values_install_namespaced_roles_and_a_cluster() -> None:
    manifests = render(ci_values())
    kinds = {m["kind"] for m in manifests}
    assert {"Role", "RoleBinding", "EchoCluster"} <= kinds
    assert "ClusterRole" not in kinds
    (role,) = [m for m in manifests if m["kind"] == "Role"]
    assert role["metadata"]["namespace"] == "echosphere"


def operator_deployment(values: dict[str, Any] | None = None) -> dict[str, Any]:
    (deployment,) = [m for m in render(values) if m["kind"] == "Deployment"]
    return deployment


def test_operator_runs_alone_and_hardened() -> None:
    deployment = operator_deployment()
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["image"] == "ghcr.io/echosphere/echosphere-operator:0.1.0"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["ECHO_OPERATOR_NAMESPACES"] == ""
    assert container["resources"]["limits"]["memory"] == "256Mi"


def test_operator_settings_follow_the_values() -> None:
    values = copy.deepcopy(ci_values())
    values["operator"]["env"] = {"ECHO_OPERATOR_WIRING_TIMEOUT": "20"}
    (container,) = operator_deployment(values)["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["ECHO_OPERATOR_NAMESPACES"] == "echosphere"
    assert env["ECHO_OPERATOR_INTERVAL"] == "3"
    assert env["ECHO_OPERATOR_WIRING_TIMEOUT"] == "20"
    assert container["image"] == "echosphere-operator:e2e"


def rules(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    role = next(m for m in render(values) if m["kind"] in ("ClusterRole", "Role"))
    found: list[dict[str, Any]] = role["rules"]
    return found


def test_rbac_is_least_privilege() -> None:
    granted = rules()
    for rule in granted:
        for field in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[field], f"wildcard in {rule}"
    by_resource = {
        (group, resource): set(rule["verbs"])
        for rule in granted
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert by_resource[("", "secrets")] == {"get", "create"}, "no listing of Secrets"
    assert "delete" not in by_resource[("apps", "statefulsets")], "children go by GC"
    every_verb = {verb for rule in granted for verb in rule["verbs"]}
    assert not every_verb & {"escalate", "bind", "impersonate", "deletecollection"}
    assert by_resource[("echosphere.io", "echoclusters/status")] == {"get", "patch"}


def test_rbac_covers_everything_the_operator_writes() -> None:
    """Every kind the builders make is one the operator may apply."""
    from echosphere_operator import builders
    from echosphere_operator.kube import kind_of
    from echosphere_operator.names import ClusterRef
    from tests.operator.test_builders import everything

    granted = {
        (group, resource): set(rule["verbs"])
        for rule in rules()
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    for manifest in builders.children(ClusterRef("d", "n", "u"), everything(), node_replicas=1):
        group = manifest["apiVersion"].rpartition("/")[0]
        verbs = granted.get((group, kind_of(manifest).plural), set())
        assert {"get", "create", "patch"} <= verbs, manifest["kind"]


def test_values_schema_refuses_mistakes() -> None:
    schema = helm.Chart.load(CHART).schema
    assert schema is not None
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    jsonschema.validate(defaults, schema)
    jsonschema.validate(helm.Chart.load(CHART).merge_values(ci_values()), schema)
    for broken in (
        {"operator": {"logFormat": "xml"}},
        {"operator": {"watchNamespaces": ["Bad_Name"]}},
        {"cluster": {"enabled": True, "spec": {}}},
        {"unknown": 1},
    ):
        values = copy.deepcopy(defaults)
        for key, value in broken.items():
            values[key] = {**values.get(key, {}), **value} if isinstance(value, dict) else value
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(values, schema)
    with pytest.raises(helm.HelmError):
        helm.Chart.load(CHART).render({"operator": {"logFormat": "xml"}}, name="echo")


def test_the_chart_ships_the_crd_unchanged() -> None:
    chart = helm.Chart.load(CHART)
    (shipped,) = chart.crds
    assert yaml.safe_load(shipped["data"]) == crd.load_crd()


def test_notes_say_how_to_reach_the_cluster() -> None:
    assert "kubectl apply -f my-echocluster.yaml" in notes()
    with_cluster = notes(ci_values())
    assert "ws://chat.localtest.me/ws" in with_cluster
    assert "wait ec/demo --for=condition=Ready" in with_cluster

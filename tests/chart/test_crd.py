"""The EchoCluster CRD: its shape, its schema on good and bad samples, its rules.

The schema is checked by converting it to JSON Schema (tests.operator.support
.crd); the CEL rules cannot be evaluated here: each has a Python twin that
states its intent (tests.operator.support.cel), and every rule is checked to
be lexically plausible CEL. A real API server compiles and runs them in the
kind workflow.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.operator.support import crd
from tests.operator.support.cel import TWINS, plausible

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "kubernetes.md"


def doc_sample() -> dict[str, Any]:
    """The annotated EchoCluster of docs/kubernetes.md."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    samples = [yaml.safe_load(b) for b in blocks if "kind: EchoCluster" in b]
    assert len(samples) == 1, "docs/kubernetes.md has one annotated EchoCluster"
    sample: dict[str, Any] = samples[0]
    return sample


def minimal() -> dict[str, Any]:
    return {
        "apiVersion": "echosphere.io/v1alpha1",
        "kind": "EchoCluster",
        "metadata": {"name": "demo", "namespace": "chat"},
        "spec": {
            "messaging": {"secretRef": {"name": "rabbitmq"}},
            "redis": {"secretRef": {"name": "redis"}},
            "mongodb": {"secretRef": {"name": "mongodb"}},
        },
    }


def test_crd_is_a_valid_custom_resource_definition() -> None:
    kubernetes_validate.validate(crd.load_crd(), "1.30.0", strict=True)


def test_crd_names_subresources_and_columns() -> None:
    definition = crd.load_crd()
    spec = definition["spec"]
    assert definition["metadata"]["name"] == "echoclusters.echosphere.io"
    assert (spec["group"], spec["scope"]) == ("echosphere.io", "Namespaced")
    assert spec["names"]["kind"] == "EchoCluster" and spec["names"]["shortNames"] == ["ec"]
    (version,) = spec["versions"]
    assert version["name"] == "v1alpha1" and version["served"] and version["storage"]
    assert version["subresources"]["status"] == {}
    assert version["subresources"]["scale"] == {
        "specReplicasPath": ".spec.nodes.replicas",
        "statusReplicasPath": ".status.nodes.replicas",
        "labelSelectorPath": ".status.nodes.selector",
    }
    columns = [c["name"] for c in version["additionalPrinterColumns"]]
    assert columns == ["Ready", "Nodes", "Desired", "Connections", "Phase", "Age"]


def test_scale_paths_exist_in_the_schema() -> None:
    schema = crd.version_schema()
    scale = crd.load_crd()["spec"]["versions"][0]["subresources"]["scale"]
    for path in scale.values():
        node = schema
        for part in path.strip(".").split("."):
            node = node["properties"][part]
        assert node["type"] in ("integer", "string")


def test_conditions_in_status_are_the_documented_ones() -> None:
    from echosphere_operator.conditions import ORDER

    text = DOCS.read_text()
    for kind in ORDER:
        assert f"| `{kind}` |" in text, f"{kind} is not documented"


def test_the_docs_sample_is_accepted() -> None:
    stored, errors = crd.admit(doc_sample())
    assert errors == []
    assert stored["spec"]["nodes"]["autoscaling"]["enabled"] is False


def test_a_minimal_cluster_gets_every_default() -> None:
    stored, errors = crd.admit(minimal())
    assert errors == []
    spec = stored["spec"]
    assert spec["nodes"]["replicas"] == 2 and spec["nodes"]["drainTimeoutSeconds"] == 30
    assert spec["registry"] == {"type": "lease"}
    assert [e["name"] for e in spec["messaging"]["exchanges"]] == [
        "echosphere.direct",
        "echosphere.fanout",
    ]
    assert spec["messaging"]["secretRef"]["key"] == "url"
    assert spec["deletionPolicy"] == "Retain" and spec["ingress"]["enabled"] is True


def test_exchange_defaults_are_the_services_names() -> None:
    from echosphere.core.exchanges import DIRECT_EXCHANGE, FANOUT_EXCHANGE

    stored, _ = crd.admit(minimal())
    names = [e["name"] for e in stored["spec"]["messaging"]["exchanges"]]
    assert names == [DIRECT_EXCHANGE, FANOUT_EXCHANGE]


def broken(change: Any) -> dict[str, Any]:
    sample = minimal()
    change(sample)
    return sample


BROKEN = {
    "unknown field": (
        lambda s: s["spec"].update(nodez={"replicas": 3}),
        "Additional properties are not allowed ('nodez' was unexpected)",
    ),
    "missing messaging": (lambda s: s["spec"].pop("messaging"), "'messaging' is a required"),
    "bad enum": (
        lambda s: s["spec"].update(deletionPolicy="Orphan"),
        "spec.deletionPolicy: 'Orphan' is not one of ['Retain', 'Delete']",
    ),
    "negative replicas": (
        lambda s: s["spec"].update(nodes={"replicas": -1}),
        "spec.nodes.replicas: -1 is less than the minimum of 0",
    ),
    "grace shorter than drain": (
        lambda s: s["spec"].update(
            nodes={"drainTimeoutSeconds": 120, "terminationGracePeriodSeconds": 60}
        ),
        "spec.nodes: Invalid value: terminationGracePeriodSeconds must be at least",
    ),
    "min above max": (
        lambda s: s["spec"].update(nodes={"autoscaling": {"minReplicas": 8, "maxReplicas": 4}}),
        "nodes.autoscaling.minReplicas must not exceed maxReplicas",
    ),
    "zookeeper without connect": (
        lambda s: s["spec"].update(registry={"type": "zookeeper"}),
        "registry type zookeeper needs registry.zookeeper.connect",
    ),
    "tls without host": (
        lambda s: s["spec"].update(ingress={"tlsSecretName": "tls"}),
        "ingress.tlsSecretName needs ingress.host",
    ),
    "long name": (
        lambda s: s["metadata"].update(name="x" * 41),
        "an EchoCluster name has at most 40 characters",
    ),
    "bad setting name": (
        lambda s: s["spec"].update(settings={"LOG_LEVEL": "debug"}),
        "settings keys must be ECHO_* variable names",
    ),
    "bad bucket name": (
        lambda s: s["spec"].update(objectStorage={"secretRef": {"name": "m"}, "buckets": ["B_1"]}),
        "spec.objectStorage.buckets[0]: 'B_1' does not match",
    ),
    "bad exchange type": (
        lambda s: s["spec"]["messaging"].update(exchanges=[{"name": "x", "type": "queue"}]),
        "spec.messaging.exchanges[0].type: 'queue' is not one of",
    ),
}


@pytest.mark.parametrize(("change", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_clusters_are_refused_with_a_clear_message(change: Any, message: str) -> None:
    _, errors = crd.admit(broken(change))
    assert any(message in error for error in errors), errors


def test_provisioned_names_cannot_change() -> None:
    old, _ = crd.admit(
        broken(
            lambda s: s["spec"].update(
                objectStorage={"secretRef": {"name": "m"}, "buckets": ["media"]},
            )
        )
    )
    grown = copy.deepcopy(old)
    grown["spec"]["objectStorage"]["buckets"].append("avatars")
    grown["spec"]["messaging"]["exchanges"].append({"name": "extra", "type": "topic"})
    assert crd.admit(grown, old)[1] == [], "adding is fine"

    renamed = copy.deepcopy(old)
    renamed["spec"]["messaging"]["exchanges"][0]["name"] = "other.direct"
    renamed["spec"]["objectStorage"]["buckets"] = ["media2"]
    errors = crd.admit(renamed, old)[1]
    assert any("exchanges already provisioned cannot be renamed" in e for e in errors)
    assert any("buckets already provisioned cannot be renamed" in e for e in errors)


def test_every_cel_rule_has_a_twin_and_looks_like_cel() -> None:
    found = list(crd.rules())
    assert len(found) >= 9
    for path, rule, message in found:
        assert rule in TWINS, f"rule at {'.'.join(path)} has no Python twin: {rule}"
        assert plausible(rule) == [], (rule, plausible(rule))
        assert message and message[0].islower(), f"rule at {path} needs a message"
    assert set(TWINS) == {rule for _, rule, _ in found}, "a twin without a rule"


def test_the_plausibility_check_catches_broken_cel() -> None:
    assert plausible("self.a <= self.b") == []
    assert plausible("self.a <= (self.b") != []
    assert plausible("frobnicate(self.a)") != []
    assert plausible("self.a self.b") != []
    assert plausible("self.a == 'x") != []


def test_rules_needing_old_values_are_transition_rules_only_on_updates() -> None:
    """A transition rule is skipped on create, as the API server does."""
    sample = broken(
        lambda s: s["spec"].update(objectStorage={"secretRef": {"name": "m"}, "buckets": ["media"]})
    )
    assert crd.admit(sample)[1] == []

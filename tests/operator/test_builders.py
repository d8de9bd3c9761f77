"""Pure tests of every manifest the builders make: no API, no clock.

Each manifest is also validated against the Kubernetes API's own schemas
(kubernetes-validate, offline, strict: unknown fields are errors).
"""

from __future__ import annotations

import base64
import subprocess
import sys
from typing import Any

import kubernetes_validate
import pytest

from echosphere_operator import builders
from echosphere_operator.builders import access, api, config, nodes
from echosphere_operator.names import ClusterRef
from echosphere_operator.spec import ClusterSpec, parse_spec

K8S_VERSION = "1.30.0"
CLUSTER = ClusterRef(name="demo", namespace="chat", uid="u-1", generation=3)


def spec(**changes: Any) -> ClusterSpec:
    raw: dict[str, Any] = {
        "messaging": {"secretRef": {"name": "rabbitmq"}},
        "redis": {"secretRef": {"name": "redis", "key": "uri"}},
        "mongodb": {"secretRef": {"name": "mongodb"}},
        **changes,
    }
    return parse_spec(raw)


def everything() -> ClusterSpec:
    return spec(
        objectStorage={"secretRef": {"name": "minio"}, "buckets": ["avatars"]},
        search={"secretRef": {"name": "opensearch"}},
        api={"autoscaling": {"enabled": True}},
        ingress={"host": "chat.example.com", "tlsSecretName": "chat-tls"},
    )


def by_kind(manifests: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["kind"], m["metadata"]["name"]): m for m in manifests}


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.mark.parametrize("make", [spec, everything], ids=["minimal", "everything"])
def test_every_child_validates_against_the_kubernetes_schemas(make: Any) -> None:
    """kubernetes-validate (offline, strict) accepts every manifest."""
    manifests = builders.children(CLUSTER, make(), node_replicas=3)
    for manifest in manifests:
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    kubernetes_validate.validate(
        config.keys_secret(CLUSTER, config.new_keys()), K8S_VERSION, strict=True
    )


def test_every_child_is_owned_labelled_and_namespaced() -> None:
    for manifest in builders.children(CLUSTER, everything(), node_replicas=2):
        meta = manifest["metadata"]
        assert meta["namespace"] == "chat"
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "echosphere.io/v1alpha1",
                "kind": "EchoCluster",
                "name": "demo",
                "uid": "u-1",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert meta["labels"]["echosphere.io/cluster"] == "demo"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "echosphere-operator"


def test_node_statefulset_names_pods_after_nodes_and_drains_before_stopping() -> None:
    sts = nodes.statefulset(CLUSTER, spec(nodes={"drainTimeoutSeconds": 40}), replicas=3)
    assert sts["metadata"]["name"] == "demo-node" and sts["spec"]["replicas"] == 3
    assert sts["spec"]["serviceName"] == "demo-nodes"
    pod = sts["spec"]["template"]["spec"]
    (node,) = pod["containers"]
    assert node["args"] == ["serve", "node", "--host", "0.0.0.0", "--port", "8080"]  # noqa: S104
    env = env_of(node)
    assert env["ECHO_NODE_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["ECHO_NODE_ADDRESS"] == "ws://$(ECHO_NODE_ID).demo-nodes.chat.svc:8080/ws"
    assert env["ECHO_ADMIN_TOKEN"] == {"secretKeyRef": {"name": "demo-keys", "key": "admin-token"}}
    assert env["ECHO_KV_URL"] == {"secretKeyRef": {"name": "redis", "key": "uri"}}
    assert node["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert node["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert node["lifecycle"]["preStop"]["exec"]["command"][:2] == ["python", "-c"]
    assert pod["terminationGracePeriodSeconds"] == 55 >= 40
    assert node["envFrom"] == [{"configMapRef": {"name": "demo-config"}}]


def test_prestop_hook_is_valid_python_that_asks_for_a_drain() -> None:
    script = nodes.PRESTOP_DRAIN
    compile(script, "<preStop>", "exec")
    assert "/node/drain" in script and "ECHO_ADMIN_TOKEN" in script
    assert 'method="POST"' in script


def test_prestop_hook_gives_up_quietly_when_the_node_is_gone() -> None:
    """Run for real with nothing listening: it must end at once with status 0."""
    env = {"ECHO_ADMIN_TOKEN": "t" * 20, "ECHO_DRAIN_TIMEOUT": "5"}
    done = subprocess.run(
        [sys.executable, "-c", nodes.PRESTOP_DRAIN], env=env, timeout=10, check=False
    )
    assert done.returncode == 0


def test_grace_period_follows_the_drain_timeout_unless_set() -> None:
    assert spec(nodes={"drainTimeoutSeconds": 100}).nodes.termination_grace == 115
    set_grace = spec(nodes={"drainTimeoutSeconds": 100, "terminationGracePeriodSeconds": 300})
    assert set_grace.nodes.termination_grace == 300


def test_services_split_peers_from_the_ingress() -> None:
    headless = nodes.headless_service(CLUSTER, spec())
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    ws = nodes.websocket_service(CLUSTER, spec())
    assert ws["spec"]["type"] == "ClusterIP" and "publishNotReadyAddresses" not in ws["spec"]
    assert ws["spec"]["selector"] == headless["spec"]["selector"]
    assert ws["spec"]["selector"]["echosphere.io/role"] == "node"


def test_api_deployment_leaves_replicas_to_the_autoscaler() -> None:
    fixed = api.deployment(CLUSTER, spec(api={"replicas": 3}))
    assert fixed["spec"]["replicas"] == 3
    scaled = api.deployment(CLUSTER, spec(api={"autoscaling": {"enabled": True}}))
    assert "replicas" not in scaled["spec"]
    hpa = api.autoscaler(CLUSTER, spec(api={"autoscaling": {"enabled": True, "maxReplicas": 9}}))
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "demo-api",
    }
    assert hpa["spec"]["maxReplicas"] == 9
    (container,) = fixed["spec"]["template"]["spec"]["containers"]
    assert container["args"][:2] == ["serve", "api"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_ingress_sends_websockets_to_nodes_with_long_timeouts() -> None:
    ingress = access.ingress(CLUSTER, everything())
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600"
    assert notes["nginx.ingress.kubernetes.io/proxy-send-timeout"] == "3600"
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "chat.example.com"
    paths = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    assert paths == {"/ws": "demo-ws", "/": "demo-api"}
    assert ingress["spec"]["tls"] == [{"hosts": ["chat.example.com"], "secretName": "chat-tls"}]
    assert ingress["spec"]["ingressClassName"] == "nginx"


def test_user_ingress_annotations_win() -> None:
    mine = {"nginx.ingress.kubernetes.io/proxy-read-timeout": "60", "x/y": "z"}
    ingress = access.ingress(CLUSTER, spec(ingress={"annotations": mine}))
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"] == (
        "60"
    )
    assert "tls" not in ingress["spec"] and "host" not in ingress["spec"]["rules"][0]


def test_disruption_budgets_allow_one_pod_at_a_time() -> None:
    for role in ("api", "node"):
        pdb = access.disruption_budget(CLUSTER, spec(), role)
        assert pdb["spec"]["maxUnavailable"] == 1
        assert pdb["spec"]["selector"]["matchLabels"]["echosphere.io/role"] == role


def test_lease_permissions_only_with_the_lease_registry() -> None:
    lease = by_kind(builders.children(CLUSTER, spec(), node_replicas=1))
    assert ("Role", "demo-leases") in lease and ("RoleBinding", "demo-leases") in lease
    (rule,) = lease[("Role", "demo-leases")]["rules"]
    assert rule["resources"] == ["leases"] and "*" not in rule["verbs"]
    assert lease[("ServiceAccount", "demo")]["automountServiceAccountToken"] is True

    zk = spec(registry={"type": "zookeeper", "zookeeper": {"connect": "zk:2181/echo"}})
    children = by_kind(builders.children(CLUSTER, zk, node_replicas=1))
    assert ("Role", "demo-leases") not in children
    assert children[("ServiceAccount", "demo")]["automountServiceAccountToken"] is False
    gone = builders.absent(CLUSTER, zk)
    assert ("rbac.authorization.k8s.io/v1", "Role", "demo-leases") in gone


def test_disabled_features_are_listed_as_absent() -> None:
    gone = builders.absent(CLUSTER, spec(ingress={"enabled": False}))
    assert ("networking.k8s.io/v1", "Ingress", "demo") in gone
    assert ("autoscaling/v2", "HorizontalPodAutoscaler", "demo-api") in gone
    assert builders.absent(CLUSTER, everything()) == []


def test_config_map_points_nodes_at_their_registry() -> None:
    data = config.config_map(CLUSTER, spec(settings={"ECHO_LOG_FORMAT": "text"}))["data"]
    assert data["ECHO_REGISTRY_URL"] == "k8s-lease://chat?cluster=demo"
    assert data["ECHO_LOG_FORMAT"] == "text", "the user's settings win"
    assert data["ECHO_DRAIN_TIMEOUT"] == "30"
    assert data["ECHO_JWT_KEYS_FILE"] == "/etc/echosphere/keys/jwt-keys"
    zk = spec(registry={"type": "zookeeper", "zookeeper": {"connect": "zk:2181/echo"}})
    assert config.config_map(CLUSTER, zk)["data"]["ECHO_REGISTRY_URL"] == "zookeeper://zk:2181/echo"


def test_optional_dependencies_reach_the_pods_only_when_configured() -> None:
    minimal = env_of(
        nodes.statefulset(CLUSTER, spec(), replicas=1)["spec"]["template"]["spec"]["containers"][0]
    )
    assert "ECHO_MEDIA_URL" not in minimal and "ECHO_GEO_URL" not in minimal
    full = env_of(
        api.deployment(CLUSTER, everything())["spec"]["template"]["spec"]["containers"][0]
    )
    assert full["ECHO_MEDIA_URL"] == {"secretKeyRef": {"name": "minio", "key": "url"}}
    assert full["ECHO_GEO_URL"] == {"secretKeyRef": {"name": "opensearch", "key": "url"}}


def test_signing_keys_are_fresh_long_and_readable_back() -> None:
    one, two = config.new_keys(), config.new_keys()
    assert one != two
    kid, _, secret = one[config.JWT_KEYS].partition(":")
    assert kid == "k1" and len(secret) >= 32
    secret_manifest = config.keys_secret(CLUSTER, one)
    assert (
        base64.b64decode(secret_manifest["data"][config.ADMIN_TOKEN]).decode()
        == one[config.ADMIN_TOKEN]
    )
    assert config.read_secret_value(secret_manifest, config.ADMIN_TOKEN) == one[config.ADMIN_TOKEN]


def test_config_hash_moves_with_what_pods_read_only() -> None:
    base = config.config_hash(CLUSTER, spec())
    assert base == config.config_hash(CLUSTER, spec(nodes={"replicas": 9}))
    assert base != config.config_hash(CLUSTER, spec(settings={"ECHO_HEARTBEAT": "10"}))
    assert base != config.config_hash(CLUSTER, spec(redis={"secretRef": {"name": "other"}}))


def test_pods_are_hardened() -> None:
    for manifest in builders.children(CLUSTER, everything(), node_replicas=1):
        if manifest["kind"] not in ("StatefulSet", "Deployment"):
            continue
        pod = manifest["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"] == {"drop": ["ALL"]}
        keys = next(v for v in pod["volumes"] if v["name"] == "keys")
        assert keys["secret"]["secretName"] == "demo-keys"


def test_pod_template_bits_reach_the_pods() -> None:
    template = {
        "labels": {"team": "chat"},
        "annotations": {"a": "b"},
        "nodeSelector": {"pool": "ws"},
        "priorityClassName": "high",
        "tolerations": [{"key": "ws", "operator": "Exists", "effect": "NoSchedule"}],
    }
    sts = nodes.statefulset(CLUSTER, spec(nodes={"podTemplate": template}), replicas=1)
    meta, pod = sts["spec"]["template"]["metadata"], sts["spec"]["template"]["spec"]
    assert meta["labels"]["team"] == "chat" and meta["annotations"]["a"] == "b"
    assert pod["nodeSelector"] == {"pool": "ws"} and pod["priorityClassName"] == "high"
    assert pod["tolerations"][0]["key"] == "ws"
    assert meta["labels"]["echosphere.io/role"] == "node", "ours are not overridden"


def test_image_tag_defaults_to_the_version() -> None:
    assert spec(version="1.2.3").image_ref == "ghcr.io/echosphere/echosphere:1.2.3"
    tagged = spec(version="1.2.3", image={"repository": "r/e", "tag": "dev"})
    assert tagged.image_ref == "r/e:dev"
    secrets = spec(image={"pullSecrets": ["regcred"]})
    sts = nodes.statefulset(CLUSTER, secrets, replicas=1)
    assert sts["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "regcred"}]

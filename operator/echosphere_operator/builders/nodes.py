"""The chat nodes: a StatefulSet (pod name = node id) and its two Services.

A StatefulSet, not a Deployment, because a scale-down removes the highest
ordinals, which is what lets the operator drain exactly the pods that will
go. Its ``replicas`` is not the user's number but the operator's: it only
drops once the doomed pods are empty (see ``echosphere_operator.scaling``).

Two Services: a headless one that gives each pod a DNS name even while it is
not ready (the operator reaches a draining node through it), and a normal
one for the ingress, which holds ready nodes only, so a draining node stops
getting new websockets the moment its readiness turns 503.

On every other way out (an upgrade's rolling restart, an eviction, a node
drain of the Kubernetes node) the preStop hook drains the node first and
waits until it is empty or the drain timeout passes; the termination grace
period is always longer than that.
"""

from __future__ import annotations

from echosphere_operator.builders.common import (
    Manifest,
    container,
    http_probe,
    metadata,
    pod_spec,
    selector,
    template_metadata,
)
from echosphere_operator.builders.config import config_hash, connection_env, keys_volume
from echosphere_operator.names import PORT, ClusterRef
from echosphere_operator.spec import ClusterSpec

ROLE = "node"

PRESTOP_DRAIN = f"""\
import json, os, time, urllib.request
url = "http://127.0.0.1:{PORT}/node/drain"
headers = {{"Authorization": "Bearer " + os.environ["ECHO_ADMIN_TOKEN"]}}
deadline = time.monotonic() + float(os.environ.get("ECHO_DRAIN_TIMEOUT", "30"))
while time.monotonic() < deadline:
    try:
        request = urllib.request.Request(url, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=3) as answer:
            if json.load(answer).get("connections", 0) == 0:
                break
    except (OSError, ValueError):
        break
    time.sleep(1)
"""
"""Run before SIGTERM: ask the node to drain (idempotent; the answer carries the
connections left) until it is empty or the drain timeout passes."""


def _env(cluster: ClusterRef, spec: ClusterSpec) -> list[Manifest]:
    address = f"ws://$(ECHO_NODE_ID).{cluster.nodes_headless}.{cluster.namespace}.svc:{PORT}/ws"
    return [
        {"name": "ECHO_NODE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "ECHO_NODE_ADDRESS", "value": address},
        *connection_env(cluster, spec),
    ]


def statefulset(cluster: ClusterRef, spec: ClusterSpec, *, replicas: int) -> Manifest:
    volume, mount = keys_volume(cluster)
    node = container(
        spec,
        role=ROLE,
        env=_env(cluster, spec),
        env_from=[{"configMapRef": {"name": cluster.config}}],
        resources=spec.nodes.resources,
        mounts=[mount],
    )
    node["readinessProbe"] = http_probe("/readyz", period=2, failures=1)
    node["livenessProbe"] = http_probe("/healthz", period=10, failures=3, delay=10)
    node["startupProbe"] = http_probe("/healthz", period=2, failures=30)
    node["lifecycle"] = {"preStop": {"exec": {"command": ["python", "-c", PRESTOP_DRAIN]}}}
    pod = pod_spec(
        spec,
        spec.nodes.pod,
        account=cluster.account,
        containers=[node],
        volumes=[volume],
        grace=spec.nodes.termination_grace,
    )
    digest = config_hash(cluster, spec)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(cluster, cluster.nodes, ROLE, spec),
        "spec": {
            "serviceName": cluster.nodes_headless,
            "replicas": replicas,
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "selector": {"matchLabels": selector(cluster, ROLE)},
            "template": {
                "metadata": template_metadata(cluster, ROLE, spec, spec.nodes.pod, digest),
                "spec": pod,
            },
        },
    }


def headless_service(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(cluster, cluster.nodes_headless, ROLE, spec),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": selector(cluster, ROLE),
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def websocket_service(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(cluster, cluster.websocket, ROLE, spec),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(cluster, ROLE),
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }

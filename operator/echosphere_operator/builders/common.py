"""Pieces every child manifest shares: labels, owner reference, hardened pods.

Every child is owned by its EchoCluster (a controller owner reference), so
Kubernetes' garbage collector removes it with the cluster and nothing of ours
has to. Pods run as a non-root user with a read-only root filesystem, no
privilege escalation, all capabilities dropped and the RuntimeDefault seccomp
profile; ``/tmp`` is the only writable place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from echosphere_operator.names import (
    API_VERSION,
    CLUSTER_LABEL,
    CONFIG_HASH,
    KIND,
    MANAGER,
    PORT,
    ROLE_LABEL,
    ClusterRef,
)
from echosphere_operator.spec import ClusterSpec, PodTemplate

Manifest = dict[str, Any]

RUN_AS = 10001
"""The uid and gid of the ``echo`` user baked into the service image."""


def selector(cluster: ClusterRef, role: str) -> dict[str, str]:
    """Labels that pick one role's pods of one cluster; stable for a cluster's life."""
    return {
        "app.kubernetes.io/name": "echosphere",
        "app.kubernetes.io/instance": cluster.name,
        ROLE_LABEL: role,
    }


def labels(cluster: ClusterRef, role: str, spec: ClusterSpec | None = None) -> dict[str, str]:
    result = {
        **selector(cluster, role),
        "app.kubernetes.io/component": role,
        "app.kubernetes.io/part-of": "echosphere",
        "app.kubernetes.io/managed-by": MANAGER,
        CLUSTER_LABEL: cluster.name,
    }
    if spec is not None:
        result["app.kubernetes.io/version"] = spec.image.tag or spec.version
    return result


def selector_string(labels: Mapping[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def owner_reference(cluster: ClusterRef) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": cluster.name,
        "uid": cluster.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def metadata(
    cluster: ClusterRef, name: str, role: str, spec: ClusterSpec | None = None
) -> Manifest:
    return {
        "name": name,
        "namespace": cluster.namespace,
        "labels": labels(cluster, role, spec),
        "ownerReferences": [owner_reference(cluster)],
    }


def pod_security() -> Manifest:
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "fsGroup": RUN_AS,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security() -> Manifest:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def http_probe(path: str, *, period: int, failures: int, delay: int = 0) -> Manifest:
    return {
        "httpGet": {"path": path, "port": "http"},
        "initialDelaySeconds": delay,
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def pod_spec(
    spec: ClusterSpec,
    template: PodTemplate,
    *,
    account: str,
    containers: list[Manifest],
    volumes: list[Manifest],
    grace: int,
) -> Manifest:
    """The parts of a pod spec the API and the nodes have in common."""
    pod: Manifest = {
        "serviceAccountName": account,
        "securityContext": pod_security(),
        "terminationGracePeriodSeconds": grace,
        "enableServiceLinks": False,
        "containers": containers,
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}, *volumes],
    }
    if spec.image.pull_secrets:
        pod["imagePullSecrets"] = [{"name": name} for name in spec.image.pull_secrets]
    if template.node_selector:
        pod["nodeSelector"] = dict(template.node_selector)
    if template.priority_class:
        pod["priorityClassName"] = template.priority_class
    if template.tolerations:
        pod["tolerations"] = [dict(t) for t in template.tolerations]
    if template.affinity:
        pod["affinity"] = dict(template.affinity)
    if template.topology_spread:
        pod["topologySpreadConstraints"] = [dict(t) for t in template.topology_spread]
    return pod


def container(
    spec: ClusterSpec,
    *,
    role: str,
    env: list[Manifest],
    env_from: list[Manifest],
    resources: Mapping[str, Any],
    mounts: list[Manifest],
) -> Manifest:
    return {
        "name": role,
        "image": spec.image_ref,
        "imagePullPolicy": spec.image.pull_policy,
        "args": ["serve", role, "--host", "0.0.0.0", "--port", str(PORT)],  # noqa: S104
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": env,
        "envFrom": env_from,
        "resources": dict(resources),
        "securityContext": container_security(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, *mounts],  # noqa: S108
    }


def template_metadata(
    cluster: ClusterRef, role: str, spec: ClusterSpec, template: PodTemplate, config_hash: str
) -> Manifest:
    return {
        "labels": {**template.labels, **labels(cluster, role, spec)},
        "annotations": {**template.annotations, CONFIG_HASH: config_hash},
    }

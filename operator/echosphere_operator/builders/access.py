"""How traffic and permissions reach the pods: the Ingress, the disruption
budgets, and the ServiceAccount with the Lease permissions of the nodes.

The Ingress is written for ingress-nginx: websockets need nothing special
there but long proxy timeouts, since a chat connection idles for minutes
between frames. ``/ws`` goes to ready nodes, everything else to the API.
"""

from __future__ import annotations

from echosphere_operator.builders.common import Manifest, metadata, selector
from echosphere_operator.names import PORT, ClusterRef
from echosphere_operator.spec import ClusterSpec


def ingress_annotations(spec: ClusterSpec) -> dict[str, str]:
    timeout = str(spec.ingress.websocket_timeout)
    return {
        "nginx.ingress.kubernetes.io/proxy-read-timeout": timeout,
        "nginx.ingress.kubernetes.io/proxy-send-timeout": timeout,
        "nginx.ingress.kubernetes.io/proxy-http-version": "1.1",
        "nginx.ingress.kubernetes.io/proxy-body-size": "2m",
        **spec.ingress.annotations,
    }


def _path(path: str, service: str) -> Manifest:
    return {
        "path": path,
        "pathType": "Prefix",
        "backend": {"service": {"name": service, "port": {"number": PORT}}},
    }


def ingress(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    rule: Manifest = {
        "http": {
            "paths": [
                _path("/ws", cluster.websocket),
                _path("/", cluster.api),
            ]
        }
    }
    if spec.ingress.host:
        rule = {"host": spec.ingress.host, **rule}
    body: Manifest = {"ingressClassName": spec.ingress.class_name, "rules": [rule]}
    if spec.ingress.tls_secret and spec.ingress.host:
        body["tls"] = [{"hosts": [spec.ingress.host], "secretName": spec.ingress.tls_secret}]
    manifest_metadata = metadata(cluster, cluster.name, "ingress", spec)
    manifest_metadata["annotations"] = ingress_annotations(spec)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": manifest_metadata,
        "spec": body,
    }


def disruption_budget(cluster: ClusterRef, spec: ClusterSpec, role: str) -> Manifest:
    """At most one pod of a role down at a time for voluntary disruptions."""
    name = cluster.nodes if role == "node" else cluster.api
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(cluster, name, role, spec),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(cluster, role)}},
    }


def service_account(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(cluster, cluster.account, "identity", spec),
        # Only the Lease registry talks to the Kubernetes API from the pods.
        "automountServiceAccountToken": spec.registry.type == "lease",
    }


def lease_role(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(cluster, cluster.lease_role, "identity", spec),
        "rules": [
            {
                "apiGroups": ["coordination.k8s.io"],
                "resources": ["leases"],
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
            }
        ],
    }


def lease_role_binding(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(cluster, cluster.lease_role, "identity", spec),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": cluster.lease_role,
        },
        "subjects": [
            {"kind": "ServiceAccount", "name": cluster.account, "namespace": cluster.namespace}
        ],
    }

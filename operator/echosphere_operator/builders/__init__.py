"""Pure builders: an EchoCluster spec in, Kubernetes manifests out.

No builder talks to the API or reads the clock; each returns a plain dict
that server-side apply can send as is. ``children`` lists everything a
cluster should have; ``absent`` lists what it must not have (an Ingress
after ``ingress.enabled`` turned false, say), so the reconcile deletes it.
"""

from __future__ import annotations

from echosphere_operator.builders import access, api, config, nodes
from echosphere_operator.builders.common import Manifest
from echosphere_operator.names import ClusterRef
from echosphere_operator.spec import ClusterSpec

Absent = tuple[str, str, str]
"""(apiVersion, kind, name) of a child that must not exist."""


def children(cluster: ClusterRef, spec: ClusterSpec, *, node_replicas: int) -> list[Manifest]:
    """Every child of the cluster, in an order that lets each find what it refers to."""
    manifests = [
        access.service_account(cluster, spec),
        config.config_map(cluster, spec),
        api.service(cluster, spec),
        nodes.headless_service(cluster, spec),
        nodes.websocket_service(cluster, spec),
        api.deployment(cluster, spec),
        nodes.statefulset(cluster, spec, replicas=node_replicas),
        access.disruption_budget(cluster, spec, "api"),
        access.disruption_budget(cluster, spec, "node"),
    ]
    if spec.registry.type == "lease":
        manifests[1:1] = [
            access.lease_role(cluster, spec),
            access.lease_role_binding(cluster, spec),
        ]
    if spec.api.autoscaling.enabled:
        manifests.append(api.autoscaler(cluster, spec))
    if spec.ingress.enabled:
        manifests.append(access.ingress(cluster, spec))
    return manifests


def absent(cluster: ClusterRef, spec: ClusterSpec) -> list[Absent]:
    gone: list[Absent] = []
    if not spec.api.autoscaling.enabled:
        gone.append(("autoscaling/v2", "HorizontalPodAutoscaler", cluster.api))
    if not spec.ingress.enabled:
        gone.append(("networking.k8s.io/v1", "Ingress", cluster.name))
    if spec.registry.type != "lease":
        gone.append(("rbac.authorization.k8s.io/v1", "RoleBinding", cluster.lease_role))
        gone.append(("rbac.authorization.k8s.io/v1", "Role", cluster.lease_role))
    return gone


__all__ = ["Absent", "Manifest", "absent", "children"]

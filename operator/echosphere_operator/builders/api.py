"""The HTTP API: a Deployment, its Service and, when asked for, a CPU HPA.

With the HPA on, the Deployment leaves ``replicas`` out entirely: under
server-side apply that hands the field to the autoscaler instead of having
the operator and the HPA overwrite each other on every reconcile.
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

ROLE = "api"


def deployment(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    volume, mount = keys_volume(cluster)
    api = container(
        spec,
        role=ROLE,
        env=[
            {"name": "ECHO_NODE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            *connection_env(cluster, spec),
        ],
        env_from=[{"configMapRef": {"name": cluster.config}}],
        resources=spec.api.resources,
        mounts=[mount],
    )
    api["readinessProbe"] = http_probe("/readyz", period=5, failures=2)
    api["livenessProbe"] = http_probe("/healthz", period=10, failures=3, delay=10)
    pod = pod_spec(
        spec, spec.api.pod, account=cluster.account, containers=[api], volumes=[volume], grace=30
    )
    digest = config_hash(cluster, spec)
    body: Manifest = {
        "selector": {"matchLabels": selector(cluster, ROLE)},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
        },
        "template": {
            "metadata": template_metadata(cluster, ROLE, spec, spec.api.pod, digest),
            "spec": pod,
        },
    }
    if not spec.api.autoscaling.enabled:
        body = {"replicas": spec.api.replicas, **body}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(cluster, cluster.api, ROLE, spec),
        "spec": body,
    }


def service(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(cluster, cluster.api, ROLE, spec),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(cluster, ROLE),
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def autoscaler(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    scaling = spec.api.autoscaling
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(cluster, cluster.api, ROLE, spec),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": cluster.api},
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": scaling.target_cpu},
                    },
                }
            ],
        },
    }

"""The EchoCluster spec as typed, frozen values.

The API server applies the CRD's defaults before the operator ever sees an
object, but the operator does not rely on that: every default is repeated
here (a test checks the two agree), so an object written before a default
was added, or served by an API without defaulting, still reconciles. A spec
the CRD would reject but that reaches us anyway raises ``SpecError`` with
the field's path, and the cluster is reported Degraded, never crashed on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from echosphere.core.exchanges import DIRECT_EXCHANGE, FANOUT_EXCHANGE

Raw = Mapping[str, Any]


DEFAULT_VERSION = "0.1.0"


class SpecError(ValueError):
    """The spec cannot be reconciled; the message names the field."""


@dataclass(frozen=True, slots=True)
class SecretRef:
    name: str
    key: str = "url"


@dataclass(frozen=True, slots=True)
class Image:
    repository: str = "ghcr.io/echosphere/echosphere"
    tag: str | None = None
    pull_policy: str = "IfNotPresent"
    pull_secrets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PodTemplate:
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    priority_class: str | None = None
    tolerations: tuple[Raw, ...] = ()
    affinity: Raw | None = None
    topology_spread: tuple[Raw, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeAutoscaling:
    enabled: bool = False
    min_replicas: int = 2
    max_replicas: int = 10
    target_connections: int = 5000
    stabilization_seconds: int = 300


@dataclass(frozen=True, slots=True)
class Nodes:
    replicas: int = 2
    autoscaling: NodeAutoscaling = NodeAutoscaling()
    resources: Raw = field(default_factory=dict)
    drain_timeout: int = 30
    grace_period: int | None = None
    pod: PodTemplate = PodTemplate()

    @property
    def termination_grace(self) -> int:
        """Seconds Kubernetes waits after SIGTERM: the drain plus room to shut down."""
        return self.grace_period if self.grace_period is not None else self.drain_timeout + 15


@dataclass(frozen=True, slots=True)
class ApiAutoscaling:
    enabled: bool = False
    min_replicas: int = 2
    max_replicas: int = 6
    target_cpu: int = 75


@dataclass(frozen=True, slots=True)
class Api:
    replicas: int = 2
    resources: Raw = field(default_factory=dict)
    autoscaling: ApiAutoscaling = ApiAutoscaling()
    pod: PodTemplate = PodTemplate()


@dataclass(frozen=True, slots=True)
class Ingress:
    enabled: bool = True
    class_name: str = "nginx"
    host: str | None = None
    tls_secret: str | None = None
    websocket_timeout: int = 3600
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Registry:
    type: Literal["lease", "zookeeper"] = "lease"
    zookeeper: str | None = None


@dataclass(frozen=True, slots=True)
class Exchange:
    name: str
    type: str


DEFAULT_EXCHANGES = (Exchange(DIRECT_EXCHANGE, "direct"), Exchange(FANOUT_EXCHANGE, "fanout"))


@dataclass(frozen=True, slots=True)
class Messaging:
    secret: SecretRef
    exchanges: tuple[Exchange, ...] = DEFAULT_EXCHANGES


@dataclass(frozen=True, slots=True)
class ObjectStorage:
    secret: SecretRef
    buckets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Search:
    """OpenSearch; the index is named by the URL's path, as the services read it."""

    secret: SecretRef


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    messaging: Messaging
    redis: SecretRef
    mongodb: SecretRef
    version: str = DEFAULT_VERSION
    image: Image = Image()
    nodes: Nodes = Nodes()
    api: Api = Api()
    ingress: Ingress = Ingress()
    registry: Registry = Registry()
    object_storage: ObjectStorage | None = None
    search: Search | None = None
    settings: Mapping[str, str] = field(default_factory=dict)
    deletion_policy: Literal["Retain", "Delete"] = "Retain"

    @property
    def image_ref(self) -> str:
        return f"{self.image.repository}:{self.image.tag or self.version}"


_IMAGE, _NODES, _API, _INGRESS = Image(), Nodes(), Api(), Ingress()


def _section(raw: Raw, key: str, path: str) -> Raw:
    value = raw.get(key) or {}
    if not isinstance(value, Mapping):
        raise SpecError(f"{path}.{key}: expected an object")
    return value


def _secret(raw: Raw, path: str) -> SecretRef:
    ref = _section(raw, "secretRef", path)
    name = ref.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{path}.secretRef.name: required")
    return SecretRef(name=name, key=str(ref.get("key") or "url"))


def _strings(raw: Raw, key: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in (raw.get(key) or {}).items()}


def _pod(raw: Raw) -> PodTemplate:
    pod = raw.get("podTemplate") or {}
    return PodTemplate(
        labels=_strings(pod, "labels"),
        annotations=_strings(pod, "annotations"),
        node_selector=_strings(pod, "nodeSelector"),
        priority_class=pod.get("priorityClassName"),
        tolerations=tuple(pod.get("tolerations") or ()),
        affinity=pod.get("affinity"),
        topology_spread=tuple(pod.get("topologySpreadConstraints") or ()),
    )


def _nodes(raw: Raw) -> Nodes:
    scaling = raw.get("autoscaling") or {}
    defaults = NodeAutoscaling()
    autoscaling = NodeAutoscaling(
        enabled=bool(scaling.get("enabled", defaults.enabled)),
        min_replicas=int(scaling.get("minReplicas", defaults.min_replicas)),
        max_replicas=int(scaling.get("maxReplicas", defaults.max_replicas)),
        target_connections=int(
            scaling.get("targetConnectionsPerNode", defaults.target_connections)
        ),
        stabilization_seconds=int(
            scaling.get("stabilizationWindowSeconds", defaults.stabilization_seconds)
        ),
    )
    if autoscaling.min_replicas > autoscaling.max_replicas:
        raise SpecError("spec.nodes.autoscaling: minReplicas exceeds maxReplicas")
    grace = raw.get("terminationGracePeriodSeconds")
    nodes = Nodes(
        replicas=int(raw.get("replicas", _NODES.replicas)),
        autoscaling=autoscaling,
        resources=dict(raw.get("resources") or {}),
        drain_timeout=int(raw.get("drainTimeoutSeconds", _NODES.drain_timeout)),
        grace_period=None if grace is None else int(grace),
        pod=_pod(raw),
    )
    if nodes.termination_grace < nodes.drain_timeout:
        raise SpecError("spec.nodes.terminationGracePeriodSeconds: shorter than the drain timeout")
    return nodes


def _api(raw: Raw) -> Api:
    scaling = raw.get("autoscaling") or {}
    defaults = ApiAutoscaling()
    return Api(
        replicas=int(raw.get("replicas", _API.replicas)),
        resources=dict(raw.get("resources") or {}),
        autoscaling=ApiAutoscaling(
            enabled=bool(scaling.get("enabled", defaults.enabled)),
            min_replicas=int(scaling.get("minReplicas", defaults.min_replicas)),
            max_replicas=int(scaling.get("maxReplicas", defaults.max_replicas)),
            target_cpu=int(scaling.get("targetCPUUtilizationPercentage", defaults.target_cpu)),
        ),
        pod=_pod(raw),
    )


def _ingress(raw: Raw) -> Ingress:
    return Ingress(
        enabled=bool(raw.get("enabled", _INGRESS.enabled)),
        class_name=str(raw.get("className", _INGRESS.class_name)),
        host=raw.get("host"),
        tls_secret=raw.get("tlsSecretName"),
        websocket_timeout=int(raw.get("websocketTimeoutSeconds", _INGRESS.websocket_timeout)),
        annotations=_strings(raw, "annotations"),
    )


def _registry(raw: Raw) -> Registry:
    kind = raw.get("type", "lease")
    if kind == "lease":
        return Registry()
    if kind != "zookeeper":
        raise SpecError(f"spec.registry.type: {kind!r} is not lease or zookeeper")
    connect = (raw.get("zookeeper") or {}).get("connect")
    if not connect:
        raise SpecError("spec.registry.zookeeper.connect: required for the zookeeper registry")
    return Registry(type="zookeeper", zookeeper=str(connect))


def _messaging(raw: Raw) -> Messaging:
    listed = raw.get("exchanges")
    exchanges = (
        DEFAULT_EXCHANGES
        if listed is None
        else tuple(Exchange(str(e["name"]), str(e["type"])) for e in listed)
    )
    return Messaging(secret=_secret(raw, "spec.messaging"), exchanges=exchanges)


def parse_spec(raw: Raw) -> ClusterSpec:
    """The typed spec of an EchoCluster; ``SpecError`` names what is wrong."""
    for required in ("messaging", "redis", "mongodb"):
        if not raw.get(required):
            raise SpecError(f"spec.{required}: required")
    image = raw.get("image") or {}
    storage = raw.get("objectStorage")
    search = raw.get("search")
    policy = raw.get("deletionPolicy", "Retain")
    if policy not in ("Retain", "Delete"):
        raise SpecError(f"spec.deletionPolicy: {policy!r} is not Retain or Delete")
    return ClusterSpec(
        version=str(raw.get("version", DEFAULT_VERSION)),
        image=Image(
            repository=str(image.get("repository", _IMAGE.repository)),
            tag=image.get("tag") or None,
            pull_policy=str(image.get("pullPolicy", _IMAGE.pull_policy)),
            pull_secrets=tuple(image.get("pullSecrets") or ()),
        ),
        nodes=_nodes(_section(raw, "nodes", "spec")),
        api=_api(_section(raw, "api", "spec")),
        ingress=_ingress(_section(raw, "ingress", "spec")),
        registry=_registry(_section(raw, "registry", "spec")),
        messaging=_messaging(_section(raw, "messaging", "spec")),
        redis=_secret(_section(raw, "redis", "spec"), "spec.redis"),
        mongodb=_secret(_section(raw, "mongodb", "spec"), "spec.mongodb"),
        object_storage=None
        if not storage
        else ObjectStorage(
            secret=_secret(storage, "spec.objectStorage"),
            buckets=tuple(storage.get("buckets") or ()),
        ),
        search=None if not search else Search(secret=_secret(search, "spec.search")),
        settings=_strings(raw, "settings"),
        deletion_policy=policy,
    )

"""Names the operator shares with the cluster: the resource, its labels and
annotations, and the name of every child of an EchoCluster.

Everything the operator writes on objects carries the ``echosphere.io/``
prefix, so it never mixes with kopf's own bookkeeping or another operator's.
A child's name is derived from the EchoCluster's name alone, which is what
makes the reconcile idempotent: the same cluster always finds the same children.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "echosphere.io"
VERSION = "v1alpha1"
PLURAL = "echoclusters"
KIND = "EchoCluster"
API_VERSION = f"{GROUP}/{VERSION}"

PREFIX = "echosphere.io"
FINALIZER = f"{PREFIX}/finalizer"
PAUSED = f"{PREFIX}/paused"
"""Annotation: ``"true"`` stops the operator from changing anything of this cluster."""
CONFIG_HASH = f"{PREFIX}/config-hash"
"""Pod template annotation: a digest of the settings, so a change rolls the pods."""

CLUSTER_LABEL = f"{PREFIX}/cluster"
ROLE_LABEL = f"{PREFIX}/role"
MANAGER = "echosphere-operator"
"""Field manager of server-side apply and ``app.kubernetes.io/managed-by``."""

PORT = 8080
"""The port every EchoSphere process listens on (HTTP and websocket)."""

LEASE_PREFIX = "echosphere-node-"


def lease_name(node_id: str) -> str:
    """The Lease a chat node holds: ``echosphere-node-<pod name>``."""
    return f"{LEASE_PREFIX}{node_id}"


@dataclass(frozen=True, slots=True)
class ClusterRef:
    """One EchoCluster as its children see it: where it lives and who owns them."""

    name: str
    namespace: str
    uid: str
    generation: int = 0

    @property
    def config(self) -> str:
        return f"{self.name}-config"

    @property
    def keys(self) -> str:
        """The Secret with the JWT signing keys and the node admin token."""
        return f"{self.name}-keys"

    @property
    def api(self) -> str:
        return f"{self.name}-api"

    @property
    def nodes(self) -> str:
        """The node StatefulSet; its pods are ``<name>-node-<ordinal>``."""
        return f"{self.name}-node"

    @property
    def nodes_headless(self) -> str:
        """The headless Service that gives each node pod a stable DNS name."""
        return f"{self.name}-nodes"

    @property
    def websocket(self) -> str:
        """The Service the ingress sends websockets to: ready nodes only."""
        return f"{self.name}-ws"

    @property
    def account(self) -> str:
        """The ServiceAccount of the API and node pods."""
        return self.name

    @property
    def lease_role(self) -> str:
        return f"{self.name}-leases"

    def node_pod(self, ordinal: int) -> str:
        return f"{self.nodes}-{ordinal}"

    def ordinal_of(self, pod: str) -> int | None:
        """The ordinal of one of this cluster's node pods, or None for any other name."""
        head, _, tail = pod.rpartition("-")
        if head != self.nodes or not tail.isdigit():
            return None
        return int(tail)

"""Scaling the chat nodes without losing a client: pure decisions.

A scale-down never just lowers the StatefulSet. The pods that will go are
the highest ordinals; the operator first marks them draining (records them
in status and asks each node to drain), then waits until each is empty,
gone, or past the drain timeout, and only then lowers ``replicas``. A
scale-up is immediate, and cancels any drain of a pod it keeps: such a pod
has already refused new clients, so it is restarted to serve again.

Nodes report themselves in Leases (the shape is in docs/kubernetes.md):
``holderIdentity`` is the pod name, the ``echosphere.io/connections`` and
``echosphere.io/draining`` annotations carry the load, and a Lease whose
``renewTime`` plus ``leaseDurationSeconds`` has passed is a dead node.

Autoscaling follows the HorizontalPodAutoscaler's rule: scale up at once,
scale down only to the highest recommendation of the stabilisation window.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from echosphere_operator.names import CLUSTER_LABEL, PREFIX, ClusterRef

DEFAULT_LEASE_SECONDS = 15


@dataclass(frozen=True, slots=True)
class LiveNode:
    pod: str
    connections: int
    draining: bool


@dataclass(frozen=True, slots=True)
class DrainMark:
    pod: str
    since: datetime.datetime


@dataclass(frozen=True, slots=True)
class ScalePlan:
    replicas: int
    """What the StatefulSet's replicas must be now."""
    marks: tuple[DrainMark, ...] = ()
    """Pods draining after this step (recorded in status)."""
    notify: tuple[str, ...] = ()
    """Pods to ask (again) to drain."""
    restart: tuple[str, ...] = ()
    """Pods whose drain was cancelled: they refuse clients until restarted."""
    waiting: Mapping[str, int] = field(default_factory=dict)
    """Draining pods not done yet, with their connections."""


def parse_time(value: object) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def format_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def live_node(lease: Mapping[str, Any], *, now: datetime.datetime) -> LiveNode | None:
    """The node a Lease speaks for, or None when it expired or is not a node's."""
    spec = lease.get("spec") or {}
    notes = (lease.get("metadata") or {}).get("annotations") or {}
    holder = spec.get("holderIdentity")
    renewed = parse_time(spec.get("renewTime"))
    seconds = spec.get("leaseDurationSeconds") or DEFAULT_LEASE_SECONDS
    if not isinstance(holder, str) or renewed is None or not isinstance(seconds, int):
        return None
    if renewed + datetime.timedelta(seconds=seconds) < now:
        return None
    try:
        connections = max(int(notes.get(f"{PREFIX}/connections", "0")), 0)
    except ValueError:
        connections = 0
    return LiveNode(holder, connections, notes.get(f"{PREFIX}/draining") == "true")


def live_nodes(
    leases: Iterable[Mapping[str, Any]], *, cluster: ClusterRef, now: datetime.datetime
) -> dict[str, LiveNode]:
    """Live nodes of this cluster by pod name (Leases of other clusters are skipped)."""
    nodes = {}
    for lease in leases:
        labels = (lease.get("metadata") or {}).get("labels") or {}
        if labels.get(CLUSTER_LABEL) != cluster.name:
            continue
        node = live_node(lease, now=now)
        if node is not None:
            nodes[node.pod] = node
    return nodes


def plan_scale(
    cluster: ClusterRef,
    *,
    desired: int,
    current: int,
    marks: Sequence[DrainMark],
    live: Mapping[str, LiveNode],
    observable: bool,
    drain_timeout: float,
    now: datetime.datetime,
) -> ScalePlan:
    """The next step from ``current`` StatefulSet replicas towards ``desired``.

    ``observable`` is False when nodes do not report in Leases (the ZooKeeper
    registry): then only the drain timeout tells that a node is done.
    """
    if desired >= current:
        return ScalePlan(replicas=desired, restart=tuple(m.pod for m in marks))

    doomed = [cluster.node_pod(ordinal) for ordinal in range(desired, current)]
    known = {mark.pod: mark for mark in marks}
    kept = [mark.pod for mark in marks if mark.pod not in doomed]
    new_marks = tuple(known.get(pod) or DrainMark(pod, now) for pod in doomed)

    waiting = {}
    for mark in new_marks:
        node = live.get(mark.pod)
        expired = (now - mark.since).total_seconds() >= drain_timeout
        empty = node.connections == 0 if node is not None else observable
        if not (expired or empty):
            waiting[mark.pod] = node.connections if node is not None else -1
    if not waiting:
        return ScalePlan(replicas=desired, restart=tuple(kept))

    notify = tuple(
        mark.pod
        for mark in new_marks
        if mark.pod not in known or (mark.pod in live and not live[mark.pod].draining)
    )
    return ScalePlan(
        replicas=current, marks=new_marks, notify=notify, restart=tuple(kept), waiting=waiting
    )


def recommend(connections: int, *, per_node: int, least: int, most: int) -> int:
    """Nodes needed for ``connections`` at ``per_node`` each, within [least, most]."""
    wanted = math.ceil(connections / per_node) if connections > 0 else least
    return min(max(wanted, least), most)


@dataclass
class Stabilizer:
    """Remembers recent recommendations of one cluster to damp scale-downs."""

    window: float
    started: float
    history: list[tuple[float, int]] = field(default_factory=list)

    def decide(self, *, now: float, recommendation: int, current: int) -> int:
        self.history = [(at, n) for at, n in self.history if now - at <= self.window]
        self.history.append((now, recommendation))
        if recommendation >= current:
            return recommendation
        if now - self.started < self.window:
            # Not watched for a whole window yet (the operator just started): hold.
            return current
        return min(max(n for _, n in self.history), current)

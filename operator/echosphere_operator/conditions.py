"""Status conditions and the phase, from what the reconcile observed.

Conditions follow the Kubernetes conventions: one entry per type, a
CamelCase ``reason``, a sentence for people, ``observedGeneration``, and a
``lastTransitionTime`` that moves only when the status itself changes.

    Ready           everything below that matters is True
    NodesReady      the node StatefulSet has its desired pods ready
    ApiAvailable    the API Deployment has an available pod
    MessagingReady  the RabbitMQ exchanges are declared
    StorageReady    the buckets exist (or no object storage is configured)
    SearchReady     the OpenSearch index exists (or no search is configured)
    Progressing     a rollout or a scale is under way
    Degraded        something is wrong and is not fixing itself
    Draining        a scale-down waits for nodes to empty
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from echosphere_operator.scaling import format_time, parse_time

ORDER = (
    "Ready",
    "NodesReady",
    "ApiAvailable",
    "MessagingReady",
    "StorageReady",
    "SearchReady",
    "Progressing",
    "Degraded",
    "Draining",
)
REQUIRED_FOR_READY = ORDER[1:6]


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    ok: bool
    reason: str
    message: str

    @property
    def status(self) -> str:
        return "True" if self.ok else "False"


@dataclass(frozen=True, slots=True)
class Workloads:
    """What the node StatefulSet and the API Deployment report."""

    nodes_desired: int
    nodes_created: int
    nodes_ready: int
    nodes_updated: bool
    api_desired: int
    api_available: int
    api_updated: bool


def workload_conditions(seen: Workloads, *, draining: Mapping[str, int]) -> list[Condition]:
    nodes_ok = seen.nodes_ready >= seen.nodes_desired
    api_ok = seen.api_available >= 1 or seen.api_desired == 0
    rolling = not (seen.nodes_updated and seen.api_updated)
    scaling = bool(draining) or seen.nodes_created != seen.nodes_desired
    return [
        Condition(
            "NodesReady",
            nodes_ok,
            "AllReady" if nodes_ok else "NotReady",
            f"{seen.nodes_ready}/{seen.nodes_desired} nodes ready",
        ),
        Condition(
            "ApiAvailable",
            api_ok,
            "Available" if api_ok else "Unavailable",
            f"{seen.api_available}/{seen.api_desired} API pods available",
        ),
        Condition(
            "Progressing",
            rolling or scaling,
            "RollingOut" if rolling else "Scaling" if scaling else "Stable",
            "pods are being replaced or added" if rolling or scaling else "no change under way",
        ),
        Condition(
            "Draining",
            bool(draining),
            "WaitingForConnections" if draining else "Idle",
            _draining_message(draining),
        ),
    ]


def _draining_message(draining: Mapping[str, int]) -> str:
    if not draining:
        return "no node is draining"
    parts = [f"{pod} ({n} connections)" if n >= 0 else pod for pod, n in sorted(draining.items())]
    return "waiting for " + ", ".join(parts)


def summary(
    conditions: Sequence[Condition],
    *,
    old: Iterable[Mapping[str, Any]],
    now: datetime.datetime,
    patience: float = 120.0,
) -> list[Condition]:
    """Add Ready and Degraded to the observed conditions.

    Unready pods with no rollout under way count as Degraded only once they
    have been unready for ``patience`` seconds (a fresh cluster is not broken).
    """
    by_type = {c.type: c for c in conditions}
    missing = [t for t in REQUIRED_FOR_READY if not (t in by_type and by_type[t].ok)]
    false_since = {
        c.get("type"): parse_time(c.get("lastTransitionTime"))
        for c in old
        if c.get("status") == "False"
    }

    def stuck(kind: str) -> bool:
        since = false_since.get(kind)
        return since is not None and (now - since).total_seconds() >= patience

    ready = Condition(
        "Ready",
        not missing,
        "AllReady" if not missing else "NotReady",
        "EchoSphere is serving" if not missing else "not ready: " + ", ".join(missing),
    )
    progressing = "Progressing" in by_type and by_type["Progressing"].ok
    wiring: list[str] = [
        t for t in ("MessagingReady", "StorageReady", "SearchReady") if t in missing
    ]
    broken = wiring or [t for t in missing if not progressing and stuck(t)]
    degraded = Condition(
        "Degraded",
        bool(broken),
        "DependencyFailed" if wiring else "NotReady" if broken else "Healthy",
        ("failing: " + ", ".join(broken)) if broken else "nothing is failing",
    )
    return [ready, *conditions, degraded]


def merge(
    old: Iterable[Mapping[str, Any]],
    new: Iterable[Condition],
    *,
    generation: int,
    now: datetime.datetime,
) -> list[dict[str, Any]]:
    """Conditions for the status, keeping transition times of unchanged ones."""
    before = {c.get("type"): c for c in old}
    merged = []
    for condition in new:
        previous = before.get(condition.type)
        changed = previous is None or previous.get("status") != condition.status
        transition = (
            format_time(now) if changed or previous is None else previous["lastTransitionTime"]
        )
        merged.append(
            {
                "type": condition.type,
                "status": condition.status,
                "reason": condition.reason,
                "message": condition.message,
                "observedGeneration": generation,
                "lastTransitionTime": transition,
            }
        )
    merged.sort(key=lambda c: ORDER.index(c["type"]) if c["type"] in ORDER else len(ORDER))
    return merged


def phase(conditions: Sequence[Condition]) -> str:
    by_type = {c.type: c.ok for c in conditions}
    if by_type.get("Draining"):
        return "Scaling"
    if by_type.get("Ready"):
        return "Running"
    if by_type.get("Degraded"):
        return "Degraded"
    return "Provisioning"


def turned_false(old: Iterable[Mapping[str, Any]], new: Iterable[Condition]) -> list[Condition]:
    """Conditions that were not False before and are now (worth a Warning)."""
    before = {c.get("type"): c.get("status") for c in old}
    watched = {*REQUIRED_FOR_READY}
    return [c for c in new if c.type in watched and not c.ok and before.get(c.type) != "False"]

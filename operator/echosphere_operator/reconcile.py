"""One level-based reconcile of an EchoCluster: observe, decide, apply, report.

It looks only at what is there now (the spec, the children, the node
Leases, the drain marks in status), never at what changed, so running it
again with nothing new changes nothing, and running it after a crash, a
missed event or a hand edit puts things right. create, update, resume and
the periodic timer all call it.

Order matters in one place: the node StatefulSet's replicas come from the
scale plan, which only lowers them once the doomed nodes have drained.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from echosphere_operator import builders, conditions, kube, scaling
from echosphere_operator.builders.config import (
    ADMIN_TOKEN,
    keys_secret,
    new_keys,
    read_secret_value,
)
from echosphere_operator.draining import Drainer
from echosphere_operator.kube import Kube, KubeError
from echosphere_operator.names import CLUSTER_LABEL, PORT, ClusterRef
from echosphere_operator.settings import OperatorConfig
from echosphere_operator.spec import ClusterSpec, SecretRef, SpecError, parse_spec
from echosphere_operator.wiring.provision import Backoff, Outcome, Wiring

logger = logging.getLogger(__name__)

Object = dict[str, Any]


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


@dataclass
class Context:
    """What every handler shares; kopf hands it to them as ``memo``."""

    kube: Kube
    config: OperatorConfig
    drainer: Drainer
    wiring: Wiring
    stabilizers: dict[str, scaling.Stabilizer] = field(default_factory=dict)
    now: Callable[[], datetime.datetime] = _utcnow
    monotonic: Callable[[], float] = time.monotonic

    @classmethod
    def create(cls, client: Kube, config: OperatorConfig) -> Context:
        return cls(
            kube=client,
            config=config,
            drainer=Drainer(config.node_admin_url),
            wiring=Wiring(
                timeout=config.wiring_timeout,
                resync=config.wiring_resync,
                backoff=Backoff(config.backoff_first, config.backoff_most),
            ),
        )


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Result:
    status: Object
    events: tuple[Event, ...] = ()
    wiring: tuple[Outcome, ...] = ()


def cluster_of(body: Mapping[str, Any]) -> ClusterRef:
    meta = body["metadata"]
    return ClusterRef(
        name=meta["name"],
        namespace=meta["namespace"],
        uid=meta["uid"],
        generation=int(meta.get("generation") or 0),
    )


async def reconcile(ctx: Context, body: Mapping[str, Any]) -> Result:
    cluster = cluster_of(body)
    old = body.get("status") or {}
    now = ctx.now()
    try:
        spec = parse_spec(body.get("spec") or {})
    except SpecError as error:
        return _invalid(cluster, old, str(error), now)

    token = await ensure_keys(ctx.kube, cluster)
    sts = await ctx.kube.get(kube.STATEFULSET, cluster.namespace, cluster.nodes)
    current = None if sts is None else int((sts.get("spec") or {}).get("replicas") or 0)
    live: dict[str, scaling.LiveNode] = {}
    if spec.registry.type == "lease":
        selector = f"{CLUSTER_LABEL}={cluster.name}"
        leases = await ctx.kube.list(kube.LEASE, cluster.namespace, selector=selector)
        live = scaling.live_nodes(leases, cluster=cluster, now=now)

    desired = desired_nodes(ctx, cluster, spec, live=live, old=old, current=current)
    plan = scaling.ScalePlan(replicas=desired)
    if current is not None:
        plan = scaling.plan_scale(
            cluster,
            desired=desired,
            current=current,
            marks=read_marks(old),
            live=live,
            observable=spec.registry.type == "lease",
            drain_timeout=spec.nodes.drain_timeout,
            now=now,
        )
    events = await _act_on_plan(ctx, cluster, plan, token=token, old=old)

    applied = await apply_children(ctx.kube, cluster, spec, node_replicas=plan.replicas)
    outcomes = await ctx.wiring.provision(cluster.uid, spec, secret_reader(ctx.kube, cluster))
    events += [Event("Warning", f"{o.condition}False", o.message) for o in outcomes if _failed(o)]

    observed = [
        *conditions.workload_conditions(workloads(applied, plan), draining=plan.waiting),
        *(conditions.Condition(o.condition, o.ok, o.reason, o.message) for o in outcomes),
    ]
    final = conditions.summary(
        observed, old=old.get("conditions") or (), now=now, patience=ctx.config.degraded_after
    )
    events += [
        Event("Warning", c.reason, f"{c.type} is False: {c.message}")
        for c in conditions.turned_false(old.get("conditions") or (), final)
        if c.type not in {o.condition for o in outcomes}
    ]
    status = _status(
        cluster, final, old=old, now=now, live=live, plan=plan, applied=applied, desired=desired
    )
    status["endpoints"] = endpoints(cluster, spec)
    return Result(status, tuple(events), tuple(outcomes))


def _failed(outcome: Outcome) -> bool:
    return outcome.attempted and not outcome.ok


async def _act_on_plan(
    ctx: Context, cluster: ClusterRef, plan: scaling.ScalePlan, *, token: str, old: Object
) -> list[Event]:
    events = []
    for pod in plan.notify:
        await ctx.drainer.drain(cluster, pod, token=token)
    if plan.notify:
        pods = ", ".join(plan.notify)
        events.append(Event("Normal", "Draining", f"draining {pods} before removing them"))
    for pod in plan.restart:
        await ctx.kube.delete(kube.POD, cluster.namespace, pod)
        events.append(Event("Normal", "DrainCancelled", f"restarting {pod}: it stays"))
    was_draining = bool((old.get("nodes") or {}).get("draining"))
    if was_draining and not plan.marks:
        events.append(Event("Normal", "ScaledDown", f"node replicas now {plan.replicas}"))
    return events


def desired_nodes(
    ctx: Context,
    cluster: ClusterRef,
    spec: ClusterSpec,
    *,
    live: Mapping[str, scaling.LiveNode],
    old: Object,
    current: int | None,
) -> int:
    auto = spec.nodes.autoscaling
    if not auto.enabled:
        ctx.stabilizers.pop(cluster.uid, None)
        return spec.nodes.replicas
    least, most = auto.min_replicas, auto.max_replicas
    before = (old.get("nodes") or {}).get("desired", current)
    if before is None:
        return min(max(spec.nodes.replicas, least), most)
    total = sum(node.connections for node in live.values())
    recommendation = scaling.recommend(
        total, per_node=auto.target_connections, least=least, most=most
    )
    moment = ctx.monotonic()
    stabilizer = ctx.stabilizers.get(cluster.uid)
    if stabilizer is None or stabilizer.window != auto.stabilization_seconds:
        stabilizer = scaling.Stabilizer(window=auto.stabilization_seconds, started=moment)
        ctx.stabilizers[cluster.uid] = stabilizer
    return stabilizer.decide(
        now=moment, recommendation=recommendation, current=min(max(int(before), least), most)
    )


def read_marks(status: Mapping[str, Any]) -> list[scaling.DrainMark]:
    marks = []
    for entry in (status.get("nodes") or {}).get("draining") or ():
        since = scaling.parse_time(entry.get("since"))
        if isinstance(entry.get("name"), str) and since is not None:
            marks.append(scaling.DrainMark(entry["name"], since))
    return marks


async def ensure_keys(client: Kube, cluster: ClusterRef) -> str:
    """The node admin token; the keys Secret is created once and never rewritten."""
    secret = await client.get(kube.SECRET, cluster.namespace, cluster.keys)
    if secret is None:
        try:
            manifest = keys_secret(cluster, new_keys())
            secret = await client.create(kube.SECRET, cluster.namespace, manifest)
        except KubeError as error:
            if error.status != 409:
                raise
            secret = await client.get(kube.SECRET, cluster.namespace, cluster.keys)
    token = read_secret_value(secret or {}, ADMIN_TOKEN)
    if not token:
        raise KubeError(422, "Invalid", f"Secret {cluster.keys} has no {ADMIN_TOKEN}")
    return token


def secret_reader(client: Kube, cluster: ClusterRef) -> Callable[[SecretRef], Any]:
    async def read(ref: SecretRef) -> str | None:
        secret = await client.get(kube.SECRET, cluster.namespace, ref.name)
        return None if secret is None else read_secret_value(secret, ref.key)

    return read


async def apply_children(
    client: Kube, cluster: ClusterRef, spec: ClusterSpec, *, node_replicas: int
) -> dict[str, Object]:
    """Apply every child and delete the absent ones; the applied objects by kind."""
    applied = {}
    for manifest in builders.children(cluster, spec, node_replicas=node_replicas):
        applied[manifest["kind"]] = await client.apply(manifest)
    for api_version, kind_name, name in builders.absent(cluster, spec):
        await client.delete(kube.kind(api_version, kind_name), cluster.namespace, name)
    return applied


def workloads(applied: Mapping[str, Object], plan: scaling.ScalePlan) -> conditions.Workloads:
    sts = applied.get("StatefulSet") or {}
    deploy = applied.get("Deployment") or {}
    sts_status, deploy_status = sts.get("status") or {}, deploy.get("status") or {}
    sts_generation = (sts.get("metadata") or {}).get("generation", 0)
    deploy_generation = (deploy.get("metadata") or {}).get("generation", 0)
    api_desired = int((deploy.get("spec") or {}).get("replicas") or 0)
    return conditions.Workloads(
        nodes_desired=plan.replicas,
        nodes_created=int(sts_status.get("replicas") or 0),
        nodes_ready=int(sts_status.get("readyReplicas") or 0),
        nodes_updated=sts_status.get("observedGeneration", 0) >= sts_generation
        and sts_status.get("currentRevision") == sts_status.get("updateRevision")
        and int(sts_status.get("updatedReplicas") or 0) >= plan.replicas,
        api_desired=api_desired,
        api_available=int(deploy_status.get("availableReplicas") or 0),
        api_updated=deploy_status.get("observedGeneration", 0) >= deploy_generation
        and int(deploy_status.get("updatedReplicas") or 0) >= api_desired,
    )


def _status(
    cluster: ClusterRef,
    final: list[conditions.Condition],
    *,
    old: Object,
    now: datetime.datetime,
    live: Mapping[str, scaling.LiveNode],
    plan: scaling.ScalePlan,
    applied: Mapping[str, Object],
    desired: int,
) -> Object:
    seen = workloads(applied, plan)
    return {
        "observedGeneration": cluster.generation,
        "phase": conditions.phase(final),
        "conditions": conditions.merge(
            old.get("conditions") or (), final, generation=cluster.generation, now=now
        ),
        "nodes": {
            "desired": desired,
            "replicas": plan.replicas,
            "ready": seen.nodes_ready,
            "live": len(live),
            "connections": sum(node.connections for node in live.values()),
            "draining": [
                {
                    "name": mark.pod,
                    "since": scaling.format_time(mark.since),
                    "connections": max(plan.waiting.get(mark.pod, 0), 0),
                }
                for mark in plan.marks
            ],
            "selector": builders.common.selector_string(builders.common.selector(cluster, "node")),
        },
        "api": {"desired": seen.api_desired, "available": seen.api_available},
    }


def endpoints(cluster: ClusterRef, spec: ClusterSpec) -> dict[str, str]:
    found = {"internalApi": f"http://{cluster.api}.{cluster.namespace}.svc:{PORT}"}
    if spec.ingress.enabled and spec.ingress.host:
        secure = spec.ingress.tls_secret is not None
        found["websocket"] = f"{'wss' if secure else 'ws'}://{spec.ingress.host}/ws"
        found["api"] = f"{'https' if secure else 'http'}://{spec.ingress.host}"
    return found


def _invalid(cluster: ClusterRef, old: Object, message: str, now: datetime.datetime) -> Result:
    degraded = conditions.Condition("Degraded", True, "InvalidSpec", message)
    ready = conditions.Condition("Ready", False, "InvalidSpec", message)
    merged = conditions.merge(
        old.get("conditions") or (), [ready, degraded], generation=cluster.generation, now=now
    )
    keep = [c for c in old.get("conditions") or () if c.get("type") not in ("Ready", "Degraded")]
    status = {
        "observedGeneration": cluster.generation,
        "phase": "Degraded",
        "conditions": sorted(
            [*keep, *merged],
            key=lambda c: (
                conditions.ORDER.index(c["type"]) if c["type"] in conditions.ORDER else 99
            ),
        ),
    }
    return Result(status, (Event("Warning", "InvalidSpec", message),))

"""Scale decisions, conditions and phase: pure functions of what was observed."""

from __future__ import annotations

import datetime
from typing import Any

from echosphere_operator import conditions
from echosphere_operator.names import ClusterRef
from echosphere_operator.scaling import (
    DrainMark,
    LiveNode,
    Stabilizer,
    format_time,
    live_nodes,
    plan_scale,
    recommend,
)

CLUSTER = ClusterRef("demo", "chat", "u")
NOW = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


def lease(
    holder: str, *, connections: str = "0", renewed: datetime.datetime = NOW, **extra: Any
) -> Any:
    return {
        "metadata": {
            "labels": {"echosphere.io/cluster": extra.get("cluster", "demo")},
            "annotations": {
                "echosphere.io/connections": connections,
                "echosphere.io/draining": extra.get("draining", "false"),
            },
        },
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": 15,
            "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        },
    }


def plan(**kwargs: Any) -> Any:
    defaults: dict[str, Any] = {
        "marks": (),
        "live": {},
        "observable": True,
        "drain_timeout": 30,
        "now": NOW,
    }
    return plan_scale(CLUSTER, **{**defaults, **kwargs})


def test_leases_give_live_nodes_of_this_cluster_only() -> None:
    leases = [
        lease("demo-node-0", connections="12"),
        lease("demo-node-1", connections="x"),
        lease("demo-node-2", renewed=NOW - datetime.timedelta(seconds=16)),
        lease("other-node-0", cluster="other"),
        {"metadata": {"labels": {"echosphere.io/cluster": "demo"}}, "spec": {}},
        lease("demo-node-3", draining="true"),
    ]
    live = live_nodes(leases, cluster=CLUSTER, now=NOW)
    assert live == {
        "demo-node-0": LiveNode("demo-node-0", 12, False),
        "demo-node-1": LiveNode("demo-node-1", 0, False),
        "demo-node-3": LiveNode("demo-node-3", 0, True),
    }


def test_scale_up_is_immediate() -> None:
    step = plan(desired=5, current=2)
    assert (step.replicas, step.marks, step.notify) == (5, (), ())


def test_scale_down_marks_the_highest_ordinals_and_waits() -> None:
    live = {
        "demo-node-2": LiveNode("demo-node-2", 4, False),
        "demo-node-3": LiveNode("demo-node-3", 1, False),
    }
    step = plan(desired=2, current=4, live=live)
    assert step.replicas == 4
    assert [m.pod for m in step.marks] == ["demo-node-2", "demo-node-3"]
    assert step.notify == ("demo-node-2", "demo-node-3")
    assert step.waiting == {"demo-node-2": 4, "demo-node-3": 1}


def test_drain_marks_keep_their_start_and_are_not_renotified() -> None:
    since = NOW - datetime.timedelta(seconds=10)
    marks = (DrainMark("demo-node-2", since),)
    live = {"demo-node-2": LiveNode("demo-node-2", 4, True)}
    step = plan(desired=2, current=3, live=live, marks=marks)
    assert step.marks == marks and step.notify == () and step.replicas == 3


def test_a_node_that_forgot_its_drain_is_asked_again() -> None:
    marks = (DrainMark("demo-node-2", NOW),)
    live = {"demo-node-2": LiveNode("demo-node-2", 4, False)}
    assert plan(desired=2, current=3, live=live, marks=marks).notify == ("demo-node-2",)


def test_scale_down_goes_on_when_empty_gone_or_timed_out() -> None:
    old = NOW - datetime.timedelta(seconds=31)
    marks = (
        DrainMark("demo-node-1", NOW),
        DrainMark("demo-node-2", NOW),
        DrainMark("demo-node-3", old),
    )
    live = {
        "demo-node-1": LiveNode("demo-node-1", 0, True),  # empty
        "demo-node-3": LiveNode("demo-node-3", 50, True),  # past the drain timeout
    }  # demo-node-2 has no live Lease: gone
    step = plan(desired=1, current=4, live=live, marks=marks)
    assert (step.replicas, step.marks, step.waiting) == (1, (), {})


def test_without_leases_only_the_timeout_ends_a_drain() -> None:
    step = plan(desired=1, current=2, observable=False)
    assert step.replicas == 2 and step.waiting == {"demo-node-1": -1}
    later = plan(
        desired=1,
        current=2,
        observable=False,
        marks=step.marks,
        now=NOW + datetime.timedelta(seconds=30),
    )
    assert later.replicas == 1


def test_scale_up_during_a_drain_restarts_the_drained_pods() -> None:
    marks = (DrainMark("demo-node-2", NOW), DrainMark("demo-node-3", NOW))
    step = plan(desired=4, current=4, marks=marks)
    assert step.replicas == 4 and step.restart == ("demo-node-2", "demo-node-3")
    partial = plan(
        desired=3, current=4, marks=marks, live={"demo-node-3": LiveNode("demo-node-3", 2, True)}
    )
    assert partial.restart == ("demo-node-2",) and [m.pod for m in partial.marks] == ["demo-node-3"]


def test_recommendation_is_bounded() -> None:
    assert recommend(0, per_node=100, least=2, most=5) == 2
    assert recommend(250, per_node=100, least=2, most=5) == 3
    assert recommend(10_000, per_node=100, least=2, most=5) == 5


def test_stabilizer_scales_up_at_once_and_down_after_the_window() -> None:
    stabilizer = Stabilizer(window=60, started=0)
    assert stabilizer.decide(now=70, recommendation=6, current=3) == 6
    assert stabilizer.decide(now=80, recommendation=2, current=6) == 6
    assert stabilizer.decide(now=129, recommendation=2, current=6) == 6
    assert stabilizer.decide(now=141, recommendation=2, current=6) == 2


def test_stabilizer_holds_until_it_watched_a_whole_window() -> None:
    stabilizer = Stabilizer(window=60, started=100)
    assert stabilizer.decide(now=110, recommendation=1, current=4) == 4
    assert stabilizer.decide(now=161, recommendation=1, current=4) == 1


def workloads(**changes: Any) -> conditions.Workloads:
    values = {
        "nodes_desired": 2,
        "nodes_created": 2,
        "nodes_ready": 2,
        "nodes_updated": True,
        "api_desired": 2,
        "api_available": 2,
        "api_updated": True,
        **changes,
    }
    return conditions.Workloads(**values)


WIRED = [
    conditions.Condition(kind, True, "Provisioned", "")
    for kind in ("MessagingReady", "StorageReady", "SearchReady")
]


def summarize(
    seen: conditions.Workloads, *, old: Any = (), wiring: Any = WIRED, draining: Any = None
) -> dict[str, conditions.Condition]:
    observed = [*conditions.workload_conditions(seen, draining=draining or {}), *wiring]
    return {c.type: c for c in conditions.summary(observed, old=old, now=NOW)}


def test_all_ready_is_ready_and_running() -> None:
    found = summarize(workloads())
    assert found["Ready"].ok and not found["Degraded"].ok and not found["Progressing"].ok
    assert conditions.phase(list(found.values())) == "Running"


def test_a_failed_dependency_degrades_at_once() -> None:
    broken = [conditions.Condition("MessagingReady", False, "Unreachable", "down"), *WIRED[1:]]
    found = summarize(workloads(), wiring=broken)
    assert not found["Ready"].ok and found["Degraded"].ok
    assert found["Degraded"].reason == "DependencyFailed"
    assert conditions.phase(list(found.values())) == "Degraded"


def test_unready_pods_degrade_only_after_patience() -> None:
    seen = workloads(nodes_ready=0)
    assert not summarize(seen)["Degraded"].ok, "a fresh cluster is not broken"
    long_ago = format_time(NOW - datetime.timedelta(minutes=5))
    old = [{"type": "NodesReady", "status": "False", "lastTransitionTime": long_ago}]
    assert summarize(seen, old=old)["Degraded"].ok
    rolling = workloads(nodes_ready=0, nodes_updated=False)
    assert not summarize(rolling, old=old)["Degraded"].ok, "a rollout is under way"


def test_draining_is_scaling() -> None:
    found = summarize(workloads(), draining={"demo-node-2": 3})
    assert found["Draining"].ok and "demo-node-2 (3 connections)" in found["Draining"].message
    assert conditions.phase(list(found.values())) == "Scaling"


def test_merge_keeps_transition_times_of_unchanged_conditions() -> None:
    earlier = format_time(NOW - datetime.timedelta(hours=1))
    old = [
        {"type": "Ready", "status": "True", "lastTransitionTime": earlier},
        {"type": "Degraded", "status": "True", "lastTransitionTime": earlier},
    ]
    new = [
        conditions.Condition("Degraded", False, "Healthy", ""),
        conditions.Condition("Ready", True, "AllReady", ""),
    ]
    merged = conditions.merge(old, new, generation=4, now=NOW)
    assert [c["type"] for c in merged] == ["Ready", "Degraded"]
    assert merged[0]["lastTransitionTime"] == earlier
    assert merged[1]["lastTransitionTime"] == format_time(NOW)
    assert {c["observedGeneration"] for c in merged} == {4}


def test_only_new_failures_are_worth_a_warning() -> None:
    now_false = [conditions.Condition("NodesReady", False, "NotReady", "")]
    assert conditions.turned_false([], now_false) == now_false
    assert conditions.turned_false([{"type": "NodesReady", "status": "False"}], now_false) == []

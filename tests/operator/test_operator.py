"""The real operator against the Kubernetes API emulator, with the real RabbitMQ.

What runs for real: kopf and every handler of the operator, its Kubernetes
client over HTTP, its drain requests over HTTP, and the exchange
declarations on the RabbitMQ that ``scripts/services up`` started. What is
played: the API server (kmock's emulator, see tests/operator/support), the
controllers (a test sets StatefulSet and Deployment status by hand) and the
chat nodes (a test writes their Leases; a small server takes the drains).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aio_pika
import aiormq
import httpx
import pytest

from tests.operator.conftest import (
    DEPLOYMENTS,
    LEASES,
    NAMESPACE,
    STATEFULSETS,
    FakeNodes,
    Starter,
    amqp_url,
    cluster,
    cluster_body,
    condition,
    create_cluster,
    event,
    eventually,
    lease,
    put_connection_secrets,
    put_secret,
    unique_exchanges,
)
from tests.operator.support.emulator import ECHOCLUSTERS, KubeEmulator
from tests.support.server import free_port

CLUSTER_PATH = f"/apis/echosphere.io/v1alpha1/namespaces/{NAMESPACE}/echoclusters"
MERGE = {"Content-Type": "application/merge-patch+json"}

CHILDREN = [
    ("", "v1", "configmaps", "demo-config"),
    ("", "v1", "secrets", "demo-keys"),
    ("", "v1", "serviceaccounts", "demo"),
    ("", "v1", "services", "demo-api"),
    ("", "v1", "services", "demo-nodes"),
    ("", "v1", "services", "demo-ws"),
    ("apps", "v1", "deployments", "demo-api"),
    ("apps", "v1", "statefulsets", "demo-node"),
    ("networking.k8s.io", "v1", "ingresses", "demo"),
    ("policy", "v1", "poddisruptionbudgets", "demo-api"),
    ("policy", "v1", "poddisruptionbudgets", "demo-node"),
    ("rbac.authorization.k8s.io", "v1", "roles", "demo-leases"),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "demo-leases"),
]


async def exchange_exists(url: str, name: str) -> bool:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_exchange(name, passive=True)
        except aiormq.exceptions.ChannelNotFoundEntity:
            return False
        return True


async def delete_exchanges(url: str, exchanges: list[dict[str, str]]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for exchange in exchanges:
            await channel.exchange_delete(exchange["name"])


async def play_controllers(emulator: KubeEmulator, *, nodes: int, api: int = 2) -> None:
    """Report every node and API pod ready, as the StatefulSet and Deployment controllers would."""
    sts = emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {}
    await emulator.set_status(
        STATEFULSETS,
        NAMESPACE,
        "demo-node",
        {
            "observedGeneration": sts["metadata"]["generation"],
            "replicas": nodes,
            "readyReplicas": nodes,
            "updatedReplicas": nodes,
            "currentRevision": "r1",
            "updateRevision": "r1",
        },
    )
    deploy = emulator.read(DEPLOYMENTS, NAMESPACE, "demo-api") or {}
    await emulator.set_status(
        DEPLOYMENTS,
        NAMESPACE,
        "demo-api",
        {
            "observedGeneration": deploy["metadata"]["generation"],
            "replicas": api,
            "availableReplicas": api,
            "updatedReplicas": api,
        },
    )


async def finalizer_added(emulator: KubeEmulator) -> None:
    """Wait until kopf holds the cluster with our finalizer, as before any real delete."""
    await eventually(
        lambda: "echosphere.io/finalizer" in cluster(emulator)["metadata"].get("finalizers", []),
        what="the finalizer",
    )


async def scale(api: httpx.AsyncClient, replicas: int) -> dict[str, Any]:
    """What ``kubectl scale ec/demo --replicas=N`` sends."""
    answer = await api.patch(
        f"{CLUSTER_PATH}/demo/scale", json={"spec": {"replicas": replicas}}, headers=MERGE
    )
    assert answer.status_code == 200, answer.text
    scaled: dict[str, Any] = answer.json()
    return scaled


async def test_cluster_gets_its_children_owned_and_reports_conditions(
    emulator: KubeEmulator, api: httpx.AsyncClient, operator: None
) -> None:
    """An EchoCluster turns into owned children, declared exchanges and conditions; Ready
    follows the (played) controllers."""
    url = amqp_url()
    exchanges = unique_exchanges()
    await put_connection_secrets(api, amqp=url)
    created = await create_cluster(
        api,
        cluster_body(
            messaging={
                "secretRef": {"name": "rabbitmq"},
                "exchanges": exchanges,
            }
        ),
    )
    uid = created["metadata"]["uid"]
    try:
        await eventually(lambda: condition(cluster(emulator), "MessagingReady").get("status"))
        await eventually(lambda: cluster(emulator)["metadata"].get("finalizers"))
        for group, version, plural, name in CHILDREN:
            child = emulator.read(f"{group}/{version}/{plural}".lstrip("/"), NAMESPACE, name)
            assert child is not None, f"{plural}/{name} missing"
            (owner,) = child["metadata"]["ownerReferences"]
            assert (owner["uid"], owner["kind"], owner["controller"]) == (uid, "EchoCluster", True)

        sts = emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {}
        assert sts["spec"]["replicas"] == 2 and sts["spec"]["serviceName"] == "demo-nodes"
        current = cluster(emulator)
        assert condition(current, "MessagingReady")["status"] == "True"
        assert condition(current, "NodesReady")["status"] == "False"
        assert condition(current, "Ready")["status"] == "False"
        assert current["status"]["observedGeneration"] == 1
        assert "echosphere.io/finalizer" in current["metadata"]["finalizers"]
        assert not [k for k in current["metadata"].get("annotations", {}) if "kopf" in k]
        for exchange in exchanges:
            assert await exchange_exists(url, exchange["name"])

        keys = emulator.read("v1/secrets", NAMESPACE, "demo-keys") or {}
        await play_controllers(emulator, nodes=2)
        await eventually(lambda: condition(cluster(emulator), "Ready").get("status") == "True")
        ready = cluster(emulator)
        assert ready["status"]["phase"] == "Running"
        assert ready["status"]["nodes"]["selector"].count("=") == 3
        assert ready["status"]["endpoints"]["internalApi"] == "http://demo-api.chat.svc:8080"
        kept = emulator.read("v1/secrets", NAMESPACE, "demo-keys") or {}
        assert kept["data"] == keys["data"], "the signing keys must never be regenerated"
    finally:
        await delete_exchanges(url, exchanges)


async def test_spec_change_patches_the_children(
    emulator: KubeEmulator, api: httpx.AsyncClient, operator: None
) -> None:
    """A changed spec reaches the children it concerns, and a disabled Ingress goes."""
    await put_connection_secrets(api, amqp=amqp_url())
    await create_cluster(api, cluster_body())
    await eventually(lambda: emulator.read(STATEFULSETS, NAMESPACE, "demo-node"))
    sts = emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {}
    digest = sts["spec"]["template"]["metadata"]["annotations"]["echosphere.io/config-hash"]

    change = {
        "spec": {
            "nodes": {"drainTimeoutSeconds": 50},
            "ingress": {"enabled": False},
            "api": {"autoscaling": {"enabled": True}},
            "settings": {"ECHO_HEARTBEAT": "20"},
        }
    }
    answer = await api.patch(f"{CLUSTER_PATH}/demo", json=change, headers=MERGE)
    assert answer.status_code == 200, answer.text

    def patched() -> bool:
        config = emulator.read("v1/configmaps", NAMESPACE, "demo-config") or {}
        return (config.get("data") or {}).get("ECHO_DRAIN_TIMEOUT") == "50"

    def graceful() -> bool:
        sts = emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {}
        return bool(sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 65)

    await eventually(patched, what="ConfigMap follows the spec")
    await eventually(graceful, what="the grace period follows the drain timeout")
    config = emulator.read("v1/configmaps", NAMESPACE, "demo-config") or {}
    assert config["data"]["ECHO_HEARTBEAT"] == "20"
    sts = emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {}
    assert sts["spec"]["template"]["metadata"]["annotations"]["echosphere.io/config-hash"] != digest
    await eventually(
        lambda: emulator.read("networking.k8s.io/v1/ingresses", NAMESPACE, "demo") is None
    )
    hpa = await eventually(
        lambda: emulator.read("autoscaling/v2/horizontalpodautoscalers", NAMESPACE, "demo-api")
    )
    assert hpa["spec"]["maxReplicas"] == 6
    await eventually(lambda: cluster(emulator)["status"].get("observedGeneration") == 2)


async def test_scale_down_waits_for_the_drain(
    emulator: KubeEmulator, api: httpx.AsyncClient, nodes: FakeNodes, operator: None
) -> None:
    """``kubectl scale`` to fewer nodes drains the highest ordinals first and lowers the
    StatefulSet only when their Leases report no connections."""
    await put_connection_secrets(api, amqp=amqp_url())
    await create_cluster(api, cluster_body(nodes={"replicas": 4}))
    await eventually(lambda: emulator.read(STATEFULSETS, NAMESPACE, "demo-node"))
    await play_controllers(emulator, nodes=4)
    for ordinal, connections in enumerate([7, 6, 5, 3]):
        await emulator.put(
            LEASES, NAMESPACE, lease(f"demo-node-{ordinal}", connections=connections)
        )
    await eventually(lambda: cluster(emulator)["status"]["nodes"].get("live") == 4)
    assert cluster(emulator)["status"]["nodes"]["connections"] == 21

    scaled = await scale(api, 2)
    assert scaled["spec"]["replicas"] == 2
    assert cluster(emulator)["spec"]["nodes"]["replicas"] == 2

    await eventually(lambda: condition(cluster(emulator), "Draining").get("status") == "True")
    assert sorted(set(nodes.drained)) == ["demo-node-2", "demo-node-3"]
    assert len(nodes.tokens) == 1 and next(iter(nodes.tokens)).startswith("Bearer ")
    draining = cluster(emulator)["status"]["nodes"]["draining"]
    assert [d["name"] for d in draining] == ["demo-node-2", "demo-node-3"]
    assert cluster(emulator)["status"]["phase"] == "Scaling"

    # The nodes report their drain; one is empty, one still has a client.
    await emulator.put(LEASES, NAMESPACE, lease("demo-node-2", connections=0, draining=True))
    await emulator.put(LEASES, NAMESPACE, lease("demo-node-3", connections=1, draining=True))
    await eventually(
        lambda: (
            "demo-node-3 (1 connections)" in condition(cluster(emulator), "Draining")["message"]
        ),
        what="the operator sees one node empty and one not",
    )
    assert (emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {})["spec"]["replicas"] == 4
    assert "demo-node-2" not in condition(cluster(emulator), "Draining")["message"]

    await emulator.put(LEASES, NAMESPACE, lease("demo-node-3", connections=0, draining=True))

    def lowered() -> bool:
        sts = emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {}
        return bool(sts["spec"]["replicas"] == 2)

    await eventually(lowered, what="StatefulSet lowered once the nodes are empty")
    await eventually(lambda: condition(cluster(emulator), "Draining").get("status") == "False")
    assert cluster(emulator)["status"]["nodes"]["draining"] == []
    await event(emulator, "ScaledDown")
    answer = await api.get(f"{CLUSTER_PATH}/demo/scale")
    assert answer.json()["status"]["replicas"] == 2


async def test_scale_down_goes_on_after_the_drain_timeout(
    emulator: KubeEmulator, api: httpx.AsyncClient, operator: None
) -> None:
    """A node whose clients do not leave holds the scale-down for the drain timeout only."""
    await put_connection_secrets(api, amqp=amqp_url())
    await create_cluster(api, cluster_body(nodes={"replicas": 3, "drainTimeoutSeconds": 1}))
    await eventually(lambda: emulator.read(STATEFULSETS, NAMESPACE, "demo-node"))
    await emulator.put(LEASES, NAMESPACE, lease("demo-node-2", connections=9, draining=True))
    await scale(api, 2)
    await eventually(lambda: condition(cluster(emulator), "Draining").get("status") == "True")

    def lowered() -> bool:
        sts = emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {}
        return bool(sts["spec"]["replicas"] == 2)

    await eventually(lowered, timeout=5, what="the drain timeout ends the wait")


async def test_pause_annotation_freezes_the_cluster(
    emulator: KubeEmulator, api: httpx.AsyncClient, operator: None
) -> None:
    """With echosphere.io/paused the operator changes nothing; without it, it catches up."""
    await put_connection_secrets(api, amqp=amqp_url())
    await create_cluster(api, cluster_body())
    await eventually(lambda: emulator.read(STATEFULSETS, NAMESPACE, "demo-node"))
    pause = {"metadata": {"annotations": {"echosphere.io/paused": "true"}}}
    await api.patch(f"{CLUSTER_PATH}/demo", json=pause, headers=MERGE)
    await eventually(lambda: cluster(emulator)["status"].get("phase") == "Paused")

    await scale(api, 5)
    await asyncio.sleep(0.8)
    assert (emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {})["spec"]["replicas"] == 2

    unpause = {"metadata": {"annotations": {"echosphere.io/paused": None}}}
    await api.patch(f"{CLUSTER_PATH}/demo", json=unpause, headers=MERGE)

    def caught_up() -> bool:
        sts = emulator.read(STATEFULSETS, NAMESPACE, "demo-node") or {}
        return bool(sts["spec"]["replicas"] == 5)

    await eventually(caught_up, what="the paused change applied after unpausing")


async def test_unreachable_broker_degrades_warns_and_recovers(
    emulator: KubeEmulator, api: httpx.AsyncClient, operator: None
) -> None:
    """A broker that cannot be reached sets MessagingReady False with a reason and a Warning
    Event, is retried with backoff, and the cluster recovers once the Secret is fixed."""
    url = amqp_url()
    await put_connection_secrets(api, amqp="amqp://guest:guest@127.0.0.1:1/")
    await create_cluster(api, cluster_body())
    await eventually(
        lambda: condition(cluster(emulator), "MessagingReady").get("status") == "False"
    )
    failed = condition(cluster(emulator), "MessagingReady")
    assert failed["reason"] == "Unreachable" and "attempt" in failed["message"]
    assert condition(cluster(emulator), "Degraded")["status"] == "True"
    warning = await event(emulator, "MessagingReadyFalse")
    assert warning["type"] == "Warning" and warning["involvedObject"]["name"] == "demo"

    fixed = {"data": {"url": __import__("base64").b64encode(url.encode()).decode()}}
    answer = await api.patch(
        f"/api/v1/namespaces/{NAMESPACE}/secrets/rabbitmq", json=fixed, headers=MERGE
    )
    assert answer.status_code == 200
    await eventually(lambda: condition(cluster(emulator), "MessagingReady").get("status") == "True")
    assert condition(cluster(emulator), "Degraded")["status"] == "False"


async def test_delete_policy_removes_exchanges(
    emulator: KubeEmulator, api: httpx.AsyncClient, operator: None
) -> None:
    """deletionPolicy Delete removes the exchanges; children go with their owner."""
    url = amqp_url()
    exchanges = unique_exchanges("delete")
    await put_connection_secrets(api, amqp=url)
    await create_cluster(
        api,
        cluster_body(
            deletionPolicy="Delete",
            messaging={"secretRef": {"name": "rabbitmq"}, "exchanges": exchanges},
        ),
    )
    await eventually(lambda: condition(cluster(emulator), "MessagingReady").get("status") == "True")
    assert await exchange_exists(url, exchanges[0]["name"])
    await finalizer_added(emulator)

    answer = await api.delete(f"{CLUSTER_PATH}/demo")
    assert answer.status_code == 200
    await eventually(lambda: emulator.read(ECHOCLUSTERS, NAMESPACE, "demo") is None)
    for exchange in exchanges:
        assert not await exchange_exists(url, exchange["name"])
    assert emulator.read(STATEFULSETS, NAMESPACE, "demo-node") is None, "garbage-collected"
    await event(emulator, "CleanedUp")


async def test_retain_policy_keeps_exchanges(
    emulator: KubeEmulator, api: httpx.AsyncClient, operator: None
) -> None:
    """deletionPolicy Retain (the default) leaves the exchanges on the broker."""
    url = amqp_url()
    exchanges = unique_exchanges("retain")
    await put_connection_secrets(api, amqp=url)
    await create_cluster(
        api, cluster_body(messaging={"secretRef": {"name": "rabbitmq"}, "exchanges": exchanges})
    )
    await eventually(lambda: condition(cluster(emulator), "MessagingReady").get("status") == "True")
    await finalizer_added(emulator)
    await api.delete(f"{CLUSTER_PATH}/demo")
    await eventually(lambda: emulator.read(ECHOCLUSTERS, NAMESPACE, "demo") is None)
    try:
        assert await exchange_exists(url, exchanges[0]["name"])
        await event(emulator, "Retained")
    finally:
        await delete_exchanges(url, exchanges)


async def test_unreachable_dependency_does_not_block_deletion(
    emulator: KubeEmulator, api: httpx.AsyncClient, operator: None
) -> None:
    """With the broker gone, deletion still completes, with a Warning of what was left."""
    await put_connection_secrets(api, amqp="amqp://guest:guest@127.0.0.1:1/")
    await create_cluster(api, cluster_body(deletionPolicy="Delete"))
    await finalizer_added(emulator)
    await api.delete(f"{CLUSTER_PATH}/demo")
    await eventually(lambda: emulator.read(ECHOCLUSTERS, NAMESPACE, "demo") is None)
    warning = await event(emulator, "CleanupIncomplete")
    assert warning["type"] == "Warning" and "exchanges" in warning["message"]


async def test_broken_cluster_is_refused_with_the_rules_message(api: httpx.AsyncClient) -> None:
    """The emulated API server refuses what the CRD forbids, naming the rule."""
    body = cluster_body(nodes={"drainTimeoutSeconds": 120, "terminationGracePeriodSeconds": 30})
    answer = await api.post(CLUSTER_PATH, json=body)
    assert answer.status_code == 422
    assert "terminationGracePeriodSeconds must be at least drainTimeoutSeconds" in answer.text


async def test_probes_answer_health_and_metrics(
    emulator: KubeEmulator, api: httpx.AsyncClient, start_operator: Starter
) -> None:
    """The operator's own /healthz and /metrics."""
    port = free_port()
    await start_operator(probe_port=port)
    await put_connection_secrets(api, amqp=amqp_url())
    await create_cluster(api, cluster_body())
    await eventually(lambda: cluster(emulator).get("status", {}).get("conditions"))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        health = await http.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        text = (await http.get("/metrics")).text
    assert 'echosphere_operator_reconciles_total{result="ok"}' in text
    assert 'echosphere_operator_nodes{cluster="demo",namespace="chat",state="desired"} 2.0' in text


@pytest.mark.parametrize("replicas", [0, 3])
async def test_scale_subresource_maps_to_nodes(
    emulator: KubeEmulator, api: httpx.AsyncClient, replicas: int
) -> None:
    """The scale subresource reads and writes spec.nodes.replicas (no operator needed)."""
    await create_cluster(api, cluster_body())
    before = (await api.get(f"{CLUSTER_PATH}/demo/scale")).json()
    assert before["spec"]["replicas"] == 2
    assert (await scale(api, replicas))["spec"]["replicas"] == replicas
    assert cluster(emulator)["spec"]["nodes"]["replicas"] == replicas


async def test_buckets_come_and_go_with_the_cluster(
    emulator: KubeEmulator, api: httpx.AsyncClient, operator: None
) -> None:
    """With object storage, StorageReady follows real buckets on the local S3 server, and
    deletionPolicy Delete removes them."""
    from minio import Minio

    from echosphere_operator.wiring import storage
    from tests.operator.test_wiring import s3_url

    url = s3_url()
    extra = f"echo-{uuid.uuid4().hex[:8]}"
    await put_connection_secrets(api, amqp=amqp_url())
    await put_secret(api, "minio", url)
    await create_cluster(
        api,
        cluster_body(
            deletionPolicy="Delete",
            messaging={"secretRef": {"name": "rabbitmq"}, "exchanges": unique_exchanges("s3")},
            objectStorage={"secretRef": {"name": "minio"}, "buckets": [extra]},
        ),
    )
    await eventually(
        lambda: condition(cluster(emulator), "StorageReady").get("reason") == "Provisioned"
    )
    where = storage.parse_url(url)
    client = Minio(where.endpoint, where.access_key, where.secret_key, secure=where.secure)
    assert client.bucket_exists(extra)
    await finalizer_added(emulator)
    await api.delete(f"{CLUSTER_PATH}/demo")
    await eventually(lambda: emulator.read(ECHOCLUSTERS, NAMESPACE, "demo") is None)
    assert not client.bucket_exists(extra)

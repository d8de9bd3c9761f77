"""EchoSphere on a real cluster: chat through the ingress, scale under traffic, delete.

Runs in .github/workflows/e2e-kind.yaml against kind, with real RabbitMQ,
Redis, MongoDB, MinIO and OpenSearch (tests/e2e/manifests), the service and
operator images built from images/, and the chart with its CI values. The
EchoCluster is ``demo`` in namespace ``echosphere``; clients reach it at
``ECHO_E2E_URL`` (default http://chat.localtest.me, which resolves to
127.0.0.1 where kind publishes the ingress). The tests run in file order:
the last one deletes the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from echosphere.client import ChatClient, Message, Session, dev_login
from tests.support.accounts import Account, befriend, new_phone

pytestmark = pytest.mark.e2e

NAMESPACE = "echosphere"
NAME = "demo"
GROUP, VERSION, PLURAL = "echosphere.io", "v1alpha1", "echoclusters"
WAIT = 600.0


@pytest.fixture(scope="module")
def kube() -> k8s.ApiClient:
    return k8s_config.new_client_from_config(config_file=os.environ["ECHO_E2E_KUBECONFIG"])


@pytest.fixture(scope="module")
def base_url() -> str:
    return os.environ.get("ECHO_E2E_URL", "http://chat.localtest.me").rstrip("/")


def echocluster(kube: k8s.ApiClient) -> dict[str, Any]:
    found: dict[str, Any] = k8s.CustomObjectsApi(kube).get_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, NAME
    )
    return found


def condition(obj: dict[str, Any], kind: str) -> str:
    for entry in (obj.get("status") or {}).get("conditions") or ():
        if entry["type"] == kind:
            return str(entry["status"])
    return "Unknown"


async def until(check: Callable[[], bool], *, timeout: float = WAIT, what: str = "") -> None:
    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(check):
            await asyncio.sleep(2)


def scale(kube: k8s.ApiClient, replicas: int) -> None:
    """What ``kubectl scale ec/demo --replicas=N`` does: patch the scale subresource."""
    k8s.CustomObjectsApi(kube).patch_namespaced_custom_object_scale(
        GROUP, VERSION, NAMESPACE, PLURAL, NAME, {"spec": {"replicas": replicas}}
    )


def settled(kube: k8s.ApiClient, nodes: int) -> Callable[[], bool]:
    def check() -> bool:
        obj = echocluster(kube)
        status = obj.get("status") or {}
        return (
            condition(obj, "Ready") == "True"
            and condition(obj, "Draining") == "False"
            and (status.get("nodes") or {}).get("ready") == nodes
            and (status.get("nodes") or {}).get("replicas") == nodes
        )

    return check


def account(session: Session, phone: str) -> Account:
    return Account(session.user, phone, session.access_token, session.refresh_token, session.device)


@contextlib.asynccontextmanager
async def pair(base_url: str) -> AsyncIterator[tuple[ChatClient, ChatClient, str]]:
    """Two friends connected through the ingress, and their conversation."""
    phones = new_phone(), new_phone()
    alice, bob = [await dev_login(base_url, phone, "e2e") for phone in phones]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        await befriend(http, account(alice, phones[0]), account(bob, phones[1]))
    ws = base_url.replace("http", "ws", 1) + "/ws"
    low, high = sorted((alice.user, bob.user))
    async with ChatClient(ws, alice) as a, ChatClient(ws, bob) as b:
        yield a, b, f"d:{low}:{high}"


async def collect(client: ChatClient, conv: str, into: list[Message]) -> None:
    async for event in client.events():
        if isinstance(event, Message) and event.conv == conv:
            into.append(event)


async def test_cluster_is_ready_with_its_children(kube: k8s.ApiClient) -> None:
    await until(settled(kube, 2), what="demo Ready with 2 nodes")
    obj = echocluster(kube)
    for kind in ("MessagingReady", "StorageReady", "SearchReady", "ApiAvailable"):
        assert condition(obj, kind) == "True", kind
    apps = k8s.AppsV1Api(kube)
    sts = apps.read_namespaced_stateful_set("demo-node", NAMESPACE)
    assert sts.metadata.owner_references[0].uid == obj["metadata"]["uid"]
    leases = k8s.CoordinationV1Api(kube).list_namespaced_lease(
        NAMESPACE, label_selector=f"echosphere.io/cluster={NAME}"
    )
    assert sorted(lease.spec.holder_identity for lease in leases.items) == [
        "demo-node-0",
        "demo-node-1",
    ]


async def test_chat_through_the_ingress(base_url: str) -> None:
    async with pair(base_url) as (a, b, conv):
        received: list[Message] = []
        reader = asyncio.create_task(collect(b, conv, received))
        acks = [await a.send(conv, f"hello {n}") for n in range(10)]
        async with asyncio.timeout(30):
            while len(received) < 10:
                await asyncio.sleep(0.1)
        reader.cancel()
        assert [m.seq for m in received] == [ack.seq for ack in acks]


async def test_scaling_under_traffic_loses_nothing(kube: k8s.ApiClient, base_url: str) -> None:
    """Scale 2 -> 4 -> 2 while one user sends and the other reads: every acked message
    arrives once, in order, although the drained nodes' clients had to reconnect."""
    async with pair(base_url) as (a, b, conv):
        received: list[Message] = []
        reader = asyncio.create_task(collect(b, conv, received))
        stop = asyncio.Event()
        acked: list[int] = []

        async def traffic() -> None:
            n = 0
            while not stop.is_set():
                acked.append((await a.send(conv, f"m{n}")).seq)
                n += 1
                await asyncio.sleep(0.05)

        sender = asyncio.create_task(traffic())
        await asyncio.to_thread(scale, kube, 4)
        await until(settled(kube, 4), what="4 nodes ready")
        await asyncio.to_thread(scale, kube, 2)
        await until(settled(kube, 2), what="back to 2 nodes, drained")
        stop.set()
        await sender
        async with asyncio.timeout(60):
            while len(received) < len(acked):
                await asyncio.sleep(0.2)
        reader.cancel()

    assert len(acked) > 20
    seqs = [m.seq for m in received]
    assert seqs == sorted(set(seqs)), "in order, no duplicates"
    assert set(acked) <= set(seqs), "nothing acked was lost"


async def test_deleting_the_cluster_removes_everything(kube: k8s.ApiClient) -> None:
    k8s.CustomObjectsApi(kube).delete_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, NAME
    )
    apps = k8s.AppsV1Api(kube)

    def gone() -> bool:
        names = [s.metadata.name for s in apps.list_namespaced_stateful_set(NAMESPACE).items]
        clusters = k8s.CustomObjectsApi(kube).list_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL
        )
        return "demo-node" not in names and not clusters["items"]

    await until(gone, timeout=300, what="the cluster and its StatefulSet gone")
    events = k8s.CoreV1Api(kube).list_namespaced_event(
        NAMESPACE, field_selector=f"involvedObject.name={NAME}"
    )
    assert "CleanedUp" in {event.reason for event in events.items}

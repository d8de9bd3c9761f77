"""Fixtures for running the real operator against the Kubernetes API emulator.

No Kubernetes API server can run on our machines: ``emulator`` is kmock's
emulator extended in ``tests.operator.support.emulator``; the kind workflow
(.github/workflows/e2e-kind.yaml) runs the same operator against a real one.
``operator`` starts the operator exactly as its container does (``app.run``),
with short intervals so a test sees several reconciles per second. Chat
nodes are played by ``nodes``, a small HTTP server that records the drain
requests the operator sends, and by the Leases a test writes.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import os
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import kmock
import pytest
from aiohttp import web

from echosphere_operator.app import run
from echosphere_operator.settings import OperatorConfig
from tests.operator.support.emulator import ECHOCLUSTERS, KubeEmulator

NAMESPACE = "chat"
WAIT = 15.0
AMQP_VARIABLE = "ECHO_TEST_AMQP_URL"
S3_VARIABLE = "ECHO_TEST_S3_URL"

SECRETS = kmock.resource("", "v1", "secrets")
LEASES = kmock.resource("coordination.k8s.io", "v1", "leases")
STATEFULSETS = kmock.resource("apps", "v1", "statefulsets")
DEPLOYMENTS = kmock.resource("apps", "v1", "deployments")
EVENTS = kmock.resource("", "v1", "events")
PODS = kmock.resource("", "v1", "pods")


async def eventually(check: Callable[[], Any], *, timeout: float = WAIT, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what or check}")
        await asyncio.sleep(0.05)


@dataclass
class FakeNodes:
    """Chat nodes' admin routes: records which pods were asked to drain."""

    drained: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    template: str = ""

    async def drain(self, request: web.Request) -> web.Response:
        self.drained.append(request.match_info["pod"])
        self.tokens.add(request.headers.get("Authorization", ""))
        return web.json_response({"draining": True, "connections": 0}, status=202)


@pytest.fixture
async def emulator() -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator() as emulated, kmock.Server(emulated):
        yield emulated


@pytest.fixture
async def api(emulator: KubeEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client of the emulated API, for what ``kubectl`` would do."""
    async with httpx.AsyncClient(base_url=str(emulator.url).rstrip("/"), timeout=10) as http:
        yield http


@pytest.fixture
async def nodes() -> AsyncIterator[FakeNodes]:
    fake = FakeNodes()
    app = web.Application()
    app.router.add_post("/{pod}/node/drain", fake.drain)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.template = f"http://127.0.0.1:{port}/{{pod}}"
    yield fake
    await runner.cleanup()


def operator_config(emulator: KubeEmulator, nodes: FakeNodes, **changes: Any) -> OperatorConfig:
    values: dict[str, Any] = {
        "namespaces": (NAMESPACE,),
        "interval": 0.25,
        "retry_delay": 0.3,
        "wiring_timeout": 3.0,
        "wiring_resync": 60.0,
        "backoff_first": 0.2,
        "backoff_most": 1.0,
        "node_admin_url": nodes.template,
        "api_url": str(emulator.url).rstrip("/"),
        "probe_port": 0,
        "probe_host": "127.0.0.1",
        **changes,
    }
    return OperatorConfig(**values)


Starter = Callable[..., Awaitable[None]]


@pytest.fixture
async def start_operator(emulator: KubeEmulator, nodes: FakeNodes) -> AsyncIterator[Starter]:
    """Start the operator (at most once per test) with optional config changes.

    It runs in a thread with its own event loop, as in its container: kopf
    treats every task of its loop as its own at shutdown, so it must not share
    the loop that serves the emulator.
    """
    stop, ready = threading.Event(), threading.Event()
    failures: list[BaseException] = []
    threads: list[threading.Thread] = []

    def serve(config: OperatorConfig) -> None:
        try:
            asyncio.run(run(config, stop=stop, ready=ready))
        except BaseException as error:
            failures.append(error)
            ready.set()

    async def start(**changes: Any) -> None:
        config = operator_config(emulator, nodes, **changes)
        thread = threading.Thread(target=serve, args=(config,), name="operator", daemon=True)
        threads.append(thread)
        thread.start()
        assert await asyncio.to_thread(ready.wait, WAIT), "the operator did not start"

    yield start
    stop.set()
    for thread in threads:
        await asyncio.to_thread(thread.join, WAIT)
        assert not thread.is_alive(), "the operator did not stop"
    assert not failures, f"the operator failed: {failures[0]!r}"


@pytest.fixture
async def operator(start_operator: Starter) -> None:
    amqp_url()  # skip before starting anything when RabbitMQ is not there
    await start_operator()


def amqp_url() -> str:
    url = os.environ.get(AMQP_VARIABLE)
    if not url:
        pytest.skip(f"{AMQP_VARIABLE} is not set: run through scripts/test, which starts RabbitMQ")
    return url


async def put_secret(api: httpx.AsyncClient, name: str, url: str, key: str = "url") -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "data": {key: base64.b64encode(url.encode()).decode()},
    }
    answer = await api.post(f"/api/v1/namespaces/{NAMESPACE}/secrets", json=body)
    assert answer.status_code == 200, answer.text


async def put_connection_secrets(api: httpx.AsyncClient, *, amqp: str) -> None:
    await put_secret(api, "rabbitmq", amqp)
    await put_secret(api, "redis", "redis://redis.chat.svc:6379/0")
    await put_secret(api, "mongodb", "mongodb://mongodb.chat.svc:27017/echosphere")


def cluster_body(name: str = "demo", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "messaging": {"secretRef": {"name": "rabbitmq"}},
        "redis": {"secretRef": {"name": "redis"}},
        "mongodb": {"secretRef": {"name": "mongodb"}},
        **spec,
    }
    return {
        "apiVersion": "echosphere.io/v1alpha1",
        "kind": "EchoCluster",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": body,
    }


def unique_exchanges(prefix: str = "test") -> list[dict[str, str]]:
    """Exchange names of this test alone on the shared broker."""
    tag = uuid.uuid4().hex[:8]
    return [
        {"name": f"{prefix}.{tag}.direct", "type": "direct"},
        {"name": f"{prefix}.{tag}.fanout", "type": "fanout"},
    ]


async def create_cluster(api: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    path = f"/apis/echosphere.io/v1alpha1/namespaces/{NAMESPACE}/echoclusters"
    answer = await api.post(path, json=body)
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()
    return created


def cluster(emulator: KubeEmulator, name: str = "demo") -> dict[str, Any]:
    """The EchoCluster as stored now, with an empty status until it has one."""
    found = emulator.read(ECHOCLUSTERS, NAMESPACE, name) or {"metadata": {}}
    found.setdefault("status", {}).setdefault("nodes", {})
    return found


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    for entry in (obj.get("status") or {}).get("conditions") or ():
        if entry["type"] == kind:
            return dict(entry)
    return {}


def lease(
    pod: str, *, cluster_name: str = "demo", connections: int, draining: bool = False
) -> dict[str, Any]:
    """A node's Lease, in the shape docs/kubernetes.md gives."""
    now = datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": f"echosphere-node-{pod}",
            "namespace": NAMESPACE,
            "labels": {"echosphere.io/cluster": cluster_name, "echosphere.io/role": "node"},
            "annotations": {
                "echosphere.io/connections": str(connections),
                "echosphere.io/draining": "true" if draining else "false",
                "echosphere.io/address": f"ws://{pod}.demo-nodes.chat.svc:8080/ws",
            },
        },
        "spec": {"holderIdentity": pod, "leaseDurationSeconds": 15, "renewTime": now},
    }


async def event(emulator: KubeEmulator, reason: str) -> dict[str, Any]:
    """The first Event with this reason, once kopf has posted it (it posts in the background)."""
    found: list[dict[str, Any]] = await eventually(
        lambda: [e for e in events(emulator) if e.get("reason") == reason],
        what=f"an Event {reason}",
    )
    return found[0]


def events(emulator: KubeEmulator) -> list[dict[str, Any]]:
    found = []
    for (resource, _, _name), obj in list(emulator.objects.items()):
        if resource == EVENTS and not obj.deleted:
            found.append(dict(obj.raw))
    return found

"""The node registry contract, against every adapter that can run here.

ZooKeeper is the real server started by ``scripts/services up``; each test
uses its own chroot. Kubernetes Leases are served by kmock's API emulator.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import secrets
from collections.abc import AsyncIterator, Callable

import pytest

from echosphere.backends.lease_registry import LeaseRegistry, lease_body, node_from_lease
from echosphere.backends.memory_registry import MemoryRegistry
from echosphere.backends.zookeeper_registry import ZookeeperRegistry
from echosphere.core.errors import Unavailable
from echosphere.core.ports import NodeInfo, Registry

Factory = Callable[[], Registry]


def _zookeeper_factory() -> Factory:
    url = os.environ.get("ECHO_TEST_ZOOKEEPER_URL")
    if not url:
        pytest.skip("ECHO_TEST_ZOOKEEPER_URL not set; run scripts/services up")
    chroot = f"/echosphere-test-{secrets.token_hex(4)}"
    return lambda: ZookeeperRegistry.from_url(url + chroot)


def _lease_factory(request: pytest.FixtureRequest) -> Factory:
    """Leases on kmock's Kubernetes API emulator: no Kubernetes API server can run here
    (the kind workflow runs the same adapter against a real one)."""
    emulator = request.getfixturevalue("kmock")
    api = str(emulator.url).rstrip("/")
    cluster = f"c{secrets.token_hex(3)}"
    return lambda: LeaseRegistry(namespace="echo", cluster=cluster, api=api, duration=15)


@pytest.fixture(params=["memory", "zookeeper", "lease"])
def registry_factory(request: pytest.FixtureRequest) -> Factory:
    if request.param == "memory":
        shared = MemoryRegistry()
        return lambda: shared
    if request.param == "lease":
        return _lease_factory(request)
    return _zookeeper_factory()


@pytest.fixture
async def opened(registry_factory: Factory) -> AsyncIterator[list[Registry]]:
    made: list[Registry] = []
    yield made
    for registry in made:
        await registry.close()


def info(node_id: str, connections: int = 0) -> NodeInfo:
    return NodeInfo(
        id=node_id,
        address=f"ws://127.0.0.1:1/{node_id}",
        connections=connections,
        draining=False,
        started_at=1.0,
    )


async def test_registered_node_is_live(registry_factory: Factory, opened: list[Registry]) -> None:
    """A started node appears in live_nodes with what it registered."""
    registry = registry_factory()
    opened.append(registry)
    await registry.start(info("n1"))
    assert [n.id for n in await registry.live_nodes()] == ["n1"]
    assert (await registry.live_nodes())[0].address == "ws://127.0.0.1:1/n1"


async def test_update_reports_connections_and_draining(
    registry_factory: Factory, opened: list[Registry]
) -> None:
    """update() changes the connection count and drain flag others read."""
    registry = registry_factory()
    opened.append(registry)
    await registry.start(info("n1"))
    await registry.update(connections=42, draining=True)
    (node,) = await registry.live_nodes()
    assert (node.connections, node.draining) == (42, True)


async def test_closed_node_leaves(registry_factory: Factory, opened: list[Registry]) -> None:
    """A node that closes its registry is no longer live."""
    registry = registry_factory()
    await registry.start(info("n1"))
    await registry.close()
    watcher = registry_factory()
    opened.append(watcher)
    await watcher.start(None)
    assert await watcher.live_nodes() == []


async def test_zookeeper_watcher_sees_several_nodes(opened: list[Registry]) -> None:
    """Two nodes and a watcher (the API role) on ZooKeeper see each other."""
    factory = _zookeeper_factory()
    first, second, watcher = factory(), factory(), factory()
    opened.extend([first, second, watcher])
    await first.start(info("a", 3))
    await second.start(info("b", 5))
    await watcher.start(None)
    nodes = {n.id: n.connections for n in await watcher.live_nodes()}
    assert nodes == {"a": 3, "b": 5}


async def test_zookeeper_session_loss_removes_node(opened: list[Registry]) -> None:
    """A node whose ZooKeeper session ends (a crash) vanishes without closing politely."""
    factory = _zookeeper_factory()
    crashing, watcher = factory(), factory()
    opened.append(watcher)
    await crashing.start(info("doomed"))
    await watcher.start(None)
    assert [n.id for n in await watcher.live_nodes()] == ["doomed"]
    # Drop the session without deleting the znode, as a dying process would.
    client = crashing._zk
    await asyncio.to_thread(client.stop)
    await asyncio.to_thread(client.close)
    async with asyncio.timeout(15):
        while await watcher.live_nodes():
            await asyncio.sleep(0.2)


async def test_zookeeper_unreachable_is_unavailable() -> None:
    """Starting against a closed port fails with Unavailable, not a hang."""
    registry = ZookeeperRegistry("127.0.0.1:1", session_timeout=1.0)
    with pytest.raises(Unavailable):
        await registry.start(None)


def test_lease_past_its_duration_is_dead() -> None:
    """A Lease not renewed within its duration no longer counts as a live node."""
    lease = lease_body(info("old", 7), cluster="c", duration=15)
    renewed = datetime.datetime.fromisoformat(lease["spec"]["renewTime"].replace("Z", "+00:00"))
    alive = node_from_lease(lease, now=renewed + datetime.timedelta(seconds=14))
    assert alive is not None
    assert (alive.id, alive.connections) == ("old", 7)
    assert node_from_lease(lease, now=renewed + datetime.timedelta(seconds=16)) is None


async def test_leases_of_other_clusters_are_ignored(kmock: object) -> None:
    """Two clusters in one namespace see only their own nodes."""
    api = str(kmock.url).rstrip("/")  # type: ignore[attr-defined]
    mine = LeaseRegistry(namespace="echo", cluster="mine", api=api)
    theirs = LeaseRegistry(namespace="echo", cluster="theirs", api=api)
    await mine.start(info("m1"))
    await theirs.start(info("t1"))
    try:
        assert [n.id for n in await mine.live_nodes()] == ["m1"]
        assert [n.id for n in await theirs.live_nodes()] == ["t1"]
    finally:
        await mine.close()
        await theirs.close()

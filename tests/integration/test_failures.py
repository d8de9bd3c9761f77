"""Failures of links and nodes in a running cluster: the broker link cut and
restored through a TCP proxy (the shared broker itself is never stopped),
and a node drained while 200 clients are connected to it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from echosphere.client import ChatClient, Session, dev_login
from tests.integration.test_cluster import WAIT, account, chat, direct, users
from tests.support.accounts import befriend, new_phone
from tests.support.cluster import Cluster, run_cluster
from tests.support.proxy import ThreadedProxy
from tests.support.watcher import Watcher


@contextlib.contextmanager
def broker_proxy() -> Iterator[tuple[ThreadedProxy, str]]:
    url = urlsplit(os.environ["ECHO_TEST_AMQP_URL"])
    with ThreadedProxy(url.hostname or "127.0.0.1", url.port or 5672) as proxy:
        netloc = f"{url.username}:{url.password}@127.0.0.1:{proxy.port}"
        yield proxy, urlunsplit((url.scheme, netloc, url.path, url.query, ""))


async def test_broker_link_cut_and_restored(tmp_path: Path) -> None:
    """While the nodes cannot reach RabbitMQ, sends are still acked; once the link is
    back, live delivery resumes, and the receiver ends with every message once."""
    with (
        broker_proxy() as (proxy, amqp_url),
        run_cluster(tmp_path / "cluster", nodes=2, amqp_url=amqp_url) as cluster,
    ):
        (a, pa), (b, pb) = await users(cluster, 2)
        async with httpx.AsyncClient(base_url=cluster.api.url, timeout=10) as http:
            await befriend(http, account(a, pa), account(b, pb))
        pair = direct(a, b)
        first, second = (n.ws_url for n in cluster.nodes)
        async with chat(first, a) as wa, chat(second, b) as wb:
            await wa.client.send(pair, "before")
            await wb.until(lambda: len(wb.messages(pair)) == 1)

            proxy.cut()
            during = [(await wa.client.send(pair, f"cut {i}")).seq for i in range(20)]
            assert during == list(range(2, 22))

            proxy.restore()
            await asyncio.sleep(1.0)
            # Live delivery works again: a fresh message arrives without any sync.
            synced_before = wb.synced()
            last = await wa.client.send(pair, "after")
            await wb.until(lambda: last.seq in wb.seqs(pair))
            # The gap (if the bus dropped anything) is filled by the client's sync.
            await wb.until(lambda: len(wb.messages(pair)) == 22)
            await wb.quiet()
            assert wb.seqs(pair) == list(range(1, 23))
            assert wb.synced() >= synced_before


@pytest.fixture
def small_cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    with run_cluster(tmp_path / "cluster", nodes=2, ECHO_DRAIN_TIMEOUT="30") as running:
        yield running  # type: ignore[misc]


async def test_drain_moves_200_clients_and_loses_nothing(small_cluster: Cluster) -> None:
    """Draining a node with 200 clients: all move to the other node, messages sent
    meanwhile all arrive, the node reports zero connections and exits on SIGTERM."""
    cluster = small_cluster
    draining, staying = cluster.nodes
    ((sender, sender_phone),) = await users(cluster, 1)
    gate = asyncio.Semaphore(10)

    async def sign_up() -> Session:
        async with gate:
            return await dev_login(cluster.api.url, new_phone())

    sessions = await asyncio.gather(*(sign_up() for _ in range(200)))
    async with httpx.AsyncClient(base_url=cluster.api.url, timeout=30) as http:
        me = account(sender, sender_phone)
        for session in sessions[:20]:
            await befriend(http, me, account(session, ""))

    watchers = [Watcher(ChatClient([draining.ws_url, staying.ws_url], s)) for s in sessions]

    async def connect(watcher: Watcher) -> None:
        async with gate:
            await watcher.client.connect()

    async with asyncio.timeout(120):
        await asyncio.gather(*(connect(w) for w in watchers))
    try:
        assert await node_connections(cluster, draining.name) == 200
        async with chat(staying.ws_url, sender) as ws:
            async with httpx.AsyncClient(timeout=10) as http:
                started = await http.post(
                    draining.url + "/node/drain",
                    headers={"Authorization": f"Bearer {cluster.env['ECHO_ADMIN_TOKEN']}"},
                )
            assert started.status_code == 202
            sent = {}
            for index, session in enumerate(sessions[:20]):
                sent[session.user] = (await ws.client.send(direct(sender, session), f"{index}")).seq
            async with asyncio.timeout(60):
                while await node_connections(cluster, draining.name) > 0:
                    await asyncio.sleep(0.5)
            for watcher, session in zip(watchers[:20], sessions[:20], strict=True):
                conv = direct(sender, session)
                await watcher.until(lambda w=watcher, c=conv: len(w.messages(c)) == 1, WAIT)
                assert watcher.seqs(conv) == [sent[session.user]]
        # Every client is connected again, to the other node.
        assert await node_connections(cluster, staying.name) >= 200
    finally:
        async with asyncio.timeout(60):
            await asyncio.gather(*(w.client.close() for w in watchers))
        for watcher in watchers:
            await watcher.stop()
    assert draining.terminate(timeout=30) in (0, -15)


async def node_connections(cluster: Cluster, node: str) -> int:
    """The node's own count of its connections."""
    process = next(p for p in cluster.nodes if p.name == node)
    headers = {"Authorization": f"Bearer {cluster.env['ECHO_ADMIN_TOKEN']}"}
    async with httpx.AsyncClient(timeout=10) as http:
        status = await http.get(process.url + "/node/status", headers=headers)
    status.raise_for_status()
    return int(status.json()["connections"])

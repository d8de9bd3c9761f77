"""Several chat nodes behave as one chat service, and losing one loses nothing.

An API process and chat-node processes share a SQLite file and use the real
Redis, RabbitMQ and ZooKeeper on 127.0.0.1. Clients are SDK clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest

from echosphere.client import ChatClient, Session, dev_login
from echosphere.core.ids import direct_conv
from tests.support.accounts import Account, befriend, make_group, new_phone
from tests.support.cluster import Cluster, run_cluster
from tests.support.watcher import Watcher

WAIT = 30.0


def account(session: Session, phone: str) -> Account:
    return Account(session.user, phone, session.access_token, session.refresh_token, session.device)


def direct(a: Session, b: Session) -> str:
    return direct_conv(a.user, b.user)


@contextlib.asynccontextmanager
async def chat(urls: str | Sequence[str], session: Session) -> AsyncIterator[Watcher]:
    client = ChatClient(urls, session, send_timeout=WAIT)
    watcher = Watcher(client)
    async with asyncio.timeout(WAIT):
        await client.connect()
    try:
        yield watcher
    finally:
        async with asyncio.timeout(WAIT):
            await client.close()
        await watcher.stop()


async def users(cluster: Cluster, count: int) -> list[tuple[Session, str]]:
    made = []
    for _ in range(count):
        phone = new_phone()
        made.append((await dev_login(cluster.api.url, phone), phone))
    return made


@pytest.fixture
def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    with run_cluster(tmp_path / "cluster", nodes=3) as running:
        yield running  # type: ignore[misc]


async def test_users_on_different_nodes_chat_one_to_one_and_in_a_group(cluster: Cluster) -> None:
    """Three users on three nodes: every message arrives once, in order, everywhere."""
    (a, pa), (b, pb), (c, pc) = await users(cluster, 3)
    async with httpx.AsyncClient(base_url=cluster.api.url, timeout=10) as http:
        await befriend(http, account(a, pa), account(b, pb))
        await befriend(http, account(a, pa), account(c, pc))
        group = await make_group(http, account(a, pa), [account(b, pb), account(c, pc)])
    node = [n.ws_url for n in cluster.nodes]
    async with chat(node[0], a) as wa, chat(node[1], b) as wb, chat(node[2], c) as wc:
        pair = direct(a, b)
        for i in range(20):
            sender = a if i % 2 == 0 else b
            client = wa.client if sender is a else wb.client
            await client.send(pair, f"direct {i}")
        for i in range(30):
            client = (wa, wb, wc)[i % 3].client
            await client.send(group["conv"], f"group {i}")

        conv = group["conv"]
        await wa.until(lambda: len(wa.messages(pair)) >= 10 and len(wa.messages(conv)) >= 20)
        await wb.until(lambda: len(wb.messages(pair)) >= 10 and len(wb.messages(conv)) >= 20)
        await wc.until(lambda: len(wc.messages(conv)) >= 20)
        for watcher in (wa, wb, wc):
            await watcher.quiet()

    # Each side receives the other side's messages (its own are acked, not echoed).
    assert wa.seqs(pair) == list(range(2, 21, 2))
    assert wb.seqs(pair) == list(range(1, 20, 2))
    everyone = set(range(1, 31))
    for index, watcher in enumerate((wa, wb, wc)):
        own = {seq for seq in everyone if (seq - 1) % 3 == index}
        assert watcher.seqs(group["conv"]) == sorted(everyone - own)


async def test_killed_node_loses_nothing(cluster: Cluster) -> None:
    """SIGKILL the receiver's node mid-traffic: it reconnects elsewhere and gets every
    acked message exactly once, in order; the dead node's presence is swept."""
    (a, pa), (b, pb) = await users(cluster, 2)
    async with httpx.AsyncClient(base_url=cluster.api.url, timeout=10) as http:
        await befriend(http, account(a, pa), account(b, pb))
    doomed, survivor, spare = cluster.nodes
    pair = direct(a, b)
    acked: list[int] = []
    async with chat(spare.ws_url, a) as wa, chat([doomed.ws_url, survivor.ws_url], b) as wb:
        await wa.client.send(pair, "first")
        await wb.until(lambda: len(wb.messages(pair)) == 1)
        assert "node-0" in redis_keys(cluster, "presence:node:*")
        acked.append(1)
        for i in range(99):
            acked.append((await wa.client.send(pair, f"m{i}")).seq)
            if i == 40:
                doomed.kill()
        await wb.until(lambda: len(wb.messages(pair)) >= 100, WAIT)
        await wb.quiet()
        assert wb.seqs(pair) == acked == list(range(1, 101))

    async with asyncio.timeout(WAIT):
        while "node-0" in redis_keys(cluster, "presence:node:*"):
            await asyncio.sleep(0.5)


def redis_keys(cluster: Cluster, pattern: str) -> str:
    prefix = cluster.env["ECHO_KV_URL"].split("prefix=")[1]
    found = subprocess.run(
        ["redis-cli", "--scan", "--pattern", prefix + pattern],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return found.stdout

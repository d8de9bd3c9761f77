"""The delivery contract as a client sees it: nothing lost, nothing twice, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from echosphere.client import Ack, Connected, Disconnected, MemoryCursors
from echosphere.client.link import Link
from tests.client.conftest import WAIT, Opener, User, Watcher, direct, port_of, sign_up
from tests.client.proxy import Proxy
from tests.support.accounts import befriend, make_group
from tests.support.server import RunningServer


async def friends(server: RunningServer, http: httpx.AsyncClient) -> tuple[User, User, str]:
    alice, bob = await sign_up(server), await sign_up(server)
    await befriend(http, alice.account, bob.account)
    return alice, bob, direct(alice, bob)


def texts(watcher: Watcher, conv: str) -> list[str]:
    return [m.body["text"] for m in watcher.messages(conv)]


async def test_offline_recipient_gets_exactly_what_was_missed(
    server: RunningServer, http: httpx.AsyncClient, open_chat: Opener
) -> None:
    """Bob is away while Alice sends 200 messages; back, he gets those 200 in order, no more."""
    alice, bob, conv = await friends(server, http)
    a, b = await open_chat(alice), await open_chat(bob)
    await a.client.send(conv, "before")
    await b.until(lambda: texts(b, conv) == ["before"])
    await b.client.close()

    acks = [await a.client.send(conv, f"away {n}") for n in range(200)]
    back = await open_chat(bob, cursors=b.client.cursors)
    await back.until(lambda: len(back.messages(conv)) >= 200)
    await back.quiet()

    assert back.seqs(conv) == [ack.seq for ack in acks] == list(range(2, 202))
    assert texts(back, conv) == [f"away {n}" for n in range(200)]
    assert back.messages() == back.messages(conv)


async def test_same_cid_is_stored_once_across_a_reconnect(
    server: RunningServer, http: httpx.AsyncClient, open_chat: Opener
) -> None:
    """A cid sent three times (once with its ack lost to a dead link) is one message, one ack."""
    alice, bob, conv = await friends(server, http)
    b = await open_chat(bob)
    async with Proxy(port_of(server)) as proxy:
        a = await open_chat(alice, url=proxy.ws_url)

        proxy.deafen()  # the send arrives, its ack never comes back
        first = asyncio.create_task(a.client.send(conv, "once", cid="cid-1"))
        await b.until(lambda: len(b.messages(conv)) == 1)  # so it is stored
        assert not first.done()
        proxy.cut()

        async with asyncio.timeout(WAIT):
            acks = [await first, await a.client.send(conv, "once", cid="cid-1")]
        acks.append(await a.client.send(conv, "once", cid="cid-1"))

    assert acks[0] == acks[1] == acks[2]
    assert acks[0].seq == 1 and acks[0].cid == "cid-1"
    assert proxy.links == 2
    assert [m.seq for m in await b.client.history(conv)] == [1]
    await b.quiet()
    assert b.seqs(conv) == [1]


@pytest.mark.parametrize("where", ["network", "client"])
async def test_links_dropped_mid_stream_lose_and_repeat_nothing(
    server: RunningServer,
    http: httpx.AsyncClient,
    open_chat: Opener,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """Both links die abruptly while 100 messages flow; after reconnect all arrive once."""
    alice, bob, conv = await friends(server, http)
    links: list[Link] = []
    dial = Link.open

    async def recorded(url: str, token: str, *, open_timeout: float) -> Link:
        links.append(await dial(url, token, open_timeout=open_timeout))
        return links[-1]

    monkeypatch.setattr(Link, "open", recorded)
    async with Proxy(port_of(server)) as proxy:
        a = await open_chat(alice, url=proxy.ws_url)
        b = await open_chat(bob, url=proxy.ws_url)

        async def stream() -> list[Ack]:
            return [await a.client.send(conv, f"n{n}") for n in range(100)]

        sending = asyncio.create_task(stream())
        await b.until_messages(conv, 30)
        if where == "network":
            proxy.cut()  # both ends reset, as by a failing router
        else:
            for link in links:
                link.abort()  # each client drops its own TCP connection, no close frame
        async with asyncio.timeout(WAIT):
            acks = await sending
        await b.until_messages(conv, 100)
        await b.quiet()

    assert [ack.seq for ack in acks] == list(range(1, 101))
    assert b.seqs(conv) == list(range(1, 101))
    assert texts(b, conv) == [f"n{n}" for n in range(100)]
    for watcher in (a, b):
        assert len(watcher.of(Disconnected)) == 1
        assert len(watcher.of(Connected)) == 2
    assert proxy.links == len(links) == 4


async def test_a_missed_live_message_is_fetched_by_sync(
    server: RunningServer,
    http: httpx.AsyncClient,
    open_chat: Opener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bob's link loses live message 2; message 3 shows the gap and a sync brings 2 first."""
    alice, bob, conv = await friends(server, http)
    lost: list[dict[str, Any]] = []
    receive = Link.receive

    async def lossy(link: Link) -> dict[str, Any] | None:
        frame = await receive(link)
        if frame and link.hello["user"] == bob.id and frame.get("seq") == 2 and not lost:
            lost.append(frame)
            frame = await receive(link)
        return frame

    monkeypatch.setattr(Link, "receive", lossy)
    a, b = await open_chat(alice), await open_chat(bob)
    for n in range(1, 4):
        await a.client.send(conv, f"m{n}")
        if n == 1:
            await b.until(lambda: len(b.messages(conv)) == 1)

    await b.until(lambda: len(b.messages(conv)) == 3)
    assert [frame["seq"] for frame in lost] == [2]
    assert b.seqs(conv) == [1, 2, 3]
    assert b.synced() == 2  # the catch-up at connect, then the one the gap asked for
    await a.client.send(conv, "m4")
    await b.until(lambda: len(b.messages(conv)) == 4)
    assert b.synced() == 2 and b.seqs(conv) == [1, 2, 3, 4]


async def test_group_of_fifty_everyone_gets_everything_once(
    server: RunningServer, http: httpx.AsyncClient, open_chat: Opener
) -> None:
    """Group of 50, 20 online, 5 senders at once: all get all 20 once, in order, offline later."""
    users = [await sign_up(server) for _ in range(50)]
    owner, members = users[0], users[1:]
    for member in members:
        await befriend(http, owner.account, member.account)
    group = await make_group(http, owner.account, [m.account for m in members], name="fifty")
    conv = group["conv"]
    online = [await open_chat(user) for user in users[:20]]
    senders = online[1:6]

    async def burst(watcher: Watcher, who: int) -> list[Ack]:
        return [await watcher.client.send(conv, f"{who}.{n}") for n in range(4)]

    bursts = await asyncio.gather(*(burst(w, i) for i, w in enumerate(senders)))
    own = {id(w): {ack.seq for ack in acks} for w, acks in zip(senders, bursts, strict=True)}
    everything = set(range(1, 21))
    assert set().union(*own.values()) == everything

    for watcher in online:
        await watcher.until_messages(conv, 20 - len(own.get(id(watcher), set())))
    for watcher in online:
        await watcher.quiet()
        seqs = watcher.seqs(conv)
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
        assert set(seqs) | own.get(id(watcher), set()) == everything
        assert not set(seqs) & own.get(id(watcher), set())

    offline = await asyncio.gather(*(open_chat(user) for user in users[20:]))
    for watcher in offline:
        await watcher.until_messages(conv, 20)
        await watcher.quiet()
        assert watcher.seqs(conv) == sorted(everything)


async def test_cursors_resume_where_the_store_says(
    server: RunningServer, http: httpx.AsyncClient, open_chat: Opener
) -> None:
    """A client given a cursor store starts after its cursors; an empty one gets everything."""
    alice, bob, conv = await friends(server, http)
    a = await open_chat(alice)
    for n in range(6):
        await a.client.send(conv, f"m{n}")

    resumed = await open_chat(bob, cursors=MemoryCursors({conv: 4}))
    fresh = await open_chat(await sign_up(server, bob.phone), cursors=MemoryCursors())
    await resumed.quiet()
    await fresh.quiet()
    assert resumed.seqs(conv) == [5, 6]
    assert fresh.seqs(conv) == [1, 2, 3, 4, 5, 6]
    assert resumed.client.cursors.all() == {conv: 6}

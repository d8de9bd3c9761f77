"""Who may send, recall, read and type, and what the others see."""

from __future__ import annotations

import time

import httpx

from tests.node.test_protocol import direct, text
from tests.support.accounts import befriend, login, make_group
from tests.support.raw_ws import raw_socket
from tests.support.server import RunningServer


async def test_blocked_sender_is_refused(server: RunningServer, client: httpx.AsyncClient) -> None:
    """Once B blocks A, A's messages to B get error code blocked; B can still write."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    assert (await client.put(f"/api/blocks/{a.id}", headers=b.headers)).status_code == 204
    async with (
        raw_socket(server.ws_url, a.access_token) as wa,
        raw_socket(server.ws_url, b.access_token) as wb,
    ):
        error = await wa.request(text(direct(a, b), "a1"), "error", cid="a1")
        assert error["code"] == "blocked"
        assert (await wb.request(text(direct(a, b), "b1"), "ack"))["seq"] == 1


async def test_non_member_cannot_send_or_read_group(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """A stranger gets forbidden for send, history and sync never shows the group."""
    owner, friend, stranger = [await login(client) for _ in range(3)]
    await befriend(client, owner, friend)
    group = await make_group(client, owner, [friend])
    async with raw_socket(server.ws_url, stranger.access_token) as ws:
        error = await ws.request(text(group["conv"], "s1"), "error")
        assert error["code"] == "forbidden"
        error = await ws.request({"op": "history", "conv": group["conv"]}, "error")
        assert error["code"] == "forbidden"
        synced = await ws.request({"op": "sync", "cursors": {group["conv"]: 0}}, "synced")
        assert group["conv"] not in synced["cursors"]


async def test_muted_group_only_managers_send(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """In a muted group plain members get muted; the owner still sends."""
    owner, member = await login(client), await login(client)
    await befriend(client, owner, member)
    group = await make_group(client, owner, [member])
    muted = await client.patch(
        f"/api/groups/{group['id']}", json={"muted": True}, headers=owner.headers
    )
    assert muted.status_code == 200
    async with (
        raw_socket(server.ws_url, member.access_token) as wm,
        raw_socket(server.ws_url, owner.access_token) as wo,
    ):
        assert (await wm.request(text(group["conv"], "m1"), "error"))["code"] == "muted"
        assert (await wo.request(text(group["conv"], "o1"), "ack"))["seq"] == 1
        assert (await wm.expect("msg"))["from"] == owner.id


async def test_recall_by_sender_within_window(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """The sender recalls; everyone gets recalled; history and sync show a tombstone."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    conv = direct(a, b)
    async with (
        raw_socket(server.ws_url, a.access_token) as wa,
        raw_socket(server.ws_url, b.access_token) as wb,
    ):
        ack = await wa.request(text(conv, "r1", "oops"), "ack")
        await wb.expect("msg")
        error = await wb.request({"op": "recall", "conv": conv, "seq": ack["seq"]}, "error")
        assert error["code"] == "recall_refused"
        await wa.send({"op": "recall", "conv": conv, "seq": ack["seq"]})
        for ws in (wa, wb):
            recalled = await ws.expect("recalled")
            assert (recalled["seq"], recalled["by"]) == (ack["seq"], a.id)
        page = await wb.request({"op": "history", "conv": conv}, "history")
        assert page["messages"][0]["recalled"] is True
        assert page["messages"][0]["body"] == {}
        await wb.send({"op": "sync", "cursors": {}})
        replayed = await wb.expect("msg")
        assert replayed.get("recalled") is True and replayed["body"] == {}


async def test_recall_after_window_refused_but_group_admin_may(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """Past the window the sender may not recall; a group owner still may."""
    owner, member = await login(client), await login(client)
    await befriend(client, owner, member)
    group = await make_group(client, owner, [member])
    window = server.platform.settings.recall_window
    async with (
        raw_socket(server.ws_url, member.access_token) as wm,
        raw_socket(server.ws_url, owner.access_token) as wo,
    ):
        ack = await wm.request(text(group["conv"], "late"), "ack")
        server.platform.clock = lambda: time.time() + window + 5
        recall = {"op": "recall", "conv": group["conv"], "seq": ack["seq"]}
        assert (await wm.request(recall, "error"))["code"] == "recall_refused"
        await wo.send(recall)
        assert (await wm.expect("recalled"))["by"] == owner.id


async def test_read_and_delivery_receipts(server: RunningServer, client: httpx.AsyncClient) -> None:
    """recv gives the sender a delivered receipt, read a read receipt and unread drops."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    conv = direct(a, b)
    async with (
        raw_socket(server.ws_url, a.access_token) as wa,
        raw_socket(server.ws_url, b.access_token) as wb,
    ):
        for i in range(3):
            await wa.request(text(conv, f"m{i}"), "ack", cid=f"m{i}")
        listing = (await client.get("/api/conversations", headers=b.headers)).json()
        assert listing["conversations"][0]["unread"] == 3
        await wb.send({"op": "recv", "conv": conv, "seq": 3})
        delivered = await wa.expect("receipt", kind="delivered")
        assert (delivered["user"], delivered["seq"]) == (b.id, 3)
        await wb.send({"op": "read", "conv": conv, "seq": 2})
        read = await wa.expect("receipt", kind="read")
        assert (read["user"], read["seq"]) == (b.id, 2)
    listing = (await client.get("/api/conversations", headers=b.headers)).json()
    state = listing["conversations"][0]
    assert (state["read_seq"], state["unread"], state["last_seq"]) == (2, 1, 3)


async def test_group_readers(server: RunningServer, client: httpx.AsyncClient) -> None:
    """Group read receipts: the readers route lists who read a message."""
    owner, m1, m2 = [await login(client) for _ in range(3)]
    await befriend(client, owner, m1)
    await befriend(client, owner, m2)
    group = await make_group(client, owner, [m1, m2])
    async with (
        raw_socket(server.ws_url, owner.access_token) as wo,
        raw_socket(server.ws_url, m1.access_token) as w1,
    ):
        ack = await wo.request(text(group["conv"], "g1"), "ack")
        await w1.send({"op": "read", "conv": group["conv"], "seq": ack["seq"]})
        await wo.expect("receipt", kind="read", user=m1.id)
    url = f"/api/conversations/{group['conv']}/messages/{ack['seq']}/readers"
    readers = (await client.get(url, headers=m2.headers)).json()["readers"]
    assert readers == [m1.id]
    stranger = await login(client)
    assert (await client.get(url, headers=stranger.headers)).status_code == 403


async def test_typing_reaches_the_peer_only(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """Typing goes to the other party, not back to the typist, and is not stored."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    conv = direct(a, b)
    async with (
        raw_socket(server.ws_url, a.access_token) as wa,
        raw_socket(server.ws_url, b.access_token) as wb,
    ):
        await wa.send({"op": "typing", "conv": conv})
        typing = await wb.expect("typing")
        assert (typing["conv"], typing["user"]) == (conv, a.id)
        assert [f for f in await wa.quiet(0.3) if f["op"] == "typing"] == []
    assert (await client.get(f"/api/conversations/{conv}/messages", headers=a.headers)).json()[
        "messages"
    ] == []

"""Losing and regaining the link: backoff, tokens, refusals, drain notices."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from echosphere.client import (
    AuthError,
    Backoff,
    ChatClient,
    Connected,
    ConnectionLost,
    Disconnected,
    Drain,
    Reconnecting,
    Session,
)
from echosphere.client.link import Link
from tests.client.conftest import Opener, direct, port_of, sign_up
from tests.client.proxy import Proxy
from tests.support.accounts import befriend
from tests.support.server import RunningServer, embedded_settings, serve

QUICK = Backoff(base=0.05, cap=0.2)


@pytest.fixture
async def short_tokens(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server whose access tokens live one second."""
    async with serve(embedded_settings(tmp_path / "short", access_ttl=1)) as running:
        yield running


@pytest.fixture
async def impatient(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server that closes sockets silent for one second and asks for pings every 0.3 s."""
    settings = embedded_settings(tmp_path / "impatient", heartbeat=0.3, idle_timeout=1.0)
    async with serve(settings) as running:
        yield running


async def test_heartbeats_keep_an_idle_link_open(
    impatient: RunningServer, open_chat: Opener
) -> None:
    """An idle client pings as hello asks, so the node's idle timeout never closes it."""
    alice = await sign_up(impatient)
    a = await open_chat(alice, url=impatient.ws_url)
    await asyncio.sleep(2.5)
    assert a.client.connected
    assert not a.of(Disconnected)


async def test_a_link_without_pongs_is_dropped_and_replaced(
    server: RunningServer, open_chat: Opener
) -> None:
    """When pongs stop coming the client drops the link itself and reconnects."""
    alice = await sign_up(server)
    async with Proxy(port_of(server)) as proxy:
        a = await open_chat(alice, url=proxy.ws_url, heartbeat=0.2, backoff=QUICK)
        proxy.deafen()
        await a.until(lambda: len(a.of(Connected)) == 2)
        assert await a.client.ping() < 5

    assert [d.code for d in a.of(Disconnected)] == [None]
    assert proxy.links == 2


async def test_an_expired_token_is_refreshed_once(
    short_tokens: RunningServer, open_chat: Opener
) -> None:
    """Connecting with an expired access token refreshes the session and goes on."""
    alice = await sign_up(short_tokens)
    await asyncio.sleep(2.1)
    seen: list[Session] = []
    a = await open_chat(alice, url=short_tokens.ws_url, on_session=seen.append)

    assert a.client.session == seen[0]
    assert seen[0].refresh_token != alice.session.refresh_token
    assert seen[0].access_token != alice.session.access_token
    assert seen[0].user == alice.id and seen[0].device == alice.session.device
    assert await a.client.ping() < 5


async def test_a_bad_token_fails_connect(server: RunningServer) -> None:
    """A token the node cannot verify makes connect raise AuthError."""
    alice = await sign_up(server)
    forged = Session(server.url, alice.session.user, alice.session.device, "x.y.z", "", 0.0)
    client = ChatClient(server.ws_url, forged)
    with pytest.raises(AuthError) as refused:
        await client.connect()
    assert refused.value.code == "token_invalid"
    await client.close()


async def test_a_revoked_session_ends_the_client(
    server: RunningServer, http: httpx.AsyncClient, open_chat: Opener
) -> None:
    """After a logout the next reconnect is refused (4401): no retry, events() raises."""
    alice = await sign_up(server)
    async with Proxy(port_of(server)) as proxy:
        a = await open_chat(alice, url=proxy.ws_url, backoff=QUICK)
        logout = await http.post("/api/auth/logout", headers=alice.account.headers)
        assert logout.status_code == 204
        proxy.cut()
        await a.until(lambda: a.failure is not None)

    assert isinstance(a.failure, AuthError) and a.failure.code == "session_revoked"
    assert a.events[-1] == Disconnected(4401, "session_revoked", final=True)
    assert len(a.of(Reconnecting)) == 1
    with pytest.raises(AuthError):
        await a.client.send(f"d:{alice.id}:{alice.id}", "too late")


async def test_a_second_connection_of_the_device_replaces_the_first(
    server: RunningServer, open_chat: Opener
) -> None:
    """The node closes the older connection of a device with 4409; it does not come back."""
    alice = await sign_up(server)
    first = await open_chat(alice)
    second = await open_chat(alice)
    await first.until(lambda: first.failure is not None)

    assert isinstance(first.failure, ConnectionLost) and first.failure.code == "replaced"
    assert first.events[-1] == Disconnected(4409, "replaced", final=True)
    assert not first.of(Reconnecting)
    assert await second.client.ping() < 5


async def test_reconnect_attempts_are_bounded(server: RunningServer, open_chat: Opener) -> None:
    """With max_attempts, a node that stays away ends the client and fails pending sends."""
    alice = await sign_up(server)
    async with Proxy(port_of(server)) as proxy:
        a = await open_chat(alice, url=proxy.ws_url, backoff=QUICK, max_attempts=3)
    sending = asyncio.create_task(a.client.send(direct(alice, alice), "into the void"))
    await a.until(lambda: a.failure is not None)

    assert isinstance(a.failure, ConnectionLost) and a.failure.code == "gave_up"
    assert [r.attempt for r in a.of(Reconnecting)] == [1, 2, 3]
    assert all(r.delay <= QUICK.cap for r in a.of(Reconnecting))
    with pytest.raises(ConnectionLost):
        await sending


async def test_a_drain_notice_moves_the_client_at_once(
    server: RunningServer,
    http: httpx.AsyncClient,
    open_chat: Opener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An injected drain frame (this node never drains) moves the client at once, losing nothing."""
    alice, bob = await sign_up(server), await sign_up(server)
    await befriend(http, alice.account, bob.account)
    conv = direct(alice, bob)
    notices: list[Link] = []
    receive = Link.receive

    async def draining(link: Link) -> dict[str, Any] | None:
        if link.hello["user"] == bob.id and not notices:
            notices.append(link)
            return {"op": "drain", "retry_after_ms": 100}
        return await receive(link)

    monkeypatch.setattr(Link, "receive", draining)
    a, b = await open_chat(alice), await open_chat(bob)
    for n in range(20):
        await a.client.send(conv, f"m{n}")
        await asyncio.sleep(0.01)
    await b.until(lambda: len(b.messages(conv)) >= 20 and len(b.of(Connected)) == 2)
    await b.quiet()

    assert b.of(Drain) == [Drain(retry_after=0.1)]
    assert [r.delay for r in b.of(Reconnecting)] == [0.0]
    assert b.seqs(conv) == list(range(1, 21))

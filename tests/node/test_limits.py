"""Abuse and silence: bad-frame floods, send floods, idle sockets, duplicate devices."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from echosphere.config import Limits, RateLimit
from tests.node.test_protocol import direct, text
from tests.support.accounts import befriend, login
from tests.support.raw_ws import RawSocket, raw_socket
from tests.support.server import GENEROUS, RunningServer, embedded_settings, serve


@pytest.fixture
async def strict(tmp_path: Path) -> AsyncIterator[RunningServer]:
    limits = Limits(
        rate_ip=GENEROUS,
        rate_user=GENEROUS,
        rate_auth=GENEROUS,
        rate_send=RateLimit(rate=1.0, burst=5),
        bad_frames=5,
        bad_frames_window=10.0,
    )
    settings = embedded_settings(tmp_path / "data", limits=limits, idle_timeout=1.0)
    async with serve(settings) as running:
        yield running


async def closed_code(ws: RawSocket, limit: int = 50) -> int:
    """Read until the server closes; the close code."""
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(limit):
            await ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_bad_frame_flood_closes_1008(strict: RunningServer) -> None:
    """Five bad frames inside the window close the socket with 1008."""
    async with httpx.AsyncClient(base_url=strict.url) as client:
        a = await login(client)
    async with raw_socket(strict.ws_url, a.access_token) as ws:
        for _ in range(5):
            await ws.send("garbage")
        assert await closed_code(ws) == 1008


async def test_send_flood_closes_1008(strict: RunningServer) -> None:
    """Past its burst of sends a connection is closed with 1008; stored sends were acked."""
    async with httpx.AsyncClient(base_url=strict.url) as client:
        a, b = await login(client), await login(client)
        await befriend(client, a, b)
    async with raw_socket(strict.ws_url, a.access_token) as ws:
        for i in range(8):
            await ws.send(text(direct(a, b), f"f{i}"))
        acks = []
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(20):
                frame = await ws.recv()
                acks.append(frame["seq"])
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert acks == [1, 2, 3, 4, 5]


async def test_idle_socket_is_closed(strict: RunningServer) -> None:
    """A socket that says nothing for the idle timeout is closed; pings keep one open."""
    async with httpx.AsyncClient(base_url=strict.url) as client:
        a = await login(client)
    async with raw_socket(strict.ws_url, a.access_token) as ws:
        for _ in range(3):
            await ws.request({"op": "ping"}, "pong")
            await ws.quiet(0.6)
        assert await closed_code(ws) == 1000


async def test_same_device_replaces_old_connection(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """A second socket of one device closes the first with 4409; the new one gets messages."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    async with (
        raw_socket(server.ws_url, a.access_token) as old,
        raw_socket(server.ws_url, a.access_token) as new,
    ):
        assert await closed_code(old) == 4409
        async with raw_socket(server.ws_url, b.access_token) as wb:
            await wb.request(text(direct(a, b), "x"), "ack")
        assert (await new.expect("msg"))["from"] == b.id


async def test_logged_out_device_cannot_connect(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """After logout the device's access token no longer opens a socket."""
    a = await login(client)
    assert (await client.post("/api/auth/logout", headers=a.headers)).status_code == 204
    async with raw_socket(server.ws_url, None) as ws:
        await ws.send(json.dumps({"op": "auth", "token": a.access_token}))
        assert await closed_code(ws) == 4401

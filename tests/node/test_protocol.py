"""The websocket protocol through a real node, frame by frame."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from echosphere.core.ids import direct_conv
from tests.support.accounts import Account, befriend, login
from tests.support.raw_ws import raw_socket
from tests.support.server import RunningServer


def direct(a: Account, b: Account) -> str:
    return direct_conv(a.id, b.id)


def text(conv: str, cid: str, words: str = "hello") -> dict[str, object]:
    return {"op": "send", "cid": cid, "conv": conv, "kind": "text", "body": {"text": words}}


async def test_hello_names_user_device_and_node(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """After auth the node says hello with the user, device, node and heartbeat."""
    a = await login(client)
    async with raw_socket(server.ws_url, None) as ws:
        hello = await ws.request({"op": "auth", "token": a.access_token, "device": "x"}, "hello")
    assert hello["user"] == a.id
    assert hello["device"] == a.device
    assert hello["node"] == "node-test"
    assert hello["heartbeat"] > 0


@pytest.mark.parametrize(
    "first",
    [{"op": "auth", "token": "nonsense"}, {"op": "ping"}, "not json"],
    ids=["bad-token", "no-auth", "garbage"],
)
async def test_bad_auth_closes_4401(server: RunningServer, first: object) -> None:
    """Anything but a valid auth frame first closes the socket with 4401."""
    async with raw_socket(server.ws_url, None) as ws:
        await ws.send(first)  # type: ignore[arg-type]
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_token_in_subprotocol_header(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """A bearer token offered as a subprotocol authenticates without an auth frame."""
    from websockets.asyncio.client import connect

    a = await login(client)
    async with connect(
        server.ws_url,
        subprotocols=["echosphere.v1", f"bearer.{a.access_token}"],  # type: ignore[list-item]
    ) as connection:
        hello = json.loads(await connection.recv())
        assert connection.subprotocol == "echosphere.v1"
    assert hello["op"] == "hello" and hello["user"] == a.id


async def test_chat_both_ways_with_acks(server: RunningServer, client: httpx.AsyncClient) -> None:
    """Two friends chat both ways; each send is acked and seq grows by one."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    conv = direct(a, b)
    async with (
        raw_socket(server.ws_url, a.access_token) as wa,
        raw_socket(server.ws_url, b.access_token) as wb,
    ):
        ack1 = await wa.request(text(conv, "a1"), "ack", cid="a1")
        got1 = await wb.expect("msg")
        ack2 = await wb.request(text(conv, "b1", "hi back"), "ack", cid="b1")
        got2 = await wa.expect("msg")
    assert (ack1["seq"], ack2["seq"]) == (1, 2)
    assert got1["from"] == a.id and got1["body"] == {"text": "hello"} and got1["seq"] == 1
    assert got2["from"] == b.id and got2["seq"] == 2 and got2["id"] == ack2["id"]


async def test_garbage_gets_error_and_connection_keeps_working(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """Bad frames each get an error with a stable code; the socket stays usable."""
    a = await login(client)
    async with raw_socket(server.ws_url, a.access_token) as ws:
        cases = [
            ("{nope", "bad_json"),
            (json.dumps({"op": "fly"}), "unknown_op"),
            (json.dumps({"op": "send", "cid": "c9"}), "bad_frame"),
            (json.dumps(text("x:y", "c10")), "bad_conv"),
            (
                json.dumps({"op": "send", "cid": "c11", "conv": "g:X", "kind": "text", "body": {}}),
                "bad_body",
            ),
            ("[1, 2]", "bad_frame"),
        ]
        for raw, code in cases:
            await ws.send(raw)
            error = await ws.expect("error")
            assert error["code"] == code, (raw, error)
        assert (await ws.request({"op": "ping"}, "pong"))["op"] == "pong"


async def test_error_frame_names_the_cid(server: RunningServer, client: httpx.AsyncClient) -> None:
    """A refused send answers with the cid it refuses."""
    a, stranger = await login(client), await login(client)
    async with raw_socket(server.ws_url, a.access_token) as ws:
        error = await ws.request(text(direct(a, stranger), "c1"), "error")
    assert error["cid"] == "c1"
    assert error["code"] == "not_friend"


async def test_too_large_frame_and_too_long_text(
    tmp_path, client: httpx.AsyncClient, server: RunningServer
) -> None:
    """Oversized frames and texts are refused with codes; the socket survives."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    limits = server.platform.settings.limits
    async with raw_socket(server.ws_url, a.access_token) as ws:
        big = text(direct(a, b), "big", "x" * (limits.max_frame_bytes + 10))
        error = await ws.request(big, "error")
        assert error["code"] == "too_large"
        long = text(direct(a, b), "long", "x" * (limits.max_text_chars + 1))
        error = await ws.request(long, "error")
        assert (error["code"], error["cid"]) == ("too_long", "long")
        assert (await ws.request(text(direct(a, b), "ok"), "ack"))["seq"] == 1

"""Media messages over the websocket: the same key rules as over HTTP."""

from __future__ import annotations

import httpx

from tests.support.accounts import befriend, login
from tests.support.media import direct, download, upload
from tests.support.raw_ws import raw_socket
from tests.support.server import RunningServer


async def test_media_message_over_the_websocket(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """Someone else's key gets an error frame media_not_yours; my own photo is acked,
    delivered to the peer, who may then download it."""
    ada, bob = await login(client), await login(client)
    await befriend(client, ada, bob)
    conv = direct(ada, bob)
    bobs, mine = await upload(client, bob), await upload(client, ada)
    async with (
        raw_socket(server.ws_url, ada.access_token) as wa,
        raw_socket(server.ws_url, bob.access_token) as wb,
    ):
        frame = {"op": "send", "cid": "m1", "conv": conv, "kind": "image", "body": {"key": bobs}}
        error = await wa.request(frame, "error", cid="m1")
        assert error["code"] == "media_not_yours"

        frame = {**frame, "cid": "m2", "body": {"key": mine}}
        assert (await wa.request(frame, "ack", cid="m2"))["seq"] == 1
        delivered = await wb.expect("msg", cid="m2")
        assert delivered["body"] == {"key": mine}
    assert (await download(client, bob, mine)).status_code == 200

"""A plain websocket client speaking the JSON frames, without the SDK's help.

Protocol tests use it to see exactly what the node sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class RawSocket:
    def __init__(self, connection: ClientConnection):
        self.connection = connection

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        if isinstance(frame, dict):
            frame = json.dumps(frame)
        await self.connection.send(frame)

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), timeout)
        frame: dict[str, Any] = json.loads(raw)
        return frame

    async def expect(self, op: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """Read frames until one with ``op`` (and ``fields``) arrives; others are skipped."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv(timeout)
                if frame.get("op") == op and all(frame.get(k) == v for k, v in fields.items()):
                    return frame

    async def request(self, frame: dict[str, Any], op: str, **fields: Any) -> dict[str, Any]:
        await self.send(frame)
        return await self.expect(op, **fields)

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Everything that arrives within ``seconds``."""
        frames: list[dict[str, Any]] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    frames.append(await self.recv(seconds))
        return frames


@contextlib.asynccontextmanager
async def raw_socket(ws_url: str, token: str | None) -> AsyncIterator[RawSocket]:
    """Connect; when ``token`` is given, authenticate and consume ``hello``."""
    async with connect(ws_url, max_size=4 * 1024 * 1024, ping_interval=None) as connection:
        socket = RawSocket(connection)
        if token is not None:
            await socket.send({"op": "auth", "token": token})
            hello = await socket.recv()
            assert hello["op"] == "hello", hello
        yield socket

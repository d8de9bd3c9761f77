"""A TCP relay in front of the test server, to fail the network on purpose.

Clients connect to the proxy, which opens one connection to the server per
client connection and copies bytes both ways. ``cut`` resets every link at
once, as a dropped Wi-Fi would; ``deafen`` makes the current links swallow
what the server says, so a client's frames arrive but no answer comes back.
New links after either behave normally.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass(eq=False)
class _Pair:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    deaf: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class Proxy:
    def __init__(self, target_port: int):
        self._target = target_port
        self._pairs: set[_Pair] = set()
        self._server: asyncio.Server | None = None
        self.port = 0
        self.links = 0
        """How many client connections were accepted so far."""

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def __aenter__(self) -> Proxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        self.cut()
        await self._server.wait_closed()

    def cut(self) -> None:
        """Reset every current link, both sides, without a close handshake."""
        for pair in list(self._pairs):
            pair.client.transport.abort()
            pair.server.transport.abort()
            for task in pair.tasks:
                task.cancel()
        self._pairs.clear()

    def deafen(self) -> None:
        """From now on, drop what the server sends on the current links."""
        for pair in self._pairs:
            pair.deaf = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.links += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        pair = _Pair(client=writer, server=up_writer)
        self._pairs.add(pair)
        pair.tasks = [
            asyncio.create_task(self._copy(reader, up_writer, pair, downstream=False)),
            asyncio.create_task(self._copy(up_reader, writer, pair, downstream=True)),
        ]

    async def _copy(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        pair: _Pair,
        *,
        downstream: bool,
    ) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                if downstream and pair.deaf:
                    continue
                sink.write(data)
                await sink.drain()
        sink.close()

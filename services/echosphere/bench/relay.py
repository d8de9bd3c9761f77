"""The ceiling: a bare websocket relay on the same stack (Starlette on uvicorn).

Two connections that name the same ``pair`` in their query are joined:
every text frame one sends is written, untouched, to the other, and a
constant ``{"op":"ack"}`` goes back to the sender. That is the node's
minimum work per one-to-one message (one frame read, the message written to
the peer, an ack written back) without authentication, decoding, storage or
routing, so the bench's ``direct`` scenario against it shows what Python on
this machine can do at all.

Run it with ``python -m echosphere.bench.relay --port 9000``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect

ACK = '{"op":"ack"}'


class Relay:
    def __init__(self) -> None:
        self._rooms: dict[str, list[WebSocket]] = {}

    async def serve(self, websocket: WebSocket) -> None:
        await websocket.accept()
        pair = websocket.query_params.get("pair", "")
        room = self._rooms.setdefault(pair, [])
        room.append(websocket)
        try:
            while True:
                text = await websocket.receive_text()
                for other in room:
                    if other is not websocket:
                        await other.send_text(text)
                await websocket.send_text(ACK)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            room.remove(websocket)
            if not room:
                self._rooms.pop(pair, None)


async def _ready(request: Request) -> JSONResponse:
    return JSONResponse({"ready": True})


def relay_app() -> Starlette:
    relay = Relay()
    return Starlette(
        routes=[
            WebSocketRoute("/relay", relay.serve),
            Route("/readyz", _ready),
            Route("/healthz", _ready),
        ]
    )


class RelayLink:
    """A bench client of the relay: sends answered by acks in order, peers' frames out."""

    def __init__(self, ws: ClientConnection):
        self._ws = ws
        self._acks: asyncio.Queue[None] = asyncio.Queue()
        self.frames: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        self._sending = asyncio.Lock()
        self._waiting: list[asyncio.Future[None]] = []

    @classmethod
    async def open(cls, url: str, pair: str) -> RelayLink:
        return cls(await connect(f"{url}?pair={pair}", ping_interval=None, max_size=2**22))

    async def send(self, frame: dict[str, Any]) -> None:
        """Write a frame and wait for the relay's ack of it."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        async with self._sending:
            self._waiting.append(done)
            await self._ws.send(json.dumps(frame))
        await done

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                frame = json.loads(raw)
                if frame.get("op") == "ack":
                    self._waiting.pop(0).set_result(None)
                else:
                    await self.frames.put(frame)
        except Exception:  # the link is gone; readers see None
            logging.getLogger(__name__).debug("relay link ended", exc_info=True)
        finally:
            await self.frames.put(None)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="echosphere.bench.relay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args(argv)
    uvicorn.run(
        relay_app(),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        ws_ping_interval=None,
        ws_per_message_deflate=False,  # as the chat node runs
        lifespan="off",
    )


if __name__ == "__main__":
    main()

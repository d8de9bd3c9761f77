"""One authenticated websocket to a chat node.

A node handles a connection's frames one at a time and queues its answers
in that order, so answers that carry no id of their own (``pong``,
``history``, ``synced``, and ``error`` frames without a ``cid``) are matched
to the requests first in, first out. Every request that may be answered so
goes through ``request``; everything else the node says (messages, acks,
receipts...) comes out of ``receive``.

Only ``receive`` notices the end of the link: until the reader has taken
every frame that arrived before the close, nothing is lost to a write that
failed first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from echosphere.client.errors import AuthError, ChatError, ConnectionLost
from echosphere.core import protocol

logger = logging.getLogger(__name__)

CLOSE_AUTH = 4401
CLOSE_REPLACED = 4409
ANSWERS = frozenset({"pong", "history", "synced"})
MAX_FRAME = 4 * 1024 * 1024
"""Largest frame accepted from a node (a history page of big bodies fits)."""


@dataclass(slots=True)
class _Request:
    expect: str
    future: asyncio.Future[dict[str, Any]]


class Link:
    def __init__(self, ws: ClientConnection, hello: dict[str, Any]):
        self._ws = ws
        self.hello = hello
        self._requests: deque[_Request] = deque()
        self._lock = asyncio.Lock()
        self.last_write = time.monotonic()
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self.close_reason = ""

    @classmethod
    async def open(cls, url: str, token: str, *, open_timeout: float) -> Link:
        """Connect, authenticate with ``token`` and wait for ``hello``.

        Raises ``AuthError`` when the node closes with 4401 (the reason is
        the code, e.g. ``token_expired``), ``ConnectionLost`` for any other
        close, and ``OSError``, ``TimeoutError`` or a websockets error when
        the node cannot be reached.
        """
        ws = await connect(
            versioned(url),
            subprotocols=[Subprotocol(protocol.SUBPROTOCOL)],
            open_timeout=open_timeout,
            close_timeout=open_timeout,
            ping_interval=None,  # the client sends application pings, which the node counts
            max_size=MAX_FRAME,
        )
        try:
            async with asyncio.timeout(open_timeout):
                await ws.send(protocol.encode(protocol.Auth(token=token)).decode())
                hello = json.loads(await ws.recv())
        except ValueError:
            ws.transport.abort()
            raise ConnectionLost("bad_hello", "the node answered auth with no JSON") from None
        except ConnectionClosed as closed:
            code, reason = _close_of(closed)
            if code == CLOSE_AUTH:
                raise AuthError(reason or "unauthorized", "the node refused the token") from None
            raise ConnectionLost("connection_lost", f"closed before hello ({code})") from None
        except BaseException:
            ws.transport.abort()
            raise
        if not isinstance(hello, dict) or hello.get("op") != "hello":
            ws.transport.abort()
            raise ConnectionLost("bad_hello", "the node did not answer auth with hello")
        return cls(ws, hello)

    @property
    def heartbeat(self) -> float:
        """Seconds between pings the node asks for."""
        return float(self.hello.get("heartbeat") or 25.0)

    async def receive(self) -> dict[str, Any] | None:
        """The next frame that answers no request; None once the link has ended."""
        while True:
            try:
                raw = await self._ws.recv()
            except ConnectionClosed as closed:
                self._end(*_close_of(closed))
                return None
            try:
                frame = json.loads(raw)
            except ValueError:
                logger.warning("undecodable frame from the node dropped")
                continue
            if not isinstance(frame, dict):
                logger.warning("non-object frame from the node dropped")
                continue
            if self._answers(frame) and frame["op"] != "synced":
                continue
            return frame

    async def send(self, *frames: protocol.Frame) -> None:
        """Write frames that get no in-order answer (sends are answered by cid)."""
        async with self._lock:
            await self._write(frames)

    async def request(self, *frames: protocol.Frame, expect: str) -> asyncio.Future[dict[str, Any]]:
        """Write frames; the future gets the ``expect`` answer or a ``ChatError``."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieved)
        async with self._lock:
            self._requests.append(_Request(expect, future))
            await self._write(frames)
        return future

    async def ask(self, *frames: protocol.Frame, expect: str) -> dict[str, Any]:
        return await (await self.request(*frames, expect=expect))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._ws.close(code, reason)

    def abort(self) -> None:
        """Drop the TCP connection at once, as a failing network would."""
        self._ws.transport.abort()

    async def _write(self, frames: tuple[protocol.Frame, ...]) -> None:
        if self.ended.done():
            raise ConnectionLost("connection_lost", "the link has ended")
        try:
            for frame in frames:
                await self._ws.send(protocol.encode(frame).decode())
        except ConnectionClosed:
            raise ConnectionLost("connection_lost", "the link has ended") from None
        self.last_write = time.monotonic()

    def _answers(self, frame: dict[str, Any]) -> bool:
        """Hand ``frame`` to the oldest request if it is an in-order answer."""
        op = frame.get("op")
        if op not in ANSWERS and not (op == "error" and frame.get("cid") is None):
            return False
        if not self._requests:
            return bool(op != "error")  # a stray error is news for the application
        request = self._requests.popleft()
        if request.future.done():
            return True  # its caller gave up waiting; the answer still had to be taken
        if op == "error":
            error = ChatError(str(frame.get("code")), str(frame.get("message", "")))
            request.future.set_exception(error)
        elif op == request.expect:
            request.future.set_result(frame)
        else:
            logger.warning("answer %s came where %s was expected", op, request.expect)
            self._requests.appendleft(request)
        return True

    def _end(self, code: int | None, reason: str) -> None:
        if self.ended.done():
            return
        self.close_code, self.close_reason = code, reason
        self.ended.set_result(None)
        while self._requests:
            future = self._requests.popleft().future
            if not future.done():
                future.set_exception(ConnectionLost("connection_lost", "the link ended"))


def _close_of(closed: ConnectionClosed) -> tuple[int | None, str]:
    if closed.rcvd is None:
        return None, ""
    return closed.rcvd.code, closed.rcvd.reason


def _retrieved(future: asyncio.Future[dict[str, Any]]) -> None:
    """Mark an error as seen, so a request nobody awaits any more makes no noise."""
    if not future.cancelled():
        future.exception()


def versioned(url: str) -> str:
    """``url`` with the protocol version in its query (``?v=1``) unless it has one."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    if not any(name == "v" for name, _ in query):
        query.append(("v", str(protocol.VERSION)))
    return urlunsplit(parts._replace(query=urlencode(query)))

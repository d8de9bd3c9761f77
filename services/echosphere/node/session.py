"""One websocket session: authentication, the read loop and the outbox.

The read loop decodes a frame, checks it and answers; nothing a client sends
can end the loop except by closing: a bad frame gets an ``error`` frame with
a stable code. A client that sends too many bad frames, or sends faster than
its allowance, is closed with 1008. A socket silent past the idle timeout is
closed too. Replies are queued in order on the outbox, which a writer task
drains, so fan-out from other sessions never waits on this socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from echosphere.chat import history, metrics
from echosphere.chat.delivery import Outgoing
from echosphere.chat.messenger import ack_frame, message_frame
from echosphere.core import protocol
from echosphere.core.errors import EchoError
from echosphere.core.ids import DeviceId, UserId
from echosphere.core.protocol import ProtocolError, encode, error_frame
from echosphere.node.outbox import Outbox

if TYPE_CHECKING:
    from echosphere.node.app import ChatNode

logger = logging.getLogger(__name__)

OUTBOX_FRAMES = 1024
CLOSE_AUTH = 4401
CLOSE_REPLACED = 4409
CLOSE_POLICY = 1008


class Bucket:
    """An in-process token bucket for one connection's allowance."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Closing(Exception):
    """End the session with a close code and reason."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Session:
    def __init__(self, node: ChatNode, websocket: WebSocket, user: UserId, device: DeviceId):
        self.node = node
        self.websocket = websocket
        self.user = user
        self.device = device
        self.outbox: Outbox[Outgoing | None] = Outbox(OUTBOX_FRAMES)
        self._close: tuple[int, str] | None = None
        limits = node.platform.settings.limits
        self._sends = Bucket(limits.rate_send.rate, limits.rate_send.burst)
        self._typing = Bucket(1.0, 3)
        self._bad: deque[float] | None = None
        """When recent bad frames came; made on the first one."""

    # -- Outlet, used by the hub -------------------------------------------------

    def push(self, item: Outgoing) -> bool:
        try:
            self.outbox.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True

    def overflow(self) -> None:
        self.end(CLOSE_POLICY, "too slow: frames were not read in time; reconnect and sync")

    def end(self, code: int, reason: str) -> None:
        """Ask the session to close after what is queued.

        It leaves the hub at once: nothing more is routed to a closing socket
        (it would never be written), and the heartbeat stops claiming its device
        for this node while the client may already be connected elsewhere.
        """
        if self._close is None:
            self._close = (code, reason)
            self.node.hub.remove(self)
            with contextlib.suppress(asyncio.QueueFull):
                self.outbox.put_nowait(None)

    # -- the loops --------------------------------------------------------------

    async def reply(self, frame: dict[str, Any]) -> None:
        await self.outbox.put(Outgoing(encode(frame), frame["op"]))

    async def run(self, hello: dict[str, Any]) -> None:
        writer = asyncio.create_task(self._write(), name=f"ws-writer-{self.device}")
        try:
            await self.reply(hello)
            await self._read()
        except Closing as closing:
            self.end(closing.code, closing.reason)
        except WebSocketDisconnect:
            self.end(1000, "")
        finally:
            self.end(1000, "")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, timeout=5)
            writer.cancel()

    async def _write(self) -> None:
        try:
            while (item := await self.outbox.get()) is not None:
                await self.websocket.send_text(item.frame.decode())
                metrics.frame_out(item.op).inc()
                if item.stored_at:
                    metrics.DELIVERY_SECONDS.observe(time.time() - item.stored_at)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
        code, reason = self._close or (1000, "")
        if self.websocket.application_state is not WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await self.websocket.close(code, reason)

    async def _read(self) -> None:
        settings = self.node.platform.settings
        while self._close is None:
            try:
                # A timeout scope, not wait_for: no extra task per frame.
                async with asyncio.timeout(settings.idle_timeout):
                    message = await self.websocket.receive()
            except TimeoutError:
                raise Closing(1000, "idle timeout") from None
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text") or message.get("bytes") or b""
            await self._handle(raw)

    async def _handle(self, raw: str | bytes) -> None:
        limits = self.node.platform.settings.limits
        cid = None
        try:
            if len(raw) > limits.max_frame_bytes:
                raise ProtocolError(
                    "too_large", f"a frame is at most {limits.max_frame_bytes} bytes"
                )
            frame = protocol.decode_frame(raw)
            cid = getattr(frame, "cid", None)
            await self._dispatch(frame)
        except ProtocolError as error:
            metrics.frame_in("invalid").inc()
            metrics.refused(error.code, "ws")
            self._count_bad()
            await self.reply(error_frame(error.code, error.message, error.cid))
        except EchoError as error:
            metrics.refused(error.code, "ws")
            await self.reply(error_frame(error.code, error.message, cid))
        except Closing:
            raise
        except Exception:
            # Our bug, not the client's: say so, keep the connection and the process.
            logger.exception("frame handling failed", extra={"user": self.user})
            await self.reply(error_frame("internal", "internal error; try again", cid))

    def _count_bad(self) -> None:
        limits = self.node.platform.settings.limits
        now = time.monotonic()
        bad = self._bad = self._bad or deque()
        bad.append(now)
        while bad and bad[0] < now - limits.bad_frames_window:
            bad.popleft()
        if len(bad) >= limits.bad_frames:
            raise Closing(CLOSE_POLICY, "too many bad frames")

    async def _dispatch(self, frame: protocol.ClientFrame) -> None:
        messenger = self.node.messenger
        metrics.frame_in(str(frame.__struct_config__.tag)).inc()
        match frame:
            case protocol.Send():
                if not self._sends.take():
                    metrics.RATE_LIMITED.labels("send").inc()
                    raise Closing(CLOSE_POLICY, "send rate exceeded")
                message = await messenger.send(self.user, self.device, frame)
                await self.reply(ack_frame(message))
            case protocol.Sync():
                await self._sync(frame.cursors)
            case protocol.History():
                found = await history.history(
                    self.node.platform.store,
                    self.user,
                    frame.conv,
                    before=frame.before,
                    after=None,
                    limit=frame.limit,
                )
                messages = [message_frame(m) for m in found]
                await self.reply({"op": "history", "conv": frame.conv, "messages": messages})
            case protocol.Read():
                await messenger.read(self.user, frame.conv, frame.seq)
            case protocol.Recv():
                await messenger.received(self.user, self.device, frame.conv, frame.seq)
            case protocol.Typing():
                if self._typing.take():
                    await messenger.typing(self.user, frame.conv)
            case protocol.Recall():
                await messenger.recall(self.user, frame.conv, frame.seq)
            case protocol.Ping():
                await self.reply({"op": "pong"})
            case protocol.Auth():
                raise ProtocolError("already_authenticated", "this connection is authenticated")

    async def _sync(self, cursors: dict[str, int]) -> None:
        done: dict[str, int] = {}
        async for page in history.sync(self.node.platform.store, self.user, cursors):
            for message in page.messages:
                await self.outbox.put(Outgoing(encode(message_frame(message)), "msg"))
            done[page.conv] = page.upto
        await self.reply({"op": "synced", "cursors": done})

"""The chat client: one device's websocket to EchoSphere, kept alive.

Connecting authenticates, then syncs from the stored cursors; afterwards the
client keeps the link up by itself. A lost link is redialled with jittered
exponential backoff (at once after a ``drain`` notice), authenticated again
(refreshing an expired token once), and followed by a sync, so nothing sent
while away is missed. Sends that were not acknowledged yet are written again
with the same ``cid``: the server stores a cid once and acks it identically.

Messages reach the application through ``events()`` exactly once per
(conv, seq) and in seq order per conversation (see ``ordering``); a gap in
the live stream holds what follows it and triggers a sync. A cursor moves
only once its message is queued for the application, and the queue is
bounded: an application that stops reading stops the reader, and the node
will eventually drop the link, which the next sync makes good.

The link-level parts (matching answers, the socket) live in ``link``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx
from websockets.exceptions import WebSocketException

from echosphere.client import events
from echosphere.client.backoff import Backoff
from echosphere.client.connection import Connection
from echosphere.client.cursors import CursorStore, MemoryCursors
from echosphere.client.errors import ApiError, AuthError, ClientError, ConnectionLost
from echosphere.client.events import Ack, Connected, Disconnected, Event, Reconnecting
from echosphere.client.http import Session, refresh
from echosphere.client.inbox import Inbox
from echosphere.client.link import CLOSE_AUTH, CLOSE_REPLACED, Link
from echosphere.client.outbox import Outbox, Outgoing
from echosphere.core import protocol
from echosphere.core.ids import new_id
from echosphere.core.models import Message, MessageKind

logger = logging.getLogger(__name__)

RETRYABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    WebSocketException,
    ConnectionLost,
    ApiError,
    httpx.HTTPError,
)
"""Failures of a reconnect attempt that another attempt may overcome."""


Locator = Callable[[], Awaitable[str]]
"""Finds the websocket URL to dial, asked again before every (re)connect."""


def _locator(target: str | Sequence[str] | Locator) -> Locator:
    """One URL; several, tried in turn (the next after each failed or lost link);
    or a function, e.g. one asking ``/api/nodes/pick`` for the least-loaded node."""
    if callable(target):
        return target
    urls = itertools.cycle([target] if isinstance(target, str) else list(target))

    async def next_url() -> str:
        return next(urls)

    return next_url


class ChatClient:
    """A device's chat connection. Use ``async with`` or ``connect``/``close``."""

    def __init__(
        self,
        ws_url: str | Sequence[str] | Locator,
        session: Session,
        *,
        cursors: CursorStore | None = None,
        http_base: str | None = None,
        timeout: float = 10.0,
        send_timeout: float = 30.0,
        sync_timeout: float = 60.0,
        backoff: Backoff | None = None,
        max_attempts: int | None = None,
        queue_size: int = 1024,
        gap_grace: float = 0.2,
        heartbeat: float | None = None,
        on_session: Callable[[Session], None] | None = None,
    ):
        """Configure the client; nothing happens before ``connect``.

        ``timeout`` bounds connecting and every request, ``send_timeout`` a send
        (reconnects included), ``sync_timeout`` the catch-up in ``connect``.
        ``max_attempts`` bounds reconnect attempts in a row (None: until closed).
        ``gap_grace`` is how long a gap may wait for a late live message before
        a sync is asked. ``heartbeat`` overrides the node's ping interval.
        ``on_session`` sees every refreshed session: keep the newest, the
        previous refresh token is spent.
        """
        self._inbox = Inbox(cursors if cursors is not None else MemoryCursors(), size=queue_size)
        self._gap_grace = gap_grace
        self._locate = _locator(ws_url)
        self._session = dataclasses.replace(session, base_url=http_base or session.base_url)
        self._timeout = timeout
        self._send_timeout = send_timeout
        self._sync_timeout = sync_timeout
        self._backoff = backoff or Backoff()
        self._max_attempts = max_attempts
        self._heartbeat_every = heartbeat
        self._on_session = on_session
        self._outbox = Outbox()
        self._conn: Connection | None = None
        self._online = asyncio.Event()
        """Set once the current link has written the waiting sends; cleared when it ends."""
        self._closed = False
        self._runner: asyncio.Task[None] | None = None

    @property
    def session(self) -> Session:
        """The current session; it changes when the client refreshes it."""
        return self._session

    @property
    def connected(self) -> bool:
        return self._online.is_set() and not self._closed

    @property
    def cursors(self) -> CursorStore:
        return self._inbox.cursors

    async def __aenter__(self) -> ChatClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- lifecycle ---------------------------------------------------------------

    async def connect(self) -> None:
        """Connect, authenticate and catch up; raises if the first attempt fails.

        Returns once the sync is complete, or once the event queue is full
        (read ``events()`` for the rest of the catch-up).
        """
        if self._closed:
            raise ConnectionLost("closed", "this client was closed")
        if self._runner is not None:
            return
        conn = await self._adopt(await self._open())
        try:
            async with asyncio.timeout(self._sync_timeout):
                await conn.caught_up.wait()
        except BaseException:
            await conn.stop()
            raise
        self._runner = asyncio.create_task(self._supervise(conn), name="echosphere-client")

    async def close(self) -> None:
        """Close deliberately: no reconnect; pending sends fail, ``events()`` ends."""
        self._finish(None)
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.wait({self._runner})
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.link.close(1000, "client closed")
            await conn.stop()

    async def events(self) -> AsyncIterator[Event]:
        """Everything the client has to tell, in order; ends when the client closes.

        Raises the reason when the client ended on its own (``AuthError``
        when the session is refused, ``ConnectionLost`` when it gave up).
        """
        async for event in self._inbox.events():
            yield event

    # -- sending -----------------------------------------------------------------

    async def send(
        self,
        conv: str,
        body: str | Mapping[str, Any],
        *,
        kind: str = "text",
        cid: str | None = None,
    ) -> Ack:
        """Send a message and wait until the server has stored it.

        ``body`` is the message body (a plain string for text). A ``cid``
        makes the send idempotent: give the same one to retry. Raises
        ``ChatError`` when refused, ``TimeoutError`` past ``send_timeout`` (wrap
        the call in ``asyncio.timeout`` for a shorter wait).
        """
        frame = protocol.Send(
            cid=cid or new_id(), conv=conv, kind=MessageKind(kind), body=_body(body, kind)
        )
        outgoing = self._outbox.by_cid.get(frame.cid)
        mine = outgoing is None
        if outgoing is None:
            outgoing = Outgoing(frame, asyncio.get_running_loop().create_future())
            self._outbox.by_cid[frame.cid] = outgoing
        try:
            async with asyncio.timeout(self._send_timeout):
                if mine:
                    await self._submit(outgoing)
                return await asyncio.shield(outgoing.ack)
        finally:
            if mine:
                self._outbox.by_cid.pop(frame.cid, None)

    async def _submit(self, outgoing: Outgoing) -> None:
        conn = await self._ready()
        if outgoing.link is conn.link:
            return  # the reconnect wrote it already
        outgoing.link = conn.link
        with contextlib.suppress(ConnectionLost):  # the next link writes it again
            await conn.link.send(outgoing.frame)

    # -- requests ----------------------------------------------------------------

    async def history(self, conv: str, before: int | None = None, limit: int = 50) -> list[Message]:
        """A page of ``conv``: up to ``limit`` messages before seq ``before`` (or the end)."""
        frame = protocol.History(conv=conv, before=before, limit=limit)
        answer = await self._ask(frame, expect="history")
        return [events.message(item) for item in answer.get("messages", [])]

    async def read(self, conv: str, seq: int) -> None:
        """Mark ``conv`` read up to ``seq``; the others get a read receipt."""
        await self._ask(protocol.Read(conv=conv, seq=seq), protocol.Ping(), expect="pong")

    async def received(self, conv: str, seq: int) -> None:
        """Tell the peer this device has ``conv`` up to ``seq`` (one-to-one only)."""
        await self._ask(protocol.Recv(conv=conv, seq=seq), protocol.Ping(), expect="pong")

    async def typing(self, conv: str) -> None:
        await self._ask(protocol.Typing(conv=conv), protocol.Ping(), expect="pong")

    async def recall(self, conv: str, seq: int) -> None:
        """Recall a message; everyone in ``conv`` gets a ``Recalled`` event."""
        await self._ask(protocol.Recall(conv=conv, seq=seq), protocol.Ping(), expect="pong")

    async def ping(self) -> float:
        """Round trip to the node, in seconds."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self._ask(protocol.Ping(), expect="pong")
        return loop.time() - started

    async def _ask(self, *frames: protocol.Frame, expect: str) -> dict[str, Any]:
        """Ask on the current link; when it drops first, ask again on the next one.

        A trailing ``ping`` turns a frame the node does not answer into one
        it does: an ``error`` comes before the ``pong`` or not at all.
        """
        async with asyncio.timeout(self._timeout):
            while True:
                conn = await self._ready()
                try:
                    return await conn.link.ask(*frames, expect=expect)
                except ConnectionLost:
                    await asyncio.wait({conn.pump})

    async def _ready(self) -> Connection:
        """The current connection, once there is one."""
        while True:
            if self._closed:
                raise self._inbox.failure or ConnectionLost("closed", "this client was closed")
            conn = self._conn
            if self._online.is_set() and conn is not None and conn.live:
                return conn
            self._online.clear()
            await self._online.wait()

    # -- keeping the link ---------------------------------------------------------

    async def _open(self) -> Link:
        """Dial and authenticate; on an expired token refresh the session once."""
        try:
            return await self._dial()
        except AuthError as error:
            if error.code != "token_expired" or not self._session.refresh_token:
                raise
        logger.info("access token expired; refreshing the session")
        self._session = await refresh(self._session)
        if self._on_session is not None:
            self._on_session(self._session)
        return await self._dial()

    async def _dial(self) -> Link:
        url = await self._locate()
        return await Link.open(url, self._session.access_token, open_timeout=self._timeout)

    async def _adopt(self, link: Link) -> Connection:
        """Make ``link`` the current one: resend what waits for an ack, then sync."""
        hello = link.hello
        self._inbox.restart()
        await self._inbox.put(Connected(hello["user"], hello["device"], str(hello.get("node", ""))))
        conn = Connection(
            link,
            inbox=self._inbox,
            outbox=self._outbox,
            heartbeat=self._heartbeat_every or link.heartbeat,
            gap_grace=self._gap_grace,
            on_end=lambda: self._gone(conn),
        )
        self._conn = conn
        try:
            for outgoing in list(self._outbox.by_cid.values()):
                if outgoing.link is not link:
                    outgoing.link = link
                    await link.send(outgoing.frame)
            await conn.sync()
        except BaseException:
            await conn.stop()
            raise
        self._online.set()
        logger.info("connected", extra={"node": hello.get("node"), "device": hello["device"]})
        return conn

    def _gone(self, conn: Connection) -> None:
        if self._conn is conn:
            self._online.clear()

    async def _supervise(self, conn: Connection) -> None:
        try:
            await self._keep_up(conn)
        except Exception as error:  # our bug: end the client rather than hang it
            logger.exception("the reconnect loop failed")
            self._finish(ConnectionLost("client_failed", repr(error)))

    async def _keep_up(self, conn: Connection) -> None:
        """Wait for the link to end, then reconnect, for as long as the client lives."""
        while True:
            await asyncio.wait({conn.pump})
            await conn.stop()
            if self._closed:
                return
            code, reason = conn.link.close_code, conn.link.close_reason
            if code == CLOSE_AUTH:
                error: ClientError = AuthError(reason or "unauthorized", "token refused")
                self._finish(error, code=code)
                return
            if code == CLOSE_REPLACED:
                self._finish(ConnectionLost("replaced", "this device connected again"), code=code)
                return
            logger.info("connection lost", extra={"code": code, "reason": reason})
            await self._inbox.put(Disconnected(code, reason))
            found = await self._reconnect(at_once=conn.moving)
            if found is None:
                return
            conn = found

    async def _reconnect(self, *, at_once: bool) -> Connection | None:
        for attempt in itertools.count(1):
            if self._closed:
                return None
            if self._max_attempts is not None and attempt > self._max_attempts:
                self._finish(ConnectionLost("gave_up", f"no link after {attempt - 1} attempts"))
                return None
            delay = 0.0 if at_once and attempt == 1 else self._backoff.delay(attempt)
            await self._inbox.put(Reconnecting(attempt, delay))
            await asyncio.sleep(delay)
            try:
                return await self._adopt(await self._open())
            except AuthError as refused:
                self._finish(refused, code=CLOSE_AUTH)
                return None
            except RETRYABLE as error:
                logger.info("reconnect attempt %d failed: %r", attempt, error)
        raise AssertionError("unreachable")  # pragma: no cover

    def _finish(self, error: ClientError | None, *, code: int | None = None) -> None:
        """End the client: fail what waits, close the event stream."""
        if self._closed:
            return
        self._closed = True
        self._online.set()  # wake whoever waits for a connection: there will be none
        self._outbox.fail(error or ConnectionLost("closed", "this client was closed"))
        if error is None:
            self._inbox.notify(Disconnected(1000, "closed", final=True))
        else:
            logger.warning("client ended: %s", error.code)
            self._inbox.notify(Disconnected(code, error.code, final=True))
        self._inbox.end(error)


def _body(body: str | Mapping[str, Any], kind: str) -> dict[str, Any]:
    if isinstance(body, str):
        if kind != MessageKind.TEXT:
            raise ValueError(f"a {kind} message needs a mapping body, not a string")
        return {"text": body}
    return dict(body)

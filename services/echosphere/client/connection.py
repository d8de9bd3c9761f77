"""The link in use: reading it, keeping it alive, and syncing over it.

A ``Connection`` wraps one authenticated ``Link`` for as long as the client
uses it. Its reader routes each frame: messages through the sequencer to
the inbox, acks and refusals to the outbox (the pending sends), notices to
the inbox as events. It asks for a sync when the sequencer reports a gap,
after a short grace in which a late live message may still fill it, and
never has more than one sync in flight. It pings when the link has been
idle for the node's heartbeat interval and drops a link whose pong does not
come. A ``drain`` notice makes it leave the node after the hint, jittered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from echosphere.client import events
from echosphere.client.backoff import spread
from echosphere.client.errors import ChatError, ConnectionLost
from echosphere.client.events import Drain, Synced
from echosphere.client.inbox import Inbox
from echosphere.client.link import Link
from echosphere.client.ordering import Step
from echosphere.client.outbox import Outbox
from echosphere.core import protocol

logger = logging.getLogger(__name__)


class Connection:
    def __init__(
        self,
        link: Link,
        *,
        inbox: Inbox,
        outbox: Outbox,
        heartbeat: float,
        gap_grace: float,
        on_end: Callable[[], None],
    ):
        self.link = link
        self._inbox = inbox
        self._outbox = outbox
        self._heartbeat = heartbeat
        self._gap_grace = gap_grace
        self._on_end = on_end
        self.caught_up = asyncio.Event()
        """Set by the first ``synced``, or when the inbox fills before it."""
        self.moving = False
        """Leaving on a drain notice: reconnect at once."""
        self._syncs = 0
        self._sync_timer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.pump: asyncio.Task[None] = asyncio.create_task(self._pump(), name="echosphere-pump")
        self._spawn(self._keep_alive())

    @property
    def live(self) -> bool:
        return not self.link.ended.done() and not self.pump.done()

    async def stop(self) -> None:
        """Stop every task of this connection and drop the link if it is still up."""
        tasks = {self.pump, *self._tasks}
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)  # unlike awaiting each, lets our own cancellation through
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                logger.error("connection task failed", exc_info=task.exception())
        if not self.link.ended.done():
            self.link.abort()

    async def sync(self) -> None:
        """Ask for everything past the current cursors; ``synced`` closes the answer."""
        self._syncs += 1
        cursors = self._inbox.order.positions()
        answer = await self.link.request(protocol.Sync(cursors=cursors), expect="synced")
        answer.add_done_callback(self._sync_answered)

    def _sync_answered(self, answer: asyncio.Future[dict[str, Any]]) -> None:
        if not answer.cancelled() and isinstance(answer.exception(), ChatError):
            logger.warning("sync refused: %s", answer.exception())
            self._syncs -= 1

    # -- reading -------------------------------------------------------------------

    async def _pump(self) -> None:
        try:
            while (frame := await self.link.receive()) is not None:
                await self._on_frame(frame)
        except Exception:
            # A frame we cannot handle must not wedge the client: start afresh.
            logger.exception("handling a frame failed; dropping the link")
            self.link.abort()
        finally:
            self._on_end()

    async def _on_frame(self, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        try:
            match op:
                case "msg":
                    await self._deliver(self._inbox.order.offer(events.message(frame)))
                case "ack":
                    ack = events.ack(frame)
                    self._outbox.acked(ack)
                    await self._deliver(self._inbox.order.own(ack.conv, ack.seq))
                case "synced":
                    await self._synced(frame)
                case "error" if frame.get("cid") is not None and self._outbox.refused(
                    str(frame["cid"]),
                    ChatError(str(frame.get("code")), str(frame.get("message", ""))),
                ):
                    pass
                case "hello" | "pong":
                    pass
                case _:
                    await self._notice(frame)
        except events.BadFrame as error:
            logger.warning("malformed frame dropped: %s", error)

    async def _notice(self, frame: dict[str, Any]) -> None:
        event = events.parse(frame)
        if event is None:
            logger.debug("frame of unknown op %r ignored", frame.get("op"))
            return
        if isinstance(event, Drain):
            self._spawn(self._leave(event.retry_after))
        await self._put(event)

    async def _synced(self, frame: dict[str, Any]) -> None:
        self._syncs = max(0, self._syncs - 1)
        cursors = events.cursors(frame)
        await self._deliver(self._inbox.order.complete(cursors))
        await self._put(Synced(cursors))
        self.caught_up.set()

    async def _deliver(self, steps: list[Step]) -> None:
        if steps and self._inbox.full():
            self.caught_up.set()  # whoever waits for the catch-up must start reading
        await self._inbox.deliver(steps)
        await self._mind_gaps()

    async def _put(self, event: events.Event) -> None:
        if self._inbox.full():
            self.caught_up.set()
        await self._inbox.put(event)

    # -- gaps ------------------------------------------------------------------------

    async def _mind_gaps(self) -> None:
        if self._syncs or self._sync_timer is not None or not self._inbox.order.gapped():
            return
        if self._gap_grace <= 0:
            with contextlib.suppress(ConnectionLost):  # the reader sees the end next
                await self.sync()
        else:
            self._sync_timer = self._spawn(self._sync_later())

    async def _sync_later(self) -> None:
        try:
            await asyncio.sleep(self._gap_grace)
        finally:
            self._sync_timer = None
        if not self._syncs and self._inbox.order.gapped():
            logger.debug("gap in the live stream; syncing")
            with contextlib.suppress(ConnectionLost):
                await self.sync()

    # -- staying up ------------------------------------------------------------------

    async def _keep_alive(self) -> None:
        """Ping whenever the link has been idle for a heartbeat; drop it if no pong comes."""
        while True:
            idle = time.monotonic() - self.link.last_write
            if idle < self._heartbeat:
                await asyncio.sleep(self._heartbeat - idle)
                continue
            try:
                pong = await self.link.request(protocol.Ping(), expect="pong")
                await asyncio.wait_for(asyncio.shield(pong), timeout=self._heartbeat)
            except ConnectionLost:
                return
            except TimeoutError:
                if self._inbox.full():
                    continue  # we stopped reading, not the node answering
                logger.warning("no pong within %.1f s; dropping the link", self._heartbeat)
                self.link.abort()
                return

    async def _leave(self, hint: float) -> None:
        """Move to another node after the drain hint, jittered so clients spread out."""
        await asyncio.sleep(spread(hint))
        self.moving = True
        logger.info("leaving a draining node")
        with contextlib.suppress(Exception):
            await self.link.close(1000, "moving to another node")

    def _spawn(self, work: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

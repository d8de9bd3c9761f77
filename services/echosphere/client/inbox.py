"""The application's side of the client: a bounded queue of events.

Messages enter in order through the ``Sequencer`` and the cursor of a
message moves only after it is in the queue. The queue is bounded: a put
waits for the application, which stops the reader, which lets the node see
a slow client; nothing is dropped on this side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from echosphere.client.cursors import CursorStore
from echosphere.client.errors import ClientError
from echosphere.client.events import Event
from echosphere.client.ordering import Sequencer, Step

logger = logging.getLogger(__name__)


class Inbox:
    def __init__(self, cursors: CursorStore, *, size: int):
        self.cursors = cursors
        self.order = Sequencer(cursors.all())
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(max(1, size))
        self.ended = False
        self.failure: ClientError | None = None
        """Why the client ended on its own; None after a deliberate close."""

    def full(self) -> bool:
        return self._queue.full()

    def restart(self) -> None:
        """A new link syncs from the stored cursors: forget what was held past a gap."""
        self.order.reset(self.cursors.all())

    async def put(self, event: Event) -> None:
        await self._queue.put(event)

    def notify(self, event: Event) -> None:
        """Queue an event without waiting; dropped (and logged) if the queue is full."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            logger.warning("event queue full; %s not queued", type(event).__name__)

    async def deliver(self, steps: list[Step]) -> None:
        """Hand out released messages, moving each cursor once its message is queued."""
        for step in steps:
            if step.message is not None:
                await self._queue.put(step.message)
            self.cursors.set(step.conv, step.seq)

    def end(self, failure: ClientError | None) -> None:
        if self.ended:
            return
        self.ended, self.failure = True, failure
        with contextlib.suppress(asyncio.QueueFull):  # then the reader stops on ``ended``
            self._queue.put_nowait(None)

    async def events(self) -> AsyncIterator[Event]:
        while not (self.ended and self._queue.empty()):
            item = await self._queue.get()
            if item is None:
                break
            yield item
        if self.failure is not None:
            raise self.failure

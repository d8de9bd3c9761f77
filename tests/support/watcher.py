"""Reading an SDK client's events in the background, so a test can wait on them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from echosphere.client import ChatClient, Event, Message, Synced

WAIT = 15.0
"""Seconds any test wait may take before the test fails."""


class Watcher:
    """Reads a client's events in the background so a test can wait on them."""

    def __init__(self, client: ChatClient):
        self.client = client
        self.events: list[Event] = []
        self.failure: BaseException | None = None
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for event in self.client.events():
                self.events.append(event)
                self._changed.set()
        except Exception as error:
            self.failure = error
        self._changed.set()

    def messages(self, conv: str | None = None) -> list[Message]:
        return [e for e in self.events if isinstance(e, Message) and conv in (None, e.conv)]

    def seqs(self, conv: str) -> list[int]:
        return [m.seq for m in self.messages(conv)]

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def synced(self) -> int:
        return len(self.of(Synced))

    async def until(self, condition: Callable[[], bool], timeout: float = WAIT) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def until_messages(self, conv: str, count: int) -> None:
        await self.until(lambda: len(self.messages(conv)) >= count)

    async def quiet(self) -> None:
        """Return once everything the node sent so far has been read here.

        Frames before the pong are queued for the application before the pong
        is taken; the short sleep lets this watcher take them off the queue.
        """
        await self.client.ping()
        await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

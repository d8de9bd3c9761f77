"""A connection's bounded queue of frames to write, light enough for many idle sockets.

``asyncio.Queue`` holds three deques and an ``Event`` (about 3 KB) for every
connection even while empty. This queue has one reader (the connection's
writer task) and holds nothing while idle: its deque is made on the first
frame and dropped when drained.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

_T = TypeVar("_T")


class Outbox(Generic[_T]):
    __slots__ = ("_getter", "_items", "_limit", "_putters")

    def __init__(self, limit: int):
        self._limit = limit
        self._items: deque[_T] | None = None
        self._getter: asyncio.Future[None] | None = None
        self._putters: list[asyncio.Future[None]] = []

    def __len__(self) -> int:
        return 0 if self._items is None else len(self._items)

    def full(self) -> bool:
        return len(self) >= self._limit

    def put_nowait(self, item: _T) -> None:
        """Queue ``item``; ``asyncio.QueueFull`` when the limit is reached."""
        if self.full():
            raise asyncio.QueueFull
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        if self._getter is not None and not self._getter.done():
            self._getter.set_result(None)

    async def put(self, item: _T) -> None:
        """Queue ``item``, waiting for room when the queue is full."""
        while self.full():
            room: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._putters.append(room)
            try:
                await room
            finally:
                if room in self._putters:
                    self._putters.remove(room)
        self.put_nowait(item)

    async def get(self) -> _T:
        """The oldest item, waiting for one when empty (one reader at a time)."""
        while not self._items:
            self._getter = asyncio.get_running_loop().create_future()
            try:
                await self._getter
            finally:
                self._getter = None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        while self._putters:
            waiting = self._putters.pop(0)
            if not waiting.done():
                waiting.set_result(None)
                break
        return item

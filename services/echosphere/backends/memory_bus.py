"""In-process bus (``memory://``): node-to-node delivery inside one process.

Embedded mode has one node, but the same code path runs as in a cluster: the
router publishes to a node id and the bus hands the payload to that node's
handler. Several nodes in one process (tests) share a ``MemoryHub``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from echosphere.core.ports import BusHandler

logger = logging.getLogger(__name__)


class MemoryHub:
    """The shared exchange of every ``MemoryBus`` attached to it."""

    def __init__(self) -> None:
        self.queues: dict[str, asyncio.Queue[bytes]] = {}


_DEFAULT_HUB = MemoryHub()


class MemoryBus:
    def __init__(self, hub: MemoryHub | None = None, *, capacity: int = 100_000):
        self._hub = hub or _DEFAULT_HUB
        self._capacity = capacity
        self._node_id: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, node_id: str | None, handler: BusHandler | None) -> None:
        if node_id is None or handler is None:
            return
        queue: asyncio.Queue[bytes] = asyncio.Queue(self._capacity)
        self._hub.queues[node_id] = queue
        self._node_id = node_id
        self._task = asyncio.create_task(self._consume(queue, handler), name="memory-bus")

    async def close(self) -> None:
        if self._node_id is not None:
            self._hub.queues.pop(self._node_id, None)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def publish(self, node_id: str, payload: bytes) -> None:
        queue = self._hub.queues.get(node_id)
        if queue is None:
            return
        try:
            queue.put_nowait(payload)
        except asyncio.QueueFull:
            # The bus may drop: recipients recover the message by sync.
            logger.warning("bus queue full, payload dropped", extra={"node": node_id})

    async def broadcast(self, payload: bytes) -> None:
        for node_id in list(self._hub.queues):
            await self.publish(node_id, payload)

    async def _consume(self, queue: asyncio.Queue[bytes], handler: BusHandler) -> None:
        while True:
            payload = await queue.get()
            try:
                await handler(payload)
            except Exception:
                logger.exception("bus handler failed; payload skipped")

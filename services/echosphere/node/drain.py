"""Draining: emptying a node before it stops, losing nothing.

The node stops accepting, reports itself draining (readiness fails, the
registry shows the flag and the remaining connections), tells every client
``{"op": "drain", "retry_after_ms": ...}`` and closes them in batches, so
they reconnect elsewhere spread over time and catch up by sync. It is done
when no connection is left or the timeout passed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import TYPE_CHECKING

from echosphere.chat import metrics
from echosphere.chat.delivery import Outgoing
from echosphere.core.protocol import encode

if TYPE_CHECKING:
    from echosphere.node.app import ChatNode

logger = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001


async def drain(node: ChatNode, *, within: float, batch: int = 100, pause: float = 0.05) -> int:
    """Drain ``node``; returns the connections left when it gave up (0 when empty)."""
    deadline = time.monotonic() + within
    node.draining = True
    metrics.DRAINS.inc()
    metrics.DRAINING.set(1)
    logger.info("drain started", extra={"node": node.node_id, "connections": len(node.hub)})
    await _report(node)
    # Spread reconnections over about a second so the other nodes are not stampeded.
    told: set[int] = set()
    while len(node.hub) and time.monotonic() < deadline:
        fresh = [o for o in node.hub.outlets() if id(o) not in told][:batch]
        for outlet in fresh:
            told.add(id(outlet))
            hint = random.randint(0, 1000)
            outlet.push(Outgoing(encode({"op": "drain", "retry_after_ms": hint}), "drain"))
            outlet.end(CLOSE_GOING_AWAY, "node draining; reconnect elsewhere")
        await _report(node)
        await asyncio.sleep(pause)
    left = len(node.hub)
    metrics.DRAIN_LEFT.set(left)
    await _report(node)
    logger.info("drain finished", extra={"node": node.node_id, "connections_left": left})
    return left


async def _report(node: ChatNode) -> None:
    try:
        await node.platform.registry.update(connections=len(node.hub), draining=True)
    except Exception:
        logger.warning("could not report drain progress", exc_info=True)

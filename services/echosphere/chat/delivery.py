"""Delivery: getting an encoded server frame to every socket that should see it.

The sender's node looks up the recipients' nodes in presence and publishes
one envelope per target node on the bus (routing by directory); when the
recipients are spread over most live nodes it publishes once to all of them
instead. Frames for this very node skip the bus. The envelope carries the
frame already encoded, so each node writes the same bytes to all of its
local sockets without decoding or re-encoding it, with the time the message
was stored (for the delivery latency metric) and the sender's trace context.

Delivery is the fast path and may drop; the sync path guarantees.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import NamedTuple

import msgspec

from echosphere.chat import metrics, tracing
from echosphere.chat.presence import Presence
from echosphere.core.ids import DeviceId, UserId
from echosphere.core.ports import Bus

logger = logging.getLogger(__name__)


class Envelope(msgspec.Struct, array_like=True):
    """What travels between nodes: recipients, a device to skip, the frame."""

    users: list[UserId]
    skip: str | None
    frame: bytes
    op: str = ""
    stored_at: float = 0.0
    trace: str = ""
    """W3C traceparent of the send, when tracing is on."""


class Outgoing(NamedTuple):
    """An encoded frame on its way to sockets; one instance serves every recipient."""

    frame: bytes
    op: str
    stored_at: float = 0.0
    """Wall-clock time a message was stored (0 for other frames): delivery latency."""


LocalDeliver = Callable[[Sequence[UserId], DeviceId | None, Outgoing], Awaitable[None]]

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Envelope).decode


class Delivery:
    def __init__(
        self,
        *,
        node_id: str,
        presence: Presence,
        bus: Bus,
        local: LocalDeliver,
        broadcast_ratio: float = 0.75,
    ):
        self._node_id = node_id
        self._presence = presence
        self._bus = bus
        self._local = local
        self._broadcast_ratio = broadcast_ratio
        self.live_nodes = 1
        """Live node count, kept fresh by the node's registry loop."""

    async def send(
        self, users: Sequence[UserId], item: Outgoing, *, skip: DeviceId | None = None
    ) -> int:
        """Route ``item`` to the users' devices; returns the node deliveries made."""
        targets = await self._presence.nodes_of(users)
        if not targets:
            return 0
        remote = {node: found for node, found in targets.items() if node != self._node_id}
        if len(remote) >= 2 and len(targets) >= self._broadcast_ratio * self.live_nodes:
            # One publish reaches every node, this one included.
            everyone = [u for found in targets.values() for u in found]
            await self._bus.broadcast(self._envelope(everyone, skip, item))
            metrics.BUS_PUBLISHES.labels("broadcast").inc()
            return len(targets)
        if self._node_id in targets:
            await self._local(targets[self._node_id], skip, item)
        for node, found in remote.items():
            await self._bus.publish(node, self._envelope(found, skip, item))
            metrics.BUS_PUBLISHES.labels("direct").inc()
        return len(targets)

    @staticmethod
    def _envelope(users: list[UserId], skip: DeviceId | None, item: Outgoing) -> bytes:
        envelope = Envelope(users, skip, item.frame, item.op, item.stored_at, tracing.traceparent())
        return _encode(envelope)

    async def on_bus(self, payload: bytes) -> None:
        """Bus consumer: hand a remote envelope to this node's sockets."""
        try:
            envelope = _decode(payload)
        except msgspec.DecodeError:
            logger.error("undecodable bus envelope dropped")
            return
        metrics.BUS_CONSUMED.inc()
        users = [UserId(u) for u in envelope.users]
        skip = DeviceId(envelope.skip) if envelope.skip else None
        item = Outgoing(envelope.frame, envelope.op, envelope.stored_at)
        parent = {"traceparent": envelope.trace} if envelope.trace else None
        with tracing.span("deliver", parent=parent, op=envelope.op, recipients=len(users)):
            await self._local(users, skip, item)

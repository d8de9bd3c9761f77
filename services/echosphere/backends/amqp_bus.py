"""Bus on RabbitMQ (``amqp://``), with aio-pika.

Each node consumes one queue of its own, bound to the direct exchange by its
node id and to the fanout exchange; the queue expires a while after its node
is gone. Publishing never waits for the broker: payloads are buffered per
target and a flusher coalesces what gathered within a short window into one
AMQP message (a msgpack array of payloads), published with confirms. Python's
cost per publish makes this batching the main source of throughput.

The bus may drop: when the broker is unreachable the buffers are bounded and
the oldest payloads go first. Recipients recover everything by sync. The
connection is robust (aio-pika reconnects and restores the consumer); the
flusher retries on the errors listed in ``RETRYABLE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from urllib.parse import parse_qs, urlsplit, urlunsplit

import aio_pika
import aiormq
import msgspec
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)

from echosphere.core.errors import Unavailable
from echosphere.core.exchanges import (
    DIRECT_EXCHANGE,
    FANOUT_EXCHANGE,
    NODE_QUEUE_EXPIRES_MS,
    node_queue,
)
from echosphere.core.ports import BusHandler

logger = logging.getLogger(__name__)

RETRYABLE: tuple[type[BaseException], ...] = (
    aiormq.exceptions.AMQPConnectionError,
    aiormq.exceptions.ChannelInvalidStateError,
    aio_pika.exceptions.ChannelClosed,
    ConnectionError,
    TimeoutError,
)
"""Errors after which a publish is retried once the connection is back."""

_FANOUT = ""
_encode_batch = msgspec.msgpack.Encoder().encode
_decode_batch = msgspec.msgpack.Decoder(list[bytes]).decode


class AmqpBus:
    def __init__(
        self,
        url: str,
        *,
        window: float = 0.002,
        batch_bytes: int = 256 * 1024,
        buffer_limit: int = 50_000,
        prefetch: int = 64,
    ):
        self._url = url
        self._window = window
        self._batch_bytes = batch_bytes
        self._buffer_limit = buffer_limit
        self._prefetch = prefetch
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._direct: AbstractExchange | None = None
        self._fanout: AbstractExchange | None = None
        self._pending: dict[str, deque[bytes]] = {}
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._handler: BusHandler | None = None
        self.dropped = 0

    @classmethod
    def from_url(cls, url: str) -> AmqpBus:
        """``amqp://user:pass@host:port/vhost?window_ms=2``; unknown options are kept for
        the broker connection."""
        parts = urlsplit(url)
        options = parse_qs(parts.query)
        window_ms = float(options.pop("window_ms", ["2"])[0])
        query = "&".join(f"{k}={v[0]}" for k, v in options.items())
        clean = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        return cls(clean, window=window_ms / 1000)

    async def start(self, node_id: str | None, handler: BusHandler | None) -> None:
        try:
            self._connection = await aio_pika.connect_robust(self._url, timeout=10)
        except (*RETRYABLE, OSError) as error:  # type: ignore[misc]
            raise Unavailable("bus_unavailable", f"cannot reach the broker: {error}") from None
        self._channel = await self._connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self._prefetch)
        self._direct = await self._channel.declare_exchange(
            DIRECT_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
        )
        self._fanout = await self._channel.declare_exchange(
            FANOUT_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True
        )
        if node_id is not None and handler is not None:
            await self._consume(node_id, handler)
        self._flusher = asyncio.create_task(self._flush_forever(), name="amqp-bus-flusher")

    async def _consume(self, node_id: str, handler: BusHandler) -> None:
        assert self._channel is not None
        assert self._direct is not None
        assert self._fanout is not None
        self._handler = handler
        queue = await self._channel.declare_queue(
            node_queue(node_id),
            durable=False,
            arguments={"x-expires": NODE_QUEUE_EXPIRES_MS},
        )
        await queue.bind(self._direct, routing_key=node_id)
        await queue.bind(self._fanout)
        await queue.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        assert self._handler is not None
        try:
            payloads = _decode_batch(message.body)
        except msgspec.DecodeError:
            logger.error("undecodable bus batch dropped")
            await message.ack()
            return
        for payload in payloads:
            try:
                await self._handler(payload)
            except Exception:
                logger.exception("bus handler failed; payload skipped")
        await message.ack()

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flush_all(final=True)
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()

    async def publish(self, node_id: str, payload: bytes) -> None:
        self._buffer(node_id, payload)

    async def broadcast(self, payload: bytes) -> None:
        self._buffer(_FANOUT, payload)

    def _buffer(self, target: str, payload: bytes) -> None:
        pending = self._pending.setdefault(target, deque())
        if len(pending) >= self._buffer_limit:
            pending.popleft()
            self.dropped += 1
            if self.dropped % 1000 == 1:
                logger.warning("bus buffer full; oldest payloads dropped", extra={"node": target})
        pending.append(payload)
        self._wake.set()

    async def _flush_forever(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._window)
            self._wake.clear()
            await self._flush_all(final=False)

    async def _flush_all(self, *, final: bool) -> None:
        sends = []
        for target, pending in list(self._pending.items()):
            while pending:
                sends.append((target, self._take_batch(pending)))
        if sends:
            await asyncio.gather(*(self._send(t, b, final=final) for t, b in sends))

    def _take_batch(self, pending: deque[bytes]) -> list[bytes]:
        batch: list[bytes] = []
        size = 0
        while pending and (not batch or size + len(pending[0]) <= self._batch_bytes):
            payload = pending.popleft()
            batch.append(payload)
            size += len(payload)
        return batch

    async def _send(self, target: str, batch: list[bytes], *, final: bool) -> None:
        exchange = self._fanout if target == _FANOUT else self._direct
        assert exchange is not None
        message = aio_pika.Message(
            _encode_batch(batch), delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT
        )
        try:
            await exchange.publish(message, routing_key=target, timeout=5)
        except RETRYABLE as error:
            if final:
                return
            # Put the batch back in front and let the next wake retry it.
            logger.warning("bus publish failed; will retry", extra={"error": type(error).__name__})
            pending = self._pending.setdefault(target, deque())
            pending.extendleft(reversed(batch))
            while len(pending) > self._buffer_limit:
                pending.popleft()
                self.dropped += 1
            await asyncio.sleep(0.5)
            self._wake.set()

"""Driving clients: connecting a crowd, pacing senders, recording arrivals.

Senders run either as fast as acknowledgements allow (``window`` sends in
flight per sender) or at a fixed total ``rate``. At a fixed rate each send
is stamped with the time it was due, not the time it left, so a client
that falls behind shows up as latency instead of hiding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from echosphere.bench.accounting import Ledger, MsgKey, body_text, key_of
from echosphere.bench.population import Person, bounded
from echosphere.bench.relay import RelayLink
from echosphere.bench.targets import Target
from echosphere.client import ChatClient, ClientError, MemoryCursors, Message

now = time.perf_counter

Send = Callable[[str, str], Awaitable[int]]
"""Send a text to a conversation; returns the acknowledged seq."""


@dataclass(frozen=True, slots=True)
class Pace:
    duration: float
    """Seconds of sending."""
    rate: float | None = None
    """Messages per second over all senders; None: as fast as acks allow."""
    window: int = 1
    """Sends in flight per sender when going as fast as acks allow."""
    size: int = 0
    """Body text length to pad messages to (0: just the key)."""
    count: int | None = None
    """Stop each sender after this many messages."""


@dataclass(slots=True)
class Sender:
    index: int
    send: Send
    conv: str
    recipients: tuple[int, ...]


class Errors(Counter[str]):
    """Refused or failed sends, by code."""


def sdk_client(target: Target, person: Person, *, queue: int = 4096) -> ChatClient:
    return ChatClient(
        target.ws_for(person.index),
        person.session,
        cursors=MemoryCursors(),
        queue_size=queue,
        send_timeout=60.0,
    )


async def connect_all(clients: Sequence[ChatClient], *, limit: int = 32) -> None:
    await bounded([client.connect for client in clients], limit=limit)


async def close_all(clients: Sequence[ChatClient]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


def sdk_send(client: ChatClient) -> Send:
    async def send(conv: str, text: str) -> int:
        return (await client.send(conv, text)).seq

    return send


async def record_sdk(client: ChatClient, recipient: int, ledger: Ledger) -> None:
    """Record every bench message ``client`` gets, until it closes."""
    with contextlib.suppress(ClientError):
        async for event in client.events():
            if isinstance(event, Message):
                text = event.body.get("text")
                key = key_of(text) if isinstance(text, str) else None
                ledger.record_arrival(recipient, key, conv=event.conv, seq=event.seq, at=now())


def relay_send(link: RelayLink) -> Send:
    """Relay frames carry their own seq: the sender's counter, from 1."""
    counter = 0

    async def send(conv: str, text: str) -> int:
        nonlocal counter
        counter += 1
        seq = counter
        await link.send({"op": "msg", "conv": conv, "seq": seq, "body": {"text": text}})
        return seq

    return send


async def record_relay(link: RelayLink, recipient: int, ledger: Ledger) -> None:
    while (frame := await link.frames.get()) is not None:
        key = key_of(str(frame["body"]["text"]))
        ledger.record_arrival(recipient, key, conv=frame["conv"], seq=frame["seq"], at=now())


async def _one(
    sender: Sender, key: MsgKey, due: float, pace: Pace, ledger: Ledger, errors: Errors
) -> None:
    ledger.record_send(key, conv=sender.conv, recipients=sender.recipients, at=due)
    try:
        seq = await sender.send(sender.conv, body_text(key, pace.size))
    except ClientError as error:
        errors[error.code] += 1
        return
    except (TimeoutError, OSError) as error:
        errors[type(error).__name__] += 1
        return
    ledger.record_ack(key, seq=seq, at=now())


async def _as_fast_as_acks(
    sender: Sender, pace: Pace, ledger: Ledger, errors: Errors, stop_at: float
) -> None:
    counter = 0

    async def lane() -> None:
        nonlocal counter
        while now() < stop_at and (pace.count is None or counter < pace.count):
            key = (sender.index, counter)
            counter += 1
            await _one(sender, key, now(), pace, ledger, errors)

    await asyncio.gather(*(lane() for _ in range(pace.window)))


async def _at_rate(
    sender: Sender, pace: Pace, ledger: Ledger, errors: Errors, stop_at: float, every: float
) -> None:
    due, counter = now(), 0
    pending: set[asyncio.Task[None]] = set()
    while due < stop_at and (pace.count is None or counter < pace.count):
        await asyncio.sleep(max(0.0, due - now()))
        task = asyncio.create_task(_one(sender, (sender.index, counter), due, pace, ledger, errors))
        pending.add(task)
        task.add_done_callback(pending.discard)
        counter += 1
        due += every
    await asyncio.gather(*pending)


async def send_all(senders: Sequence[Sender], pace: Pace, ledger: Ledger) -> Errors:
    """Run every sender for ``pace.duration`` seconds (or ``pace.count`` messages)."""
    errors = Errors()
    stop_at = now() + pace.duration
    if pace.rate is None:
        runs = [_as_fast_as_acks(s, pace, ledger, errors, stop_at) for s in senders]
    else:
        every = len(senders) / pace.rate
        runs = [_at_rate(s, pace, ledger, errors, stop_at, every) for s in senders]
    await asyncio.gather(*runs)
    return errors


async def drained(ledger: Ledger, *, within: float) -> bool:
    """Wait until every acknowledged message has reached its recipients, or ``within`` s."""
    deadline = now() + within
    while ledger.outstanding() > 0:
        if now() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True

"""RabbitMQ: declare (or delete) the exchanges the chat nodes publish to.

Exchanges are declared exactly as the nodes' bus adapter declares them
(durable, not auto-deleted), since RabbitMQ refuses a second declaration
with different arguments. One short-lived connection per pass, never a
robust one: the operator wants an answer now, not a reconnect loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import aio_pika
import aiormq.exceptions

from echosphere_operator.spec import Exchange
from echosphere_operator.wiring import WiringError

UNREACHABLE: tuple[type[BaseException], ...] = (
    aiormq.exceptions.AMQPConnectionError,
    OSError,
    asyncio.TimeoutError,
)


async def _connect(url: str, within: float) -> aio_pika.abc.AbstractConnection:
    try:
        return await asyncio.wait_for(aio_pika.connect(url, timeout=within), within)
    except aiormq.exceptions.ProbableAuthenticationError as error:
        raise WiringError("Refused", f"RabbitMQ refused the credentials: {error}") from None
    except UNREACHABLE as error:
        raise WiringError("Unreachable", f"RabbitMQ is unreachable: {error!r}") from None


async def declare_exchanges(url: str, exchanges: Iterable[Exchange], *, within: float) -> None:
    connection = await _connect(url, within)
    try:
        channel = await connection.channel()
        for exchange in exchanges:
            kind = aio_pika.ExchangeType(exchange.type)
            try:
                await asyncio.wait_for(
                    channel.declare_exchange(exchange.name, kind, durable=True), within
                )
            except aiormq.exceptions.ChannelPreconditionFailed as error:
                raise WiringError(
                    "Conflict",
                    f"exchange {exchange.name!r} exists with other arguments: {error}",
                ) from None
            except aiormq.exceptions.ChannelAccessRefused as error:
                raise WiringError(
                    "Refused", f"no right to declare {exchange.name!r}: {error}"
                ) from None
    except UNREACHABLE as error:
        raise WiringError("Unreachable", f"RabbitMQ went away: {error!r}") from None
    finally:
        await connection.close()


async def delete_exchanges(url: str, names: Iterable[str], *, within: float) -> None:
    connection = await _connect(url, within)
    try:
        channel = await connection.channel()
        for name in names:
            await asyncio.wait_for(channel.exchange_delete(name), within)
    except UNREACHABLE as error:
        raise WiringError("Unreachable", f"RabbitMQ went away: {error!r}") from None
    except aiormq.exceptions.AMQPError as error:
        raise WiringError("Refused", f"RabbitMQ refused to delete exchanges: {error}") from None
    finally:
        await connection.close()

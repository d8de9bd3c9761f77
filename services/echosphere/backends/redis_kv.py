"""The KV port on Redis (``redis://host:port/db?max_connections=50&prefix=echo:``).

Every process of a cluster shares one Redis, so whatever must stay right
under concurrency runs inside Redis in one step: the counter that gets its
expiry only when created, the token bucket and the hash whose expiry is
re-armed on each write are Lua scripts. The bucket reads Redis's own clock,
so processes on machines whose clocks disagree still refill it alike.

Connections come from a bounded, blocking pool: a burst of callers waits a
moment for a free connection instead of opening hundreds. Commands are not
retried, since a counter bumped just before a connection dropped would be
bumped twice; a Redis that cannot be reached surfaces as ``Unavailable``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from echosphere.core.errors import Unavailable

DEFAULT_PREFIX = "echo:"

UNREACHABLE: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
)
"""Errors meaning Redis cannot be reached or did not answer in time."""

# Defaults a URL query may override: pool size, seconds to wait for a free
# connection, to connect, and for a reply.
_POOL_DEFAULTS: dict[str, float | int] = {
    "max_connections": 50,
    "timeout": 5.0,
    "socket_connect_timeout": 2.0,
    "socket_timeout": 5.0,
}

# KEYS[1] counter; ARGV amount, expiry in ms or "" for none.
_INCR_SCRIPT = """
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and ARGV[2] ~= '' then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
"""

# KEYS[1] bucket hash {tokens, at}; ARGV rate per second, burst.
# Returns the seconds to wait as a string: Lua numbers would reach the
# client truncated to integers.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
    tokens = tokens - 1
else
    wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
    'at', string.format('%.6f', now))
-- An idle bucket refills completely, so it can be forgotten once full.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate + 1) * 1000))
return string.format('%.17g', wait)
"""

# KEYS[1] hash; ARGV field, value, expiry in ms.
_HSET_SCRIPT = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
"""


def _milliseconds(ttl: float) -> int:
    return max(1, math.ceil(ttl * 1000))


@contextlib.contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except UNREACHABLE as exc:
        raise Unavailable("kv_unavailable", "the key-value store is unreachable") from exc


class RedisKV:
    """The KV port on a Redis server, every key under one prefix."""

    def __init__(self, client: Redis, *, prefix: str = DEFAULT_PREFIX):
        self._redis = client
        self._prefix = prefix
        self._incr = client.register_script(_INCR_SCRIPT)
        self._take_token = client.register_script(_BUCKET_SCRIPT)
        self._hset = client.register_script(_HSET_SCRIPT)

    @classmethod
    def from_url(cls, url: str) -> RedisKV:
        """A KV for ``redis://host:port/db``; the query may set ``prefix``,
        ``max_connections`` and the pool's other options (``timeout``...)."""
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.netloc:
            raise ValueError("a Redis URL looks like redis://host:port/db?prefix=echo:")
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefix = dict(query).get("prefix", DEFAULT_PREFIX)
        options = urlencode([(name, value) for name, value in query if name != "prefix"])
        pool = BlockingConnectionPool.from_url(
            urlunsplit(parts._replace(query=options)),
            decode_responses=True,
            **_POOL_DEFAULTS,
        )
        return cls(Redis.from_pool(pool), prefix=prefix)

    async def start(self) -> None:
        await self.ping()

    async def close(self) -> None:
        await self._redis.aclose()

    async def ping(self) -> None:
        with _reachable():
            await self._redis.ping()

    async def get(self, key: str) -> str | None:
        with _reachable():
            value = await self._redis.get(self._prefix + key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        expiry = None if ttl is None else _milliseconds(ttl)
        with _reachable():
            await self._redis.set(self._prefix + key, value, px=expiry)

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        with _reachable():
            done = await self._redis.set(self._prefix + key, value, px=_milliseconds(ttl), nx=True)
        return bool(done)

    async def delete(self, key: str) -> None:
        with _reachable():
            await self._redis.delete(self._prefix + key)

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        expiry = "" if ttl is None else _milliseconds(ttl)
        with _reachable():
            value = await self._incr(keys=[self._prefix + key], args=[amount, expiry])
        return int(value)

    async def take_token(self, key: str, *, rate: float, burst: int) -> float:
        with _reachable():
            wait = await self._take_token(keys=[self._prefix + key], args=[rate, burst])
        return float(wait)

    async def hset(self, key: str, field: str, value: str, *, ttl: float) -> None:
        with _reachable():
            await self._hset(keys=[self._prefix + key], args=[field, value, _milliseconds(ttl)])

    async def hdel(self, key: str, field: str) -> None:
        with _reachable():
            await self._redis.hdel(self._prefix + key, field)

    async def hgetall(self, key: str) -> dict[str, str]:
        with _reachable():
            fields = await self._redis.hgetall(self._prefix + key)
        return {str(name): str(value) for name, value in fields.items()}

    async def hgetall_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        if not keys:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(self._prefix + key)
        with _reachable():
            replies = await pipe.execute()
        return [{str(n): str(v) for n, v in fields.items()} for fields in replies]

"""Fixtures for the KV contract suite: every test runs once per adapter.

``open_kv`` opens started KV instances that share one keyspace, as two
processes of a cluster would; the in-memory adapter is one process, so it
hands out the same instance each time. Redis runs when
``ECHO_TEST_REDIS_URL`` names a server (``scripts/services up`` starts one);
each test gets keys under a prefix of its own, deleted afterwards.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from echosphere.backends.memory_kv import MemoryKV
from echosphere.backends.redis_kv import RedisKV
from echosphere.core.ports import KV

OpenKV = Callable[[], Awaitable[KV]]

REDIS_URL_VARIABLE = "ECHO_TEST_REDIS_URL"


RedisUrl = Callable[..., str]
"""Builds the test server's URL with query options given as keywords."""


def _with_options(base: str, **options: str) -> str:
    query = "&".join(f"{name}={value}" for name, value in options.items())
    if not query:
        return base
    return f"{base}{'&' if '?' in base else '?'}{query}"


def _redis_base() -> str:
    url = os.environ.get(REDIS_URL_VARIABLE)
    if not url:
        pytest.skip(f"{REDIS_URL_VARIABLE} not set; run scripts/services up")
    return url


async def _delete_prefixed(prefix: str) -> None:
    client = Redis.from_url(_redis_base())
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
def redis_url() -> RedisUrl:
    """URLs of the test Redis; skips the test when there is none."""
    return functools.partial(_with_options, _redis_base())


@pytest.fixture
def kv_prefix() -> str:
    """A key prefix no other test uses."""
    return f"test:{uuid.uuid4().hex}:"


@pytest.fixture(params=["memory", "redis"])
async def open_kv(request: pytest.FixtureRequest, kv_prefix: str) -> AsyncIterator[OpenKV]:
    """Opens started KV instances over one keyspace; closes them afterwards."""
    opened: list[KV] = []
    shared: MemoryKV | None = None
    url = _with_options(_redis_base(), prefix=kv_prefix) if request.param == "redis" else ""

    async def open_one() -> KV:
        nonlocal shared
        if request.param == "memory":
            if shared is None:
                shared = MemoryKV()
                await shared.start()
                opened.append(shared)
            return shared
        kv = RedisKV.from_url(url)
        await kv.start()
        opened.append(kv)
        return kv

    yield open_one
    for kv in reversed(opened):
        await kv.close()
    if request.param == "redis":
        await _delete_prefixed(kv_prefix)


@pytest.fixture
async def kv(open_kv: OpenKV) -> KV:
    """A started KV with an empty keyspace."""
    return await open_kv()

"""The KV contract: every adapter behaves the same (see ``kv_fixtures``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from echosphere.backends.redis_kv import RedisKV
from echosphere.bench.launcher import free_port
from echosphere.core.errors import Unavailable
from echosphere.core.ports import KV

if TYPE_CHECKING:
    from tests.contract.kv_fixtures import OpenKV, RedisUrl

pytest_plugins = ["tests.contract.kv_fixtures"]

SHORT_TTL = 0.2


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 3.0) -> None:
    """Poll ``check`` until it holds, failing the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within} s")
        await asyncio.sleep(0.02)


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


# --- strings ----------------------------------------------------------------


async def test_get_of_a_missing_key_is_none(kv: KV) -> None:
    """A key never set reads as None."""
    assert await kv.get("missing") is None


async def test_set_then_get_returns_the_value(kv: KV) -> None:
    """A value set is read back as the same string, and a second set replaces it."""
    await kv.set("greeting", "hello")
    assert await kv.get("greeting") == "hello"
    await kv.set("greeting", "héllo wörld")
    assert await kv.get("greeting") == "héllo wörld"


async def test_set_with_ttl_expires(kv: KV) -> None:
    """A value set with a TTL is there at first and gone once the TTL has passed."""
    await kv.set("code", "123456", ttl=SHORT_TTL)
    assert await kv.get("code") == "123456"

    async def gone() -> bool:
        return await kv.get("code") is None

    await eventually(gone)


async def test_set_without_ttl_clears_an_earlier_ttl(kv: KV) -> None:
    """Setting a value without a TTL makes the key permanent again."""
    await kv.set("session", "a", ttl=SHORT_TTL)
    await kv.set("session", "b")
    await asyncio.sleep(SHORT_TTL * 2)
    assert await kv.get("session") == "b"


async def test_delete_removes_the_key(kv: KV) -> None:
    """Delete removes a key, and deleting a missing key is not an error."""
    await kv.set("doomed", "x")
    await kv.delete("doomed")
    assert await kv.get("doomed") is None
    await kv.delete("doomed")


async def test_add_sets_only_if_absent(kv: KV) -> None:
    """Add stores the first value and refuses while the key exists."""
    assert await kv.add("lock", "first", ttl=10)
    assert not await kv.add("lock", "second", ttl=10)
    assert await kv.get("lock") == "first"


async def test_add_succeeds_again_after_expiry(kv: KV) -> None:
    """Once an added key has expired, add takes it again."""
    assert await kv.add("lock", "first", ttl=SHORT_TTL)

    async def retaken() -> bool:
        return await kv.add("lock", "second", ttl=10)

    await eventually(retaken)
    assert await kv.get("lock") == "second"


# --- counters ---------------------------------------------------------------


async def test_incr_counts_from_zero_by_any_amount(kv: KV) -> None:
    """Incr starts a missing counter at zero and adds the amount, negative too."""
    assert await kv.incr("count") == 1
    assert await kv.incr("count", 5) == 6
    assert await kv.incr("count", -2) == 4
    assert await kv.get("count") == "4"


async def test_incr_continues_a_value_that_was_set(kv: KV) -> None:
    """Incr adds to an integer stored with set."""
    await kv.set("count", "41")
    assert await kv.incr("count") == 42


async def test_incr_ttl_applies_only_when_the_counter_is_created(kv: KV) -> None:
    """A later incr with a TTL does not push back the expiry set at creation."""
    ttl = 0.4
    created = time.monotonic()
    assert await kv.incr("window", ttl=ttl) == 1
    await sleep_until(created + 0.25)
    assert await kv.incr("window", ttl=ttl) == 2

    # Re-armed, the counter would live until at least created + 0.65.
    await sleep_until(created + 0.6)
    assert await kv.get("window") is None


async def test_incr_without_ttl_does_not_expire(kv: KV) -> None:
    """A counter created without a TTL stays."""
    await kv.incr("total")
    await asyncio.sleep(SHORT_TTL)
    assert await kv.get("total") == "1"


async def test_concurrent_incr_counts_every_call(kv: KV) -> None:
    """Fifty concurrent increments give fifty distinct results and a total of fifty."""
    results = await asyncio.gather(*(kv.incr("hits", ttl=30) for _ in range(50)))
    assert sorted(results) == list(range(1, 51))
    assert await kv.get("hits") == "50"


# --- token buckets ----------------------------------------------------------


async def test_token_bucket_allows_a_burst_then_refuses(kv: KV) -> None:
    """A full bucket gives ``burst`` tokens, then names a wait of at most one token's time."""
    rate = 10.0
    for _ in range(3):
        assert await kv.take_token("sends", rate=rate, burst=3) == 0.0
    wait = await kv.take_token("sends", rate=rate, burst=3)
    assert 0.0 < wait <= 1.0 / rate + 0.01


async def test_token_bucket_refills_with_time(kv: KV) -> None:
    """After waiting the time it named, the bucket gives a token again."""
    rate = 10.0
    assert await kv.take_token("sends", rate=rate, burst=1) == 0.0
    wait = await kv.take_token("sends", rate=rate, burst=1)
    assert wait > 0.0
    await asyncio.sleep(wait + 0.02)
    assert await kv.take_token("sends", rate=rate, burst=1) == 0.0


async def test_token_buckets_are_separate_per_key(kv: KV) -> None:
    """Emptying one bucket leaves another key's bucket full."""
    assert await kv.take_token("alice", rate=0.01, burst=1) == 0.0
    assert await kv.take_token("alice", rate=0.01, burst=1) > 0.0
    assert await kv.take_token("bob", rate=0.01, burst=1) == 0.0


async def test_concurrent_take_token_from_two_instances_never_exceeds_burst(
    open_kv: OpenKV,
) -> None:
    """Two instances taking at once from one bucket get exactly ``burst`` tokens in all."""
    first, second = await open_kv(), await open_kv()
    burst = 5
    takes = [
        instance.take_token("shared", rate=0.01, burst=burst)
        for instance in (first, second)
        for _ in range(15)
    ]
    waits = await asyncio.gather(*takes)
    assert sum(1 for wait in waits if wait == 0.0) == burst


# --- hashes -----------------------------------------------------------------


async def test_hgetall_of_a_missing_hash_is_empty(kv: KV) -> None:
    """A hash never written reads as an empty dict."""
    assert await kv.hgetall("nobody") == {}


async def test_hset_hdel_hgetall(kv: KV) -> None:
    """Fields set are read back as strings; deleting the last field empties the hash."""
    await kv.hset("presence", "node-a", "3", ttl=30)
    await kv.hset("presence", "node-b", "1", ttl=30)
    await kv.hset("presence", "node-a", "4", ttl=30)
    assert await kv.hgetall("presence") == {"node-a": "4", "node-b": "1"}

    await kv.hdel("presence", "node-a")
    assert await kv.hgetall("presence") == {"node-b": "1"}
    await kv.hdel("presence", "node-b")
    await kv.hdel("presence", "node-b")
    assert await kv.hgetall("presence") == {}


async def test_hgetall_many_reads_each_hash_in_order(kv: KV) -> None:
    """Several hashes in one call, in the order asked, missing ones as empty dicts."""
    await kv.hset("presence:a", "dev-1", "node-a", ttl=30)
    await kv.hset("presence:a", "dev-2", "node-b", ttl=30)
    await kv.hset("presence:c", "dev-3", "node-a", ttl=30)
    found = await kv.hgetall_many(["presence:c", "presence:b", "presence:a"])
    assert found == [{"dev-3": "node-a"}, {}, {"dev-1": "node-a", "dev-2": "node-b"}]
    assert await kv.hgetall_many([]) == []


async def test_hset_rearms_the_expiry_of_the_whole_hash(kv: KV) -> None:
    """Each hset pushes back the hash's expiry for all its fields; idle, it expires."""
    ttl = 0.4
    created = time.monotonic()
    await kv.hset("presence", "node-a", "1", ttl=ttl)
    await sleep_until(created + 0.25)
    await kv.hset("presence", "node-b", "1", ttl=ttl)

    # Past the first expiry, before the re-armed one.
    await sleep_until(created + 0.5)
    assert await kv.hgetall("presence") == {"node-a": "1", "node-b": "1"}

    async def gone() -> bool:
        return await kv.hgetall("presence") == {}

    await eventually(gone)


async def test_ping_answers(kv: KV) -> None:
    """A started KV answers ping."""
    await kv.ping()


# --- Redis specifics --------------------------------------------------------


async def test_redis_on_a_closed_port_is_unavailable_at_start() -> None:
    """Starting a RedisKV whose server is not there raises Unavailable."""
    kv = RedisKV.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(Unavailable) as raised:
            await kv.start()
        assert raised.value.code == "kv_unavailable"
    finally:
        await kv.close()


async def test_redis_keys_carry_the_prefix_from_the_url(
    redis_url: RedisUrl, kv_prefix: str
) -> None:
    """Keys land in Redis under the URL's prefix, and another prefix does not see them."""
    mine = RedisKV.from_url(redis_url(prefix=kv_prefix, max_connections="2"))
    other = RedisKV.from_url(redis_url(prefix=f"{kv_prefix}other:"))
    await mine.start()
    await other.start()
    try:
        await mine.set("name", "value", ttl=30)
        assert await other.get("name") is None
        raw = RedisKV.from_url(redis_url(prefix=""))
        try:
            assert await raw.get(f"{kv_prefix}name") == "value"
        finally:
            await raw.close()
    finally:
        await mine.delete("name")
        await mine.close()
        await other.close()

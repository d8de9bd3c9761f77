"""Like counts under concurrency: the KV counter always ends equal to the Store.

Runs for every Store adapter and every KV adapter (Redis when
``scripts/services up`` started one). Several ``LikeCounter`` instances
stand for several API processes sharing one store and one KV.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from echosphere.chat.likes import LikeCounter, counter_key
from echosphere.core.ids import UserId, new_id
from echosphere.core.ports import Store
from echosphere.core.social import Post

if TYPE_CHECKING:
    from tests.contract.kv_fixtures import OpenKV

pytest_plugins = ["tests.contract.kv_fixtures"]

OpenStore = Callable[[], Awaitable[Store]]


async def new_post(store: Store, counter: LikeCounter) -> str:
    post = Post(id=new_id(), author=UserId(new_id()), text="hi", media=(), created_at=1.0)
    await store.create_post(post)
    await counter.created(post.id)
    return post.id


async def test_concurrent_likes_and_unlikes_end_exact(
    open_store: OpenStore, open_kv: OpenKV
) -> None:
    """Three processes, 40 users each liking and unliking at random, all at once: the
    count equals the users whose last word was a like, in the KV and in the Store."""
    stores = [await open_store() for _ in range(3)]
    kv = await open_kv()
    counters = [LikeCounter(store, await open_kv()) for store in stores]
    post = await new_post(stores[0], counters[0])
    users = [UserId(new_id()) for _ in range(40)]
    plans = {user: [random.random() < 0.5 for _ in range(random.randint(1, 6))] for user in users}

    async def act(user: UserId) -> None:
        for step, wants in enumerate(plans[user]):
            counter = counters[(hash(user) + step) % len(counters)]
            if wants:
                await counter.like(post, user, now=1.0)
            else:
                await counter.unlike(post, user)
            await asyncio.sleep(0)

    await asyncio.gather(*(act(user) for user in users))
    truth = sum(1 for user in users if plans[user][-1])
    assert await stores[0].count_likes(post) == truth
    assert await kv.get(counter_key(post)) == str(truth)
    fresh = LikeCounter(stores[1], kv)
    assert await fresh.count(post) == truth


async def test_liking_twice_counts_once(open_store: OpenStore, open_kv: OpenKV) -> None:
    """Repeated likes by one user, in parallel, move the count by one."""
    store = await open_store()
    counter = LikeCounter(store, await open_kv())
    post = await new_post(store, counter)
    fan = UserId(new_id())
    results = await asyncio.gather(*(counter.like(post, fan, now=1.0) for _ in range(10)))
    assert sum(changed for changed, _ in results) == 1
    assert await counter.count(post) == 1
    assert await counter.unlike(post, fan) == (True, 0)
    assert await counter.unlike(post, fan) == (False, 0)


async def test_lost_counter_is_seeded_from_the_store(
    open_store: OpenStore, open_kv: OpenKV
) -> None:
    """When the KV loses a counter, the next read or like starts from the Store's count."""
    store = await open_store()
    kv = await open_kv()
    counter = LikeCounter(store, kv, cache_ttl=0.001)
    post = await new_post(store, counter)
    for _ in range(3):
        await counter.like(post, UserId(new_id()), now=1.0)
    await kv.delete(counter_key(post))
    await asyncio.sleep(0.01)
    assert await counter.count(post) == 3
    await kv.delete(counter_key(post))
    assert await counter.like(post, UserId(new_id()), now=1.0) == (True, 4)


async def test_drift_is_reconciled_once_quiet(open_store: OpenStore, open_kv: OpenKV) -> None:
    """A counter that drifted (a crash between the two writes) is set right by the
    periodic pass once the post has been quiet, and on demand."""
    store = await open_store()
    kv = await open_kv()
    clock = [0.0]
    counter = LikeCounter(store, kv, quiet=5.0, reconcile_every=3600, clock=lambda: clock[0])
    post = await new_post(store, counter)
    await counter.like(post, UserId(new_id()), now=1.0)
    await kv.set(counter_key(post), "7")

    assert await counter.reconcile_quiet() == 0  # changed too recently
    clock[0] = 6.0
    assert await counter.reconcile_quiet() == 1
    assert await kv.get(counter_key(post)) == "1"
    assert await counter.count(post) == 1

    await store.add_like(post, UserId(new_id()), now=2.0)  # behind the counter's back
    assert await counter.reconcile(post) == 2
    assert await kv.get(counter_key(post)) == "2"

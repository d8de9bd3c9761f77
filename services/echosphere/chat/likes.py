"""Like counts: KV counters behind a small in-process cache, kept equal to the Store.

The Store is the truth: a like is a (post, user) row, and adding or removing
one tells whether this call changed anything. Only a change moves the KV
counter, by exactly one, so any number of processes liking and unliking at
once leave the counter equal to the number of rows. The counter is created
at 0 with its post; should it go missing (a KV restart, an eviction), the
next reader seeds it from the Store, and the post is put on the list for
reconciliation.

Reconciliation sets the counter to the Store's count and checks that the
count did not move meanwhile. It runs on a miss and, for posts that changed
in this process and have been quiet for a few seconds, on a periodic pass
started lazily by the next change. Readers go through a TTL cache of a
couple of seconds (cachetools); a change made here drops the post's entry,
so other processes see a change within the cache's lifetime at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from cachetools import TTLCache

from echosphere.core.ids import UserId
from echosphere.core.ports import KV, Store

logger = logging.getLogger(__name__)

SEED_TTL = 30 * 24 * 3600.0
"""A counter seeded on a miss lives this long before it is seeded again."""


def counter_key(post_id: str) -> str:
    return f"likes:{post_id}"


class LikeCounter:
    def __init__(
        self,
        store: Store,
        kv: KV,
        *,
        cache_ttl: float = 2.0,
        reconcile_every: float = 60.0,
        quiet: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._store = store
        self._kv = kv
        self._cache: TTLCache[str, int] = TTLCache(maxsize=50_000, ttl=cache_ttl)
        self._reconcile_every = reconcile_every
        self._quiet = quiet
        self._clock = clock
        self._dirty: dict[str, float] = {}
        """Posts changed here, with when; reconciled once quiet."""
        self._last_pass = clock()
        self._pass: asyncio.Task[None] | None = None

    async def created(self, post_id: str) -> None:
        await self._kv.set(counter_key(post_id), "0")

    async def deleted(self, post_id: str) -> None:
        await self._kv.delete(counter_key(post_id))
        self._cache.pop(post_id, None)
        self._dirty.pop(post_id, None)

    async def like(self, post_id: str, user: UserId, *, now: float) -> tuple[bool, int]:
        """Like; returns whether this call changed anything, and the count."""
        await self._ensure(post_id)
        if not await self._store.add_like(post_id, user, now=now):
            return False, await self.count(post_id)
        count = await self._kv.incr(counter_key(post_id), 1)
        self._touch(post_id)
        return True, count

    async def unlike(self, post_id: str, user: UserId) -> tuple[bool, int]:
        await self._ensure(post_id)
        if not await self._store.remove_like(post_id, user):
            return False, await self.count(post_id)
        count = await self._kv.incr(counter_key(post_id), -1)
        self._touch(post_id)
        return True, count

    async def count(self, post_id: str) -> int:
        cached = self._cache.get(post_id)
        if cached is not None:
            return cached
        value = await self._kv.get(counter_key(post_id))
        count = await self._seed(post_id) if value is None else int(value)
        self._cache[post_id] = count
        return count

    async def counts(self, post_ids: Sequence[str]) -> dict[str, int]:
        return {post_id: await self.count(post_id) for post_id in post_ids}

    async def reconcile(self, post_id: str, *, attempts: int = 5) -> int:
        """Set the counter to the Store's count; returns it."""
        truth = await self._store.count_likes(post_id)
        for _ in range(attempts):
            await self._kv.set(counter_key(post_id), str(truth))
            again = await self._store.count_likes(post_id)
            if again == truth:
                break
            truth = again
        self._cache[post_id] = truth
        return truth

    async def reconcile_quiet(self) -> int:
        """Reconcile the posts changed here that have been quiet; returns how many."""
        now = self._clock()
        quiet = [p for p, at in self._dirty.items() if now - at >= self._quiet]
        for post_id in quiet:
            self._dirty.pop(post_id, None)
            await self.reconcile(post_id)
        self._last_pass = now
        return len(quiet)

    async def close(self) -> None:
        if self._pass is not None:
            self._pass.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pass

    async def _ensure(self, post_id: str) -> None:
        if await self._kv.get(counter_key(post_id)) is None:
            await self._seed(post_id)

    async def _seed(self, post_id: str) -> int:
        truth = await self._store.count_likes(post_id)
        await self._kv.add(counter_key(post_id), str(truth), ttl=SEED_TTL)
        # A like racing the seed may be counted twice or not at all: check later.
        self._dirty[post_id] = self._clock()
        logger.info("like counter seeded from the store", extra={"post": post_id})
        value = await self._kv.get(counter_key(post_id))
        return truth if value is None else int(value)

    def _touch(self, post_id: str) -> None:
        self._cache.pop(post_id, None)
        self._dirty[post_id] = self._clock()
        due = self._clock() - self._last_pass >= self._reconcile_every
        if due and (self._pass is None or self._pass.done()):
            self._last_pass = self._clock()
            self._pass = asyncio.create_task(self._run_pass(), name="like-reconcile")

    async def _run_pass(self) -> None:
        try:
            done = await self.reconcile_quiet()
        except Exception:
            logger.warning("like reconciliation failed; will retry", exc_info=True)
            return
        if done:
            logger.debug("like counters reconciled", extra={"posts": done})

"""Drifting bottles: throw one, fish one nearby, reply or throw it back.

The thrower's location is coarsened to a ~1 km cell before anything is
written. A fished bottle is held by its fisher for a while, out of everyone
else's reach: replying takes it out of the sea for good (and opens a
conversation with the thrower), throwing it back lets it drift again, and
a hold that runs out does the same. Nobody fishes their own bottle, nor one
they fished before, nor an expired one.

The geo index finds a candidate; the Store decides, atomically, whether the
fisher gets it. When the index was stale (the bottle was taken meanwhile,
answered or expired), the index is corrected and the search tried again.
Daily quotas per user live in the KV port, one counter per UTC day.
"""

from __future__ import annotations

import logging

from echosphere.chat.media import MediaLibrary
from echosphere.chat.platform import Platform
from echosphere.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from echosphere.core.geo import check_point, coarsen
from echosphere.core.ids import UserId, new_id
from echosphere.core.media import MediaKind, UseScope
from echosphere.core.ports import GeoEntry
from echosphere.core.social import Bottle

logger = logging.getLogger(__name__)

HOLD = 24 * 3600.0
"""Seconds a fished bottle stays with its fisher before it drifts again."""
MAX_RADIUS_KM = 200.0
MAX_TEXT = 500
SEARCH_TRIES = 4
DAY = 86400
BOTTLE_MEDIA = frozenset({MediaKind.VOICE, MediaKind.IMAGE})


class Bottles:
    def __init__(self, platform: Platform):
        self._platform = platform
        self._store = platform.store
        self._geo = platform.geo
        self._library = MediaLibrary(platform)

    async def throw(
        self, user: UserId, *, text: str | None, media: str | None, lat: float, lon: float
    ) -> tuple[Bottle, int]:
        """Throw a bottle; returns it and the throws left today."""
        check_point(lat, lon)
        lat, lon = coarsen(lat, lon)
        text = (text or "").strip()
        if bool(text) == bool(media):
            raise InvalidInput("bad_bottle", "a bottle holds either text or media")
        if len(text) > MAX_TEXT:
            raise InvalidInput("too_long", f"a bottle's text is at most {MAX_TEXT} characters")
        if media:
            await self._library.claim(user, media, BOTTLE_MEDIA)
        limits = self._platform.settings.limits
        left = await self._spend(user, "throws", limits.bottle_throws_per_day)

        now = self._platform.clock()
        bottle = Bottle(
            id=new_id(),
            owner=user,
            text=text,
            media=media or None,
            lat=lat,
            lon=lon,
            created_at=now,
            expires_at=now + self._platform.settings.bottle_ttl_days * DAY,
        )
        await self._store.create_bottle(bottle)
        if bottle.media:
            await self._library.record(bottle.media, UseScope.BOTTLE, bottle.id)
        await self._geo.add(GeoEntry(bottle.id, user, lat, lon, bottle.expires_at))
        logger.info("bottle thrown", extra={"bottle": bottle.id})
        return bottle, left

    async def fish(
        self, user: UserId, *, lat: float, lon: float, radius_km: float
    ) -> tuple[Bottle, int]:
        """Fish one bottle within the radius; returns it and the fishes left today."""
        check_point(lat, lon)
        if not 0 < radius_km <= MAX_RADIUS_KM:
            raise InvalidInput(
                "bad_radius", f"radius_km must be above 0 and at most {MAX_RADIUS_KM:g}"
            )
        left = await self._spend(
            user, "fishes", self._platform.settings.limits.bottle_fishes_per_day
        )

        now = self._platform.clock()
        since = now - self._platform.settings.bottle_ttl_days * DAY
        excluded = await self._store.picked_bottles(user, since=since)
        for _ in range(SEARCH_TRIES):
            found = await self._geo.random_within(
                lat=lat,
                lon=lon,
                radius_km=radius_km,
                now=now,
                exclude_owner=user,
                exclude_ids=excluded,
            )
            if found is None:
                break
            taken = await self._store.take_bottle(found, user, now=now, hold_until=now + HOLD)
            if taken is not None:
                await self._geo.hide(found, until=taken.held_until)
                return taken, left
            excluded.append(found)
            await self._correct_index(found, now=now)
        raise NotFound("no_bottle", "no bottle drifts within reach; try later or farther")

    async def throw_back(self, user: UserId, bottle_id: str) -> None:
        await self.held(user, bottle_id)
        if not await self._store.release_bottle(bottle_id, user):
            raise Conflict("bottle_answered", "this bottle was already answered")
        await self._geo.hide(bottle_id, until=0)

    async def held(self, user: UserId, bottle_id: str) -> Bottle:
        """The bottle if ``user`` holds it now; the reason why not otherwise."""
        bottle = await self._store.get_bottle(bottle_id)
        if bottle is None or not await self._store.has_picked(bottle_id, user):
            raise NotFound("bottle_not_found", "you have not fished such a bottle")
        if bottle.replied_by is not None:
            raise Conflict("bottle_answered", "this bottle was already answered")
        if bottle.expires_at <= self._platform.clock():
            raise Conflict("bottle_expired", "this bottle has sunk")
        if bottle.holder != user:
            raise Forbidden("not_holder", "you threw this bottle back or someone else has it")
        return bottle

    async def answer(self, user: UserId, bottle: Bottle) -> None:
        """Take a held bottle out of the sea because ``user`` replies to it."""
        if not await self._store.answer_bottle(bottle.id, user, now=self._platform.clock()):
            raise Conflict("bottle_answered", "this bottle was already answered")
        await self._geo.remove(bottle.id)

    async def _correct_index(self, bottle_id: str, *, now: float) -> None:
        bottle = await self._store.get_bottle(bottle_id)
        if bottle is None or bottle.replied_by is not None or bottle.expires_at <= now:
            await self._geo.remove(bottle_id)
        elif bottle.holder is not None and bottle.held_until > now:
            await self._geo.hide(bottle_id, until=bottle.held_until)

    async def _spend(self, user: UserId, action: str, limit: int) -> int:
        """Count one use of today's quota; ``RateLimited("quota_exceeded")`` past it."""
        now = self._platform.clock()
        day = int(now // DAY)
        key = f"quota:bottle-{action}:{user}:{day}"
        used = await self._platform.kv.incr(key, 1, ttl=2 * DAY)
        if used > limit:
            await self._platform.kv.incr(key, -1)
            raise RateLimited(
                (day + 1) * DAY - now,
                "quota_exceeded",
                f"at most {limit} {action} a day; the quota renews at midnight UTC",
            )
        return limit - used

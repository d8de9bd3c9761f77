"""Who may write where, remembered per process: the access check off the send path.

Every send needs its conversation's audience: for a group the members (up
to thousands of rows) and their roles, for a one-to-one chat the block and
friendship checks. Those answers change rarely, so each process keeps the
ones it computed, stamped with a version counter that the KV port holds
per conversation. Every Store write that can change an answer (blocks,
friendships, membership, roles, the group itself) goes through
``Invalidating``, which bumps that counter after the write; a reader
compares the counter (one KV read) before trusting its copy.

Only permissions granted are remembered, refusals are worked out anew each
time. The counter outlives any remembered entry by far, so a counter that
expired can never make an old entry look current.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

from cachetools import TTLCache

from echosphere.chat import access
from echosphere.chat.access import Audience
from echosphere.core.ids import ConvId, GroupId, UserId, direct_conv, group_conv, parse_conv
from echosphere.core.models import Group, Role
from echosphere.core.ports import KV, Store

logger = logging.getLogger(__name__)

ENTRY_TTL = 60.0
"""Seconds a remembered audience is trusted at most, version or not."""
VERSION_TTL = 7 * 24 * 3600.0


def version_key(conv: ConvId) -> str:
    return f"acl:{conv}"


class Audiences:
    """``access.writable`` with a per-process memory, checked against the version."""

    def __init__(self, store: Store, kv: KV, *, size: int = 50_000, ttl: float = ENTRY_TTL):
        self._store = store
        self._kv = kv
        self._entries: TTLCache[tuple[ConvId, UserId], tuple[str, Audience]] = TTLCache(
            maxsize=size, ttl=ttl
        )

    async def writable(self, conv: str, user: UserId) -> Audience:
        ref = parse_conv(conv)
        version = await self._kv.get(version_key(ref.conv)) or "0"
        remembered = self._entries.get((ref.conv, user))
        if remembered is not None and remembered[0] == version:
            return remembered[1]
        audience = await access.writable(self._store, conv, user)
        self._entries[(ref.conv, user)] = (version, audience)
        return audience


class Invalidating:
    """The Store, with the writes that change who may write where bumping the version."""

    def __init__(self, store: Store, kv: KV):
        self._store = store
        self._kv = kv

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def _bump(self, conv: ConvId) -> None:
        try:
            await self._kv.incr(version_key(conv), ttl=VERSION_TTL)
        except Exception:
            # The write is done; remembered audiences age out within ENTRY_TTL.
            logger.warning("audience version not bumped", exc_info=True, extra={"conv": conv})

    async def add_block(self, owner: UserId, target: UserId, *, now: float) -> None:
        await self._store.add_block(owner, target, now=now)
        await self._bump(direct_conv(owner, target))

    async def remove_block(self, owner: UserId, target: UserId) -> None:
        await self._store.remove_block(owner, target)
        await self._bump(direct_conv(owner, target))

    async def add_friendship(self, a: UserId, b: UserId, *, now: float) -> None:
        await self._store.add_friendship(a, b, now=now)
        await self._bump(direct_conv(a, b))

    async def remove_friendship(self, a: UserId, b: UserId) -> None:
        await self._store.remove_friendship(a, b)
        await self._bump(direct_conv(a, b))

    async def update_group(self, group_id: GroupId, changes: Mapping[str, Any]) -> Group:
        group = await self._store.update_group(group_id, changes)
        await self._bump(group_conv(group_id))
        return group

    async def add_members(
        self, group_id: GroupId, users: Sequence[UserId], *, now: float
    ) -> list[UserId]:
        added = await self._store.add_members(group_id, users, now=now)
        await self._bump(group_conv(group_id))
        return added

    async def remove_member(self, group_id: GroupId, user_id: UserId) -> bool:
        removed = await self._store.remove_member(group_id, user_id)
        await self._bump(group_conv(group_id))
        return removed

    async def set_role(self, group_id: GroupId, user_id: UserId, role: Role) -> None:
        await self._store.set_role(group_id, user_id, role)
        await self._bump(group_conv(group_id))

    async def join_conversation(self, conv: ConvId, users: Sequence[UserId]) -> None:
        await self._store.join_conversation(conv, users)
        await self._bump(conv)

    async def leave_conversation(self, conv: ConvId, user_id: UserId) -> None:
        await self._store.leave_conversation(conv, user_id)
        await self._bump(conv)


def invalidating(store: Store, kv: KV) -> Store:
    """``store`` with audience-changing writes announced through ``kv``."""
    return cast(Store, Invalidating(store, kv))

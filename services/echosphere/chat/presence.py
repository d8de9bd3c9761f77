"""Presence: which node each of a user's devices is connected to.

Kept in the KV port as one hash per user (device -> node id), re-armed by the
node's heartbeat and expiring on silence, so a node that dies without saying
goodbye stops attracting deliveries within ``presence_ttl``.
"""

from __future__ import annotations

from collections.abc import Iterable

from echosphere.core.ids import DeviceId, UserId
from echosphere.core.ports import KV


def _key(user: UserId) -> str:
    return f"presence:{user}"


class Presence:
    def __init__(self, kv: KV, *, ttl: float):
        self._kv = kv
        self._ttl = ttl

    async def connected(self, user: UserId, device: DeviceId, node: str) -> None:
        await self._kv.hset(_key(user), device, node, ttl=self._ttl)

    async def disconnected(self, user: UserId, device: DeviceId) -> None:
        await self._kv.hdel(_key(user), device)

    async def devices(self, user: UserId) -> dict[str, str]:
        """device -> node for every live device of the user."""
        return await self._kv.hgetall(_key(user))

    async def nodes_of(self, users: Iterable[UserId]) -> dict[str, list[UserId]]:
        """node -> the given users with at least one device on it."""
        by_node: dict[str, list[UserId]] = {}
        for user in users:
            for node in set((await self.devices(user)).values()):
                by_node.setdefault(node, []).append(user)
        return by_node

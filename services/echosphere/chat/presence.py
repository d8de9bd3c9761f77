"""Presence: which node each of a user's devices is connected to.

Kept in the KV port as one hash per user (device -> node id), re-armed by the
node's heartbeat and expiring on silence. Each node also keeps a hash of its
own ``user/device`` entries, and every node that ever held connections is
listed in ``presence:nodes``. That makes a dead node's entries findable: a
sweeper (one at a time, by a KV lock) removes the entries of nodes the
registry no longer lists. Until then, readers ignore entries on nodes they
saw leave the registry. A node they have not seen yet is trusted: it may
have started since their last look, and refusing it would cut its users
off live delivery until then.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from echosphere.core.ids import DeviceId, UserId
from echosphere.core.ports import KV

NODES_KEY = "presence:nodes"
SWEEP_LOCK = "presence:sweep-lock"


def _user_key(user: UserId) -> str:
    return f"presence:{user}"


def _node_key(node: str) -> str:
    return f"presence:node:{node}"


class Presence:
    def __init__(self, kv: KV, *, ttl: float):
        self._kv = kv
        self._ttl = ttl
        self.dead: Collection[str] = frozenset()
        """Node ids seen leaving the registry; entries on them are ignored."""

    async def register_node(self, node: str) -> None:
        await self._kv.hset(NODES_KEY, node, "1", ttl=30 * 24 * 3600)

    async def connected(self, user: UserId, device: DeviceId, node: str) -> None:
        await self._kv.hset(_user_key(user), device, node, ttl=self._ttl)
        await self._kv.hset(_node_key(node), f"{user}/{device}", "1", ttl=self._ttl)

    async def refresh(self, user: UserId, device: DeviceId, node: str) -> None:
        """Re-arm an entry of this node's, unless the device has moved to another node
        since (a heartbeat must not pull a reconnected device back)."""
        current = (await self._kv.hgetall(_user_key(user))).get(device)
        if current in (None, node):
            await self.connected(user, device, node)

    async def disconnected(self, user: UserId, device: DeviceId, node: str) -> None:
        if (await self._kv.hgetall(_user_key(user))).get(device) == node:
            await self._kv.hdel(_user_key(user), device)
        await self._kv.hdel(_node_key(node), f"{user}/{device}")

    async def devices(self, user: UserId) -> dict[str, str]:
        """device -> node for every device of the user on a live node."""
        found = await self._kv.hgetall(_user_key(user))
        if not self.dead:
            return found
        return {device: node for device, node in found.items() if node not in self.dead}

    async def nodes_of(self, users: Iterable[UserId]) -> dict[str, list[UserId]]:
        """node -> the given users with at least one device on it (one KV round trip)."""
        wanted = list(dict.fromkeys(users))
        found = await self._kv.hgetall_many([_user_key(user) for user in wanted])
        dead = self.dead
        by_node: dict[str, list[UserId]] = {}
        for user, devices in zip(wanted, found, strict=True):
            for node in set(devices.values()):
                if node not in dead:
                    by_node.setdefault(node, []).append(user)
        return by_node

    async def sweep(self, *, live: Collection[str], sweeper: str) -> list[str]:
        """Remove the entries of nodes not in ``live``; returns the nodes swept.

        Only the caller holding the sweep lock does the work; the others return [].
        """
        if not await self._kv.add(SWEEP_LOCK, sweeper, ttl=self._ttl):
            return []
        swept = []
        try:
            for node in await self._kv.hgetall(NODES_KEY):
                if node in live:
                    continue
                for entry in await self._kv.hgetall(_node_key(node)):
                    user, _, device = entry.partition("/")
                    await self.disconnected(UserId(user), DeviceId(device), node)
                await self._kv.delete(_node_key(node))
                await self._kv.hdel(NODES_KEY, node)
                swept.append(node)
        finally:
            await self._kv.delete(SWEEP_LOCK)
        return swept

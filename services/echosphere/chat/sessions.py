"""Is this device's session still open? Checked on every request and connect.

Access tokens are verified locally, but a logged-out device must be refused
at once, everywhere, and still after a restart. A revocation is written to
the Store (durable) and announced in the KV port (seen by every process at
once); a small in-process cache of devices known to be live spares the
Store a read per request. A process that did not see the KV announcement
refuses the device within the cache's lifetime at most.
"""

from __future__ import annotations

from cachetools import TTLCache

from echosphere.core.errors import Unauthorized
from echosphere.core.ids import DeviceId, UserId
from echosphere.core.ports import KV, Store

_LIVE_FOR = 30.0


def _revoked_key(device: DeviceId) -> str:
    return f"revoked:{device}"


class Sessions:
    def __init__(self, store: Store, kv: KV, *, access_ttl: int):
        self._store = store
        self._kv = kv
        self._access_ttl = access_ttl
        self._live: TTLCache[DeviceId, bool] = TTLCache(maxsize=100_000, ttl=_LIVE_FOR)

    async def check(self, user: UserId, device: DeviceId) -> None:
        """Raise ``Unauthorized("session_revoked")`` unless the device's session is open."""
        if await self._kv.get(_revoked_key(device)) is not None:
            self._live.pop(device, None)
            raise Unauthorized("session_revoked", "this device was logged out")
        if self._live.get(device):
            return
        stored = await self._store.get_device(device)
        if stored is None or stored.revoked or stored.user != user:
            raise Unauthorized("session_revoked", "this device was logged out")
        self._live[device] = True

    async def revoke(self, device: DeviceId) -> None:
        await self._store.revoke_device(device)
        await self._kv.set(_revoked_key(device), "1", ttl=self._access_ttl + 60)
        self._live.pop(device, None)

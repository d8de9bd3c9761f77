"""The sockets connected to this node, by user and device.

Writing to a socket never blocks delivery: each connection has a bounded
outbox drained by its own writer task. A connection whose outbox fills up
(a client that stopped reading) is closed; it will reconnect and sync.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from echosphere.chat import metrics
from echosphere.chat.delivery import Outgoing
from echosphere.core.ids import DeviceId, UserId

logger = logging.getLogger(__name__)


class Outlet(Protocol):
    """What the hub needs of a connection."""

    user: UserId
    device: DeviceId

    def push(self, item: Outgoing) -> bool:
        """Queue a frame; False if the outbox is full."""
        ...

    def overflow(self) -> None: ...

    def end(self, code: int, reason: str) -> None:
        """Close after what is queued."""
        ...


class Hub:
    def __init__(self) -> None:
        self._users: dict[UserId, dict[DeviceId, Outlet]] = {}

    def __len__(self) -> int:
        return sum(len(devices) for devices in self._users.values())

    def add(self, outlet: Outlet) -> Outlet | None:
        """Register a connection; returns one it replaces (same device), if any."""
        devices = self._users.setdefault(outlet.user, {})
        previous = devices.get(outlet.device)
        devices[outlet.device] = outlet
        return previous

    def remove(self, outlet: Outlet) -> bool:
        """Forget a connection; True if it was the device's current one."""
        devices = self._users.get(outlet.user, {})
        if devices.get(outlet.device) is not outlet:
            return False
        del devices[outlet.device]
        if not devices:
            del self._users[outlet.user]
        return True

    def current(self, user: UserId, device: DeviceId) -> Outlet | None:
        """The device's connection on this node, if any."""
        return self._users.get(user, {}).get(device)

    def outlets(self) -> list[Outlet]:
        return [o for devices in self._users.values() for o in devices.values()]

    def users(self) -> list[UserId]:
        return list(self._users)

    async def deliver(self, users: Sequence[UserId], skip: DeviceId | None, item: Outgoing) -> None:
        """Queue ``item`` on every socket of ``users`` here, in one pass without awaiting."""
        pushed = 0
        for user in set(users):
            devices = self._users.get(user)
            if not devices:
                continue
            for device, outlet in list(devices.items()):
                if device == skip:
                    continue
                if outlet.push(item):
                    pushed += 1
                else:
                    logger.warning("outbox full; closing slow connection", extra={"user": user})
                    outlet.overflow()
        metrics.SOCKET_DELIVERIES.inc(pushed)
        await asyncio.sleep(0)

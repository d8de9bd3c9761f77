"""Devices in SQLite: the ``DeviceStore`` part of the store.

Refresh rotation is one conditional ``UPDATE``: it changes the row only while
the presented hash is current and the device is live, so of two concurrent
refreshes with the same token exactly one wins.
"""

from __future__ import annotations

import sqlite3

from echosphere.backends.sqlite.connection import Database
from echosphere.core.ids import DeviceId, UserId
from echosphere.core.models import Device

_ROTATE = """
UPDATE devices SET refresh_hash = :new_hash, last_used_at = :now
WHERE id = :id AND revoked = 0 AND refresh_hash = :old_hash
"""


class SqliteDevices:
    """Implements ``DeviceStore``; mixed into ``SqliteStore``."""

    _db: Database

    async def create_device(self, device: Device) -> None:
        await self._db.write(
            "INSERT INTO devices (id, user, name, refresh_hash, created_at, last_used_at, revoked)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                device.id,
                device.user,
                device.name,
                device.refresh_hash,
                device.created_at,
                device.last_used_at,
                int(device.revoked),
            ),
        )

    async def get_device(self, device_id: DeviceId) -> Device | None:
        row = await self._db.one("SELECT * FROM devices WHERE id = ?", (device_id,))
        return None if row is None else device_from_row(row)

    async def list_devices(self, user_id: UserId) -> list[Device]:
        rows = await self._db.all(
            "SELECT * FROM devices WHERE user = ? ORDER BY created_at, id", (user_id,)
        )
        return [device_from_row(row) for row in rows]

    async def rotate_refresh(
        self, device_id: DeviceId, *, old_hash: str, new_hash: str, now: float
    ) -> bool:
        params = {"id": device_id, "old_hash": old_hash, "new_hash": new_hash, "now": now}
        return await self._db.write(_ROTATE, params) == 1

    async def revoke_device(self, device_id: DeviceId) -> None:
        await self._db.write("UPDATE devices SET revoked = 1 WHERE id = ?", (device_id,))


def device_from_row(row: sqlite3.Row) -> Device:
    return Device(
        id=DeviceId(row["id"]),
        user=UserId(row["user"]),
        name=row["name"],
        refresh_hash=row["refresh_hash"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked=bool(row["revoked"]),
    )

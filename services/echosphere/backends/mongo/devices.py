"""Devices in MongoDB: the ``DeviceStore`` part of the store.

Refresh rotation is one conditional ``update_one``: its filter matches only
while the presented hash is current and the device is live, and a single
document update is atomic, so of two concurrent refreshes exactly one wins.
"""

from __future__ import annotations

from echosphere.backends.mongo.connection import Collection, Database, Document
from echosphere.backends.mongo.indexes import DEVICES
from echosphere.core.ids import DeviceId, UserId
from echosphere.core.models import Device


class MongoDevices:
    """Implements ``DeviceStore``; mixed into ``MongoStore``."""

    _db: Database

    @property
    def _devices(self) -> Collection:
        return self._db[DEVICES]

    async def create_device(self, device: Device) -> None:
        await self._devices.insert_one(
            {
                "_id": device.id,
                "user": device.user,
                "name": device.name,
                "refresh_hash": device.refresh_hash,
                "created_at": device.created_at,
                "last_used_at": device.last_used_at,
                "revoked": device.revoked,
            }
        )

    async def get_device(self, device_id: DeviceId) -> Device | None:
        doc = await self._devices.find_one({"_id": device_id})
        return None if doc is None else device_from_doc(doc)

    async def list_devices(self, user_id: UserId) -> list[Device]:
        cursor = self._devices.find({"user": user_id}).sort([("created_at", 1), ("_id", 1)])
        return [device_from_doc(doc) for doc in await cursor.to_list(None)]

    async def rotate_refresh(
        self, device_id: DeviceId, *, old_hash: str, new_hash: str, now: float
    ) -> bool:
        result = await self._devices.update_one(
            {"_id": device_id, "revoked": False, "refresh_hash": old_hash},
            {"$set": {"refresh_hash": new_hash, "last_used_at": now}},
        )
        return result.matched_count == 1

    async def revoke_device(self, device_id: DeviceId) -> None:
        await self._devices.update_one({"_id": device_id}, {"$set": {"revoked": True}})


def device_from_doc(doc: Document) -> Device:
    return Device(
        id=DeviceId(doc["_id"]),
        user=UserId(doc["user"]),
        name=doc["name"],
        refresh_hash=doc["refresh_hash"],
        created_at=doc["created_at"],
        last_used_at=doc["last_used_at"],
        revoked=bool(doc["revoked"]),
    )

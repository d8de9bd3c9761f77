"""Media objects and their uses in MongoDB: the ``MediaStore`` part of the store.

An object document is keyed by the media key. A use is its own document
under a unique index over all its fields, so recording it twice is a no-op.
"""

from __future__ import annotations

from echosphere.backends.mongo.connection import Collection, Database, Document, insert_once
from echosphere.backends.mongo.indexes import MEDIA, MEDIA_USES
from echosphere.core.ids import UserId
from echosphere.core.media import MediaKind, MediaObject, MediaUse, UseScope


class MongoMedia:
    """Implements ``MediaStore``; mixed into ``MongoStore``."""

    _db: Database

    @property
    def _objects(self) -> Collection:
        return self._db[MEDIA]

    @property
    def _uses(self) -> Collection:
        return self._db[MEDIA_USES]

    async def create_media(self, media: MediaObject) -> None:
        await self._objects.insert_one(
            {
                "_id": media.key,
                "owner": media.owner,
                "kind": media.kind.value,
                "content_type": media.content_type,
                "size": media.size,
                "created_at": media.created_at,
                "uploaded": media.uploaded,
            }
        )

    async def get_media(self, key: str) -> MediaObject | None:
        doc = await self._objects.find_one({"_id": key})
        return None if doc is None else media_from_doc(doc)

    async def mark_uploaded(self, key: str, *, size: int) -> None:
        await self._objects.update_one({"_id": key}, {"$set": {"uploaded": True, "size": size}})

    async def add_media_use(self, use: MediaUse) -> None:
        key = {"key": use.key, "scope": use.scope.value, "ref": use.ref, "seq": use.seq}
        await insert_once(self._uses, key, {})

    async def media_uses(self, key: str) -> list[MediaUse]:
        cursor = self._uses.find({"key": key}).sort([("scope", 1), ("ref", 1), ("seq", 1)])
        return [
            MediaUse(key=doc["key"], scope=UseScope(doc["scope"]), ref=doc["ref"], seq=doc["seq"])
            for doc in await cursor.to_list(None)
        ]

    async def remove_media_uses(self, scope: UseScope, ref: str) -> None:
        await self._uses.delete_many({"scope": scope.value, "ref": ref})


def media_from_doc(doc: Document) -> MediaObject:
    return MediaObject(
        key=doc["_id"],
        owner=UserId(doc["owner"]),
        kind=MediaKind(doc["kind"]),
        content_type=doc["content_type"],
        size=int(doc["size"]),
        created_at=doc["created_at"],
        uploaded=bool(doc["uploaded"]),
    )

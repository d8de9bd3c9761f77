"""Drifting bottles in MongoDB: the ``BottleStore`` part of the store.

A bottle document carries its picks (``[{user, at}]``), so taking a bottle
is one ``find_one_and_update`` whose filter holds every condition (not the
fisher's own, not picked by them, not expired, answered or held) and whose
update both hands it over and records the pick: single-document atomicity
settles two fishers racing for one bottle.
"""

from __future__ import annotations

from pymongo import ReturnDocument

from echosphere.backends.mongo.connection import Collection, Database, Document
from echosphere.backends.mongo.indexes import BOTTLES
from echosphere.core.ids import UserId
from echosphere.core.social import Bottle


class MongoBottles:
    """Implements ``BottleStore``; mixed into ``MongoStore``."""

    _db: Database

    @property
    def _bottles(self) -> Collection:
        return self._db[BOTTLES]

    async def create_bottle(self, bottle: Bottle) -> None:
        await self._bottles.insert_one(
            {
                "_id": bottle.id,
                "owner": bottle.owner,
                "text": bottle.text,
                "media": bottle.media,
                "lat": bottle.lat,
                "lon": bottle.lon,
                "created_at": bottle.created_at,
                "expires_at": bottle.expires_at,
                "holder": None,
                "held_until": 0.0,
                "replied_by": None,
                "picks": [],
            }
        )

    async def get_bottle(self, bottle_id: str) -> Bottle | None:
        doc = await self._bottles.find_one({"_id": bottle_id})
        return None if doc is None else bottle_from_doc(doc)

    async def take_bottle(
        self, bottle_id: str, user: UserId, *, now: float, hold_until: float
    ) -> Bottle | None:
        doc = await self._bottles.find_one_and_update(
            {
                "_id": bottle_id,
                "owner": {"$ne": user},
                "expires_at": {"$gt": now},
                "replied_by": None,
                "$or": [{"holder": None}, {"held_until": {"$lte": now}}],
                "picks.user": {"$ne": user},
            },
            {
                "$set": {"holder": user, "held_until": hold_until},
                "$push": {"picks": {"user": user, "at": now}},
            },
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else bottle_from_doc(doc)

    async def release_bottle(self, bottle_id: str, user: UserId) -> bool:
        result = await self._bottles.update_one(
            {"_id": bottle_id, "holder": user, "replied_by": None},
            {"$set": {"holder": None, "held_until": 0.0}},
        )
        return result.modified_count > 0

    async def answer_bottle(self, bottle_id: str, user: UserId, *, now: float) -> bool:
        result = await self._bottles.update_one(
            {"_id": bottle_id, "holder": user, "replied_by": None, "expires_at": {"$gt": now}},
            {"$set": {"replied_by": user}},
        )
        return result.modified_count > 0

    async def has_picked(self, bottle_id: str, user: UserId) -> bool:
        found = await self._bottles.find_one({"_id": bottle_id, "picks.user": user}, {"_id": 1})
        return found is not None

    async def picked_bottles(self, user: UserId, *, since: float) -> list[str]:
        query = {"picks": {"$elemMatch": {"user": user, "at": {"$gte": since}}}}
        docs = await self._bottles.find(query, {"_id": 1, "picks": 1}).to_list(None)
        picked = [
            (pick["at"], doc["_id"])
            for doc in docs
            for pick in doc["picks"]
            if pick["user"] == user
        ]
        return [bottle_id for _, bottle_id in sorted(picked)]


def bottle_from_doc(doc: Document) -> Bottle:
    return Bottle(
        id=doc["_id"],
        owner=UserId(doc["owner"]),
        text=doc["text"],
        media=doc.get("media"),
        lat=doc["lat"],
        lon=doc["lon"],
        created_at=doc["created_at"],
        expires_at=doc["expires_at"],
        holder=doc.get("holder"),
        held_until=float(doc.get("held_until", 0.0)),
        replied_by=doc.get("replied_by"),
    )

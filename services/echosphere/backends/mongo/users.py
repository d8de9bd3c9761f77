"""Users in MongoDB: the ``UserStore`` part of the store.

A user document is keyed by the user id. Unique indexes on the phone and on
the (lowercased) handle settle races between two sign-ups or two renames;
after a duplicate-key error the store looks at what is there to tell a phone
already registered (return that user) from a handle taken (``Conflict``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from echosphere.backends.mongo.connection import Collection, Database, Document
from echosphere.backends.mongo.indexes import USERS
from echosphere.core.errors import Conflict, NotFound
from echosphere.core.ids import UserId
from echosphere.core.models import User

_FIXED_FIELDS = frozenset({"id", "phone", "created_at"})
_UPDATABLE = frozenset(f.name for f in fields(User)) - _FIXED_FIELDS
_STORED_FIELDS = tuple(f.name for f in fields(User) if f.name != "id")


class MongoUsers:
    """Implements ``UserStore``; mixed into ``MongoStore``."""

    _db: Database

    @property
    def _users(self) -> Collection:
        return self._db[USERS]

    async def create_user(self, user: User) -> User:
        doc = {
            "_id": user.id,
            **{name: _stored(name, getattr(user, name)) for name in _STORED_FIELDS},
        }
        try:
            await self._users.insert_one(doc)
        except DuplicateKeyError as exc:
            existing = await self._users.find_one({"phone": user.phone})
            if existing is not None:
                return user_from_doc(existing)
            if doc["handle"] is not None and await self._users.find_one({"handle": doc["handle"]}):
                raise Conflict("handle_taken", "that handle is taken") from exc
            raise
        return user_from_doc(doc)

    async def get_user(self, user_id: UserId) -> User | None:
        doc = await self._users.find_one({"_id": user_id})
        return None if doc is None else user_from_doc(doc)

    async def get_users(self, user_ids: Sequence[UserId]) -> dict[UserId, User]:
        if not user_ids:
            return {}
        docs = await self._users.find({"_id": {"$in": list(user_ids)}}).to_list(None)
        users = (user_from_doc(doc) for doc in docs)
        return {user.id: user for user in users}

    async def find_user_by_phone(self, phone: str) -> User | None:
        doc = await self._users.find_one({"phone": phone})
        return None if doc is None else user_from_doc(doc)

    async def find_user_by_handle(self, handle: str) -> User | None:
        doc = await self._users.find_one({"handle": handle.lower()})
        return None if doc is None else user_from_doc(doc)

    async def update_user(self, user_id: UserId, changes: Mapping[str, Any]) -> User:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"users have no updatable fields {sorted(unknown)}")

        if not changes:
            doc = await self._users.find_one({"_id": user_id})
        else:
            values = {name: _stored(name, value) for name, value in changes.items()}
            try:
                doc = await self._users.find_one_and_update(
                    {"_id": user_id},
                    {"$set": values},
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError as exc:
                # The phone and the id cannot change, so only the handle can clash.
                raise Conflict("handle_taken", "that handle is taken") from exc
        if doc is None:
            raise NotFound("user_not_found", "no such user")
        return user_from_doc(doc)


def user_from_doc(doc: Document) -> User:
    return User(
        id=UserId(doc["_id"]),
        phone=doc["phone"],
        created_at=doc["created_at"],
        handle=doc.get("handle"),
        nickname=doc.get("nickname", ""),
        avatar=doc.get("avatar"),
        bio=doc.get("bio", ""),
        gender=doc.get("gender", "unspecified"),
        region=doc.get("region", ""),
        discoverable_by_phone=bool(doc.get("discoverable_by_phone", True)),
        handle_changed_at=doc.get("handle_changed_at"),
        feed_cover=doc.get("feed_cover"),
        chat_background=doc.get("chat_background"),
    )


def _stored(name: str, value: Any) -> Any:
    """A User field value as stored: handles lowercase, flags as booleans."""
    if name == "handle" and isinstance(value, str):
        return value.lower()
    if name == "discoverable_by_phone":
        return bool(value)
    return value

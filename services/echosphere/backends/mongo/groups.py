"""Groups and their members in MongoDB: the ``GroupStore`` part of the store.

Without a transaction, a new group's members are written before the group
document, so anyone who can see the group also finds its owner; a group
document only becomes visible complete. Listings put the owner first, then
admins, then members, each by the time they joined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import ReturnDocument

from echosphere.backends.mongo.connection import Collection, Database, Document, insert_once
from echosphere.backends.mongo.indexes import GROUP_MEMBERS, GROUPS
from echosphere.core.errors import NotFound
from echosphere.core.ids import GroupId, UserId
from echosphere.core.models import Group, Member, Role

_UPDATABLE = frozenset({"name", "announcement", "muted", "owner"})
_ROLE_RANK = {Role.OWNER: 0, Role.ADMIN: 1, Role.MEMBER: 2}


class MongoGroups:
    """Implements ``GroupStore``; mixed into ``MongoStore``."""

    _db: Database

    @property
    def _groups(self) -> Collection:
        return self._db[GROUPS]

    @property
    def _members(self) -> Collection:
        return self._db[GROUP_MEMBERS]

    async def create_group(self, group: Group, members: Sequence[UserId], *, now: float) -> None:
        await self._add(group.id, group.owner, role=Role.OWNER, now=now)
        for user in dict.fromkeys(members):
            if user != group.owner:
                await self._add(group.id, user, role=Role.MEMBER, now=now)
        await self._groups.insert_one(
            {
                "_id": group.id,
                "name": group.name,
                "owner": group.owner,
                "announcement": group.announcement,
                "muted": group.muted,
                "created_at": group.created_at,
            }
        )

    async def get_group(self, group_id: GroupId) -> Group | None:
        doc = await self._groups.find_one({"_id": group_id})
        return None if doc is None else group_from_doc(doc)

    async def update_group(self, group_id: GroupId, changes: Mapping[str, Any]) -> Group:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"groups have no updatable fields {sorted(unknown)}")
        values = {name: bool(v) if name == "muted" else v for name, v in changes.items()}

        if not values:
            doc = await self._groups.find_one({"_id": group_id})
        else:
            doc = await self._groups.find_one_and_update(
                {"_id": group_id}, {"$set": values}, return_document=ReturnDocument.AFTER
            )
        if doc is None:
            raise NotFound("group_not_found", "no such group")
        return group_from_doc(doc)

    async def list_groups(self, user_id: UserId) -> list[Group]:
        memberships = await self._members.find({"user": user_id}).to_list(None)
        ids = [doc["group"] for doc in memberships]
        if not ids:
            return []
        cursor = self._groups.find({"_id": {"$in": ids}}).sort([("created_at", 1), ("_id", 1)])
        return [group_from_doc(doc) for doc in await cursor.to_list(None)]

    async def list_members(self, group_id: GroupId) -> list[Member]:
        docs = await self._members.find({"group": group_id}).to_list(None)
        members = [member_from_doc(doc) for doc in docs]
        members.sort(key=lambda m: (_ROLE_RANK[m.role], m.joined_at, m.user))
        return members

    async def get_member(self, group_id: GroupId, user_id: UserId) -> Member | None:
        doc = await self._members.find_one({"group": group_id, "user": user_id})
        return None if doc is None else member_from_doc(doc)

    async def count_members(self, group_id: GroupId) -> int:
        return await self._members.count_documents({"group": group_id})

    async def add_members(
        self, group_id: GroupId, users: Sequence[UserId], *, now: float
    ) -> list[UserId]:
        if await self._groups.find_one({"_id": group_id}, {"_id": 1}) is None:
            raise NotFound("group_not_found", "no such group")
        added: list[UserId] = []
        for user in dict.fromkeys(users):
            if await self._add(group_id, user, role=Role.MEMBER, now=now):
                added.append(user)
        return added

    async def remove_member(self, group_id: GroupId, user_id: UserId) -> bool:
        result = await self._members.delete_one({"group": group_id, "user": user_id})
        return result.deleted_count > 0

    async def set_role(self, group_id: GroupId, user_id: UserId, role: Role) -> None:
        await self._members.update_one(
            {"group": group_id, "user": user_id}, {"$set": {"role": role.value}}
        )

    async def _add(self, group_id: GroupId, user: UserId, *, role: Role, now: float) -> bool:
        """Make ``user`` a member unless they are one; True if this call added them."""
        return await insert_once(
            self._members,
            {"group": group_id, "user": user},
            {"role": role.value, "joined_at": now},
        )


def group_from_doc(doc: Document) -> Group:
    return Group(
        id=GroupId(doc["_id"]),
        name=doc["name"],
        owner=UserId(doc["owner"]),
        created_at=doc["created_at"],
        announcement=doc.get("announcement", ""),
        muted=bool(doc.get("muted", False)),
    )


def member_from_doc(doc: Document) -> Member:
    return Member(
        group=GroupId(doc["group"]),
        user=UserId(doc["user"]),
        role=Role(doc["role"]),
        joined_at=doc["joined_at"],
    )

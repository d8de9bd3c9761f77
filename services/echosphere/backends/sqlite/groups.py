"""Groups and their members in SQLite: the ``GroupStore`` part of the store.

A group and its first members are written in one transaction, so a group is
never seen without its owner. Membership rows carry the role as its string
value; listings put the owner first, then admins, then members, each by the
time they joined.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from echosphere.backends.sqlite.connection import Database, Session
from echosphere.core.errors import NotFound
from echosphere.core.ids import GroupId, UserId
from echosphere.core.models import Group, Member, Role

_UPDATABLE = frozenset({"name", "announcement", "muted", "owner"})

_ADD_MEMBER = """
INSERT INTO group_members (group_id, user, role, joined_at) VALUES (?, ?, ?, ?)
ON CONFLICT (group_id, user) DO NOTHING
"""

_LIST_MEMBERS = """
SELECT * FROM group_members WHERE group_id = ?
ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, joined_at, user
"""


class SqliteGroups:
    """Implements ``GroupStore``; mixed into ``SqliteStore``."""

    _db: Database

    async def create_group(self, group: Group, members: Sequence[UserId], *, now: float) -> None:
        async with self._db.transaction() as s:
            await s.run(
                "INSERT INTO chat_groups (id, name, owner, announcement, muted, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    group.id,
                    group.name,
                    group.owner,
                    group.announcement,
                    int(group.muted),
                    group.created_at,
                ),
            )
            await s.run(_ADD_MEMBER, (group.id, group.owner, Role.OWNER.value, now))
            others = [user for user in members if user != group.owner]
            await _add(s, group.id, others, now=now)

    async def get_group(self, group_id: GroupId) -> Group | None:
        row = await self._db.one("SELECT * FROM chat_groups WHERE id = ?", (group_id,))
        return None if row is None else group_from_row(row)

    async def update_group(self, group_id: GroupId, changes: Mapping[str, Any]) -> Group:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"groups have no updatable fields {sorted(unknown)}")
        values = {name: int(v) if name == "muted" else v for name, v in changes.items()}

        async with self._db.transaction() as s:
            if values:
                # Column names come from _UPDATABLE, never from the caller.
                assignments = ", ".join(f"{name} = :{name}" for name in values)
                sql = f"UPDATE chat_groups SET {assignments} WHERE id = :group_id"  # noqa: S608
                await s.run(sql, {**values, "group_id": group_id})
            row = await s.one("SELECT * FROM chat_groups WHERE id = ?", (group_id,))
        if row is None:
            raise NotFound("group_not_found", "no such group")
        return group_from_row(row)

    async def list_groups(self, user_id: UserId) -> list[Group]:
        rows = await self._db.all(
            "SELECT g.* FROM chat_groups g JOIN group_members m ON m.group_id = g.id"
            " WHERE m.user = ? ORDER BY g.created_at, g.id",
            (user_id,),
        )
        return [group_from_row(row) for row in rows]

    async def list_members(self, group_id: GroupId) -> list[Member]:
        rows = await self._db.all(_LIST_MEMBERS, (group_id,))
        return [member_from_row(row) for row in rows]

    async def get_member(self, group_id: GroupId, user_id: UserId) -> Member | None:
        row = await self._db.one(
            "SELECT * FROM group_members WHERE group_id = ? AND user = ?", (group_id, user_id)
        )
        return None if row is None else member_from_row(row)

    async def count_members(self, group_id: GroupId) -> int:
        count = await self._db.scalar(
            "SELECT COUNT(*) FROM group_members WHERE group_id = ?", (group_id,)
        )
        return int(count)

    async def add_members(
        self, group_id: GroupId, users: Sequence[UserId], *, now: float
    ) -> list[UserId]:
        async with self._db.transaction() as s:
            if await s.scalar("SELECT 1 FROM chat_groups WHERE id = ?", (group_id,)) is None:
                raise NotFound("group_not_found", "no such group")
            return await _add(s, group_id, users, now=now)

    async def remove_member(self, group_id: GroupId, user_id: UserId) -> bool:
        removed = await self._db.write(
            "DELETE FROM group_members WHERE group_id = ? AND user = ?", (group_id, user_id)
        )
        return removed > 0

    async def set_role(self, group_id: GroupId, user_id: UserId, role: Role) -> None:
        await self._db.write(
            "UPDATE group_members SET role = ? WHERE group_id = ? AND user = ?",
            (role.value, group_id, user_id),
        )


async def _add(
    session: Session, group_id: GroupId, users: Sequence[UserId], *, now: float
) -> list[UserId]:
    """Insert plain members one by one, keeping those that were not there yet."""
    added: list[UserId] = []
    for user in dict.fromkeys(users):
        if await session.run(_ADD_MEMBER, (group_id, user, Role.MEMBER.value, now)):
            added.append(user)
    return added


def group_from_row(row: sqlite3.Row) -> Group:
    return Group(
        id=GroupId(row["id"]),
        name=row["name"],
        owner=UserId(row["owner"]),
        created_at=row["created_at"],
        announcement=row["announcement"],
        muted=bool(row["muted"]),
    )


def member_from_row(row: sqlite3.Row) -> Member:
    return Member(
        group=GroupId(row["group_id"]),
        user=UserId(row["user"]),
        role=Role(row["role"]),
        joined_at=row["joined_at"],
    )

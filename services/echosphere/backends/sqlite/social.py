"""Friend requests, friendships and blocks in SQLite: the ``SocialStore`` part.

A friendship is two rows, one per side, because each side keeps its own
remark; both rows are written and removed in one transaction. Adding what
already exists changes nothing, so a friendship keeps its first ``since``.
"""

from __future__ import annotations

import sqlite3

from echosphere.backends.sqlite.connection import Database
from echosphere.core.ids import UserId
from echosphere.core.models import Friend, FriendRequest, RequestStatus

_ADD_FRIEND_ROW = """
INSERT INTO friendships (owner, friend, remark, since) VALUES (?, ?, '', ?)
ON CONFLICT (owner, friend) DO NOTHING
"""


class SqliteSocial:
    """Implements ``SocialStore``; mixed into ``SqliteStore``."""

    _db: Database

    # Friend requests.

    async def create_friend_request(self, request: FriendRequest) -> None:
        await self._db.write(
            "INSERT INTO friend_requests (id, sender, recipient, message, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                request.id,
                request.sender,
                request.recipient,
                request.message,
                request.status.value,
                request.created_at,
            ),
        )

    async def get_friend_request(self, request_id: str) -> FriendRequest | None:
        row = await self._db.one("SELECT * FROM friend_requests WHERE id = ?", (request_id,))
        return None if row is None else request_from_row(row)

    async def find_pending_request(self, sender: UserId, recipient: UserId) -> FriendRequest | None:
        row = await self._db.one(
            "SELECT * FROM friend_requests WHERE sender = ? AND recipient = ? AND status = ?"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (sender, recipient, RequestStatus.PENDING.value),
        )
        return None if row is None else request_from_row(row)

    async def list_friend_requests(self, user_id: UserId, *, incoming: bool) -> list[FriendRequest]:
        sql = (
            "SELECT * FROM friend_requests WHERE recipient = ? ORDER BY created_at DESC, id DESC"
            if incoming
            else "SELECT * FROM friend_requests WHERE sender = ? ORDER BY created_at DESC, id DESC"
        )
        return [request_from_row(row) for row in await self._db.all(sql, (user_id,))]

    async def set_request_status(self, request_id: str, status: RequestStatus) -> None:
        await self._db.write(
            "UPDATE friend_requests SET status = ? WHERE id = ?", (status.value, request_id)
        )

    # Friendships.

    async def add_friendship(self, a: UserId, b: UserId, *, now: float) -> None:
        async with self._db.transaction() as s:
            await s.run_many(_ADD_FRIEND_ROW, [(a, b, now), (b, a, now)])

    async def remove_friendship(self, a: UserId, b: UserId) -> None:
        await self._db.write(
            "DELETE FROM friendships"
            " WHERE (owner = ? AND friend = ?) OR (owner = ? AND friend = ?)",
            (a, b, b, a),
        )

    async def get_friend(self, owner: UserId, friend: UserId) -> Friend | None:
        row = await self._db.one(
            "SELECT * FROM friendships WHERE owner = ? AND friend = ?", (owner, friend)
        )
        return None if row is None else friend_from_row(row)

    async def list_friends(self, owner: UserId) -> list[Friend]:
        rows = await self._db.all(
            "SELECT * FROM friendships WHERE owner = ? ORDER BY since, friend", (owner,)
        )
        return [friend_from_row(row) for row in rows]

    async def set_remark(self, owner: UserId, friend: UserId, remark: str) -> None:
        await self._db.write(
            "UPDATE friendships SET remark = ? WHERE owner = ? AND friend = ?",
            (remark, owner, friend),
        )

    # Blocks.

    async def add_block(self, owner: UserId, target: UserId, *, now: float) -> None:
        await self._db.write(
            "INSERT INTO blocks (owner, target, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (owner, target) DO NOTHING",
            (owner, target, now),
        )

    async def remove_block(self, owner: UserId, target: UserId) -> None:
        await self._db.write("DELETE FROM blocks WHERE owner = ? AND target = ?", (owner, target))

    async def is_blocked(self, owner: UserId, target: UserId) -> bool:
        found = await self._db.scalar(
            "SELECT 1 FROM blocks WHERE owner = ? AND target = ?", (owner, target)
        )
        return found is not None

    async def list_blocks(self, owner: UserId) -> list[UserId]:
        rows = await self._db.all(
            "SELECT target FROM blocks WHERE owner = ? ORDER BY created_at, target", (owner,)
        )
        return [UserId(row["target"]) for row in rows]


def request_from_row(row: sqlite3.Row) -> FriendRequest:
    return FriendRequest(
        id=row["id"],
        sender=UserId(row["sender"]),
        recipient=UserId(row["recipient"]),
        message=row["message"],
        status=RequestStatus(row["status"]),
        created_at=row["created_at"],
    )


def friend_from_row(row: sqlite3.Row) -> Friend:
    return Friend(
        owner=UserId(row["owner"]),
        friend=UserId(row["friend"]),
        remark=row["remark"],
        since=row["since"],
    )

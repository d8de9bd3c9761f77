"""Who takes part in a conversation, and how far each has read, in SQLite.

A ``conv_members`` row holds ``joined_seq`` (the conversation's last seq when
the user joined: history up to it stays hidden) and ``read_seq``. Read marks
only rise and never pass the conversation's last seq; both bounds are applied
in a single ``UPDATE``, so concurrent marks cannot lower each other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from echosphere.backends.sqlite.connection import Database
from echosphere.backends.sqlite.messages import message_from_row
from echosphere.core.ids import ConvId, UserId
from echosphere.core.models import ConversationState

_JOIN = """
INSERT INTO conv_members (conv, user, joined_seq, read_seq)
SELECT conv, ?, last_seq, 0 FROM conversations WHERE conv = ?
ON CONFLICT (conv, user) DO NOTHING
"""

_MARK_READ = """
UPDATE conv_members
SET read_seq = MAX(read_seq, MIN(:seq, (
    SELECT last_seq FROM conversations c WHERE c.conv = conv_members.conv
)))
WHERE conv = :conv AND user = :user
RETURNING read_seq
"""

# One row per conversation of the user: its counters, the unread count and
# the last message the user may see (message columns are NULL when none).
_STATES = """
SELECT
    cm.conv AS state_conv,
    c.last_seq AS state_last_seq,
    cm.read_seq AS state_read_seq,
    cm.joined_seq AS state_joined_seq,
    (
        SELECT COUNT(*) FROM messages u
        WHERE u.conv = cm.conv AND u.seq > MAX(cm.read_seq, cm.joined_seq)
            AND u.sender != :user AND u.recalled = 0
    ) AS state_unread,
    m.conv, m.seq, m.id, m.sender, m.cid, m.kind, m.body, m.ts, m.recalled
FROM conv_members cm
JOIN conversations c ON c.conv = cm.conv
LEFT JOIN messages m ON m.conv = cm.conv AND m.seq = (
    SELECT MAX(v.seq) FROM messages v WHERE v.conv = cm.conv AND v.seq > cm.joined_seq
)
WHERE cm.user = :user
ORDER BY m.ts IS NULL, m.ts DESC, cm.conv
"""


class SqliteConversations:
    """The membership half of ``MessageStore``; mixed into ``SqliteStore``."""

    _db: Database

    async def join_conversation(self, conv: ConvId, users: Sequence[UserId]) -> None:
        if not users:
            return
        async with self._db.transaction() as s:
            await s.run(
                "INSERT INTO conversations (conv) VALUES (?) ON CONFLICT (conv) DO NOTHING",
                (conv,),
            )
            await s.run_many(_JOIN, [(user, conv) for user in users])

    async def leave_conversation(self, conv: ConvId, user_id: UserId) -> None:
        await self._db.write(
            "DELETE FROM conv_members WHERE conv = ? AND user = ?", (conv, user_id)
        )

    async def is_party(self, conv: ConvId, user_id: UserId) -> bool:
        found = await self._db.scalar(
            "SELECT 1 FROM conv_members WHERE conv = ? AND user = ?", (conv, user_id)
        )
        return found is not None

    async def conversations_of(self, user_id: UserId) -> dict[ConvId, int]:
        rows = await self._db.all(
            "SELECT conv, joined_seq FROM conv_members WHERE user = ? ORDER BY conv", (user_id,)
        )
        return {ConvId(row["conv"]): row["joined_seq"] for row in rows}

    async def conversation_states(self, user_id: UserId) -> list[ConversationState]:
        rows = await self._db.all(_STATES, {"user": user_id})
        return [state_from_row(row) for row in rows]

    async def mark_read(self, conv: ConvId, user_id: UserId, seq: int) -> int:
        async with self._db.transaction() as s:
            read = await s.scalar(_MARK_READ, {"seq": seq, "conv": conv, "user": user_id})
        return 0 if read is None else int(read)

    async def readers(self, conv: ConvId, seq: int) -> list[UserId]:
        rows = await self._db.all(
            "SELECT user FROM conv_members WHERE conv = ? AND read_seq >= ? ORDER BY user",
            (conv, seq),
        )
        return [UserId(row["user"]) for row in rows]


def state_from_row(row: sqlite3.Row) -> ConversationState:
    return ConversationState(
        conv=ConvId(row["state_conv"]),
        last_seq=row["state_last_seq"],
        read_seq=row["state_read_seq"],
        joined_seq=row["state_joined_seq"],
        unread=row["state_unread"],
        last_message=None if row["seq"] is None else message_from_row(row),
    )

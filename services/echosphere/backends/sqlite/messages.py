"""Messages in SQLite: appending with sequence numbers, paging, recall.

The key decision: a conversation's seq is allocated inside the same
``BEGIN IMMEDIATE`` transaction that stores the message, from a counter row in
``conversations``. The write lock is held from the idempotency check to the
commit, so seqs grow by exactly one per stored message even when several
processes append to one conversation, and a retried ``cid`` never gets a
second seq. Unique indexes on (conv, seq) and (sender, cid) back this up.
"""

from __future__ import annotations

import json
import logging
import sqlite3

from echosphere.backends.sqlite.connection import Database, Session
from echosphere.core.ids import ConvId, MessageId, UserId
from echosphere.core.models import Message, MessageDraft, MessageKind

logger = logging.getLogger(__name__)

MESSAGE_COLUMNS = "conv, seq, id, sender, cid, kind, body, ts, recalled"

_NEXT_SEQ = """
INSERT INTO conversations (conv, last_seq) VALUES (?, 1)
ON CONFLICT (conv) DO UPDATE SET last_seq = last_seq + 1
RETURNING last_seq
"""

_INSERT = f"""
INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)
"""  # noqa: S608 - a constant column list

_ENROL = """
INSERT INTO conv_members (conv, user, joined_seq, read_seq) VALUES (?, ?, 0, 0)
ON CONFLICT (conv, user) DO NOTHING
"""

_BY_CID = f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE sender = ? AND cid = ?"  # noqa: S608

_AFTER = f"""
SELECT {MESSAGE_COLUMNS} FROM messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?
"""  # noqa: S608

_BEFORE = f"""
SELECT {MESSAGE_COLUMNS} FROM messages WHERE conv = ? AND seq < ? ORDER BY seq DESC LIMIT ?
"""  # noqa: S608

_GET = f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conv = ? AND seq = ?"  # noqa: S608

_RECALL = f"""
UPDATE messages SET recalled = 1, body = '{{}}' WHERE conv = ? AND seq = ?
RETURNING {MESSAGE_COLUMNS}
"""  # noqa: S608


class SqliteMessages:
    """The message half of ``MessageStore``; mixed into ``SqliteStore``."""

    _db: Database

    async def append_message(self, draft: MessageDraft) -> tuple[Message, bool]:
        async with self._db.transaction() as s:
            existing = await s.one(_BY_CID, (draft.sender, draft.cid))
            if existing is not None:
                logger.debug("cid already stored", extra={"conv": draft.conv, "cid": draft.cid})
                return message_from_row(existing), False
            message = await _store(s, draft)
            if draft.members:
                await s.run_many(_ENROL, [(draft.conv, user) for user in draft.members])
        return message, True

    async def messages_after(self, conv: ConvId, after: int, limit: int) -> list[Message]:
        rows = await self._db.all(_AFTER, (conv, after, limit))
        return [message_from_row(row) for row in rows]

    async def messages_before(self, conv: ConvId, before: int, limit: int) -> list[Message]:
        rows = await self._db.all(_BEFORE, (conv, before, limit))
        return [message_from_row(row) for row in reversed(rows)]

    async def get_message(self, conv: ConvId, seq: int) -> Message | None:
        row = await self._db.one(_GET, (conv, seq))
        return None if row is None else message_from_row(row)

    async def recall_message(self, conv: ConvId, seq: int) -> Message | None:
        async with self._db.transaction() as s:
            row = await s.one(_RECALL, (conv, seq))
        return None if row is None else message_from_row(row)

    async def last_seq(self, conv: ConvId) -> int:
        seq = await self._db.scalar("SELECT last_seq FROM conversations WHERE conv = ?", (conv,))
        return 0 if seq is None else int(seq)


async def _store(session: Session, draft: MessageDraft) -> Message:
    """Take the conversation's next seq and insert the message under it."""
    seq = int(await session.scalar(_NEXT_SEQ, (draft.conv,)))
    body = json.dumps(draft.body, separators=(",", ":"))
    await session.run(
        _INSERT,
        (draft.conv, seq, draft.id, draft.sender, draft.cid, draft.kind.value, body, draft.ts),
    )
    return Message(
        conv=draft.conv,
        seq=seq,
        id=draft.id,
        sender=draft.sender,
        cid=draft.cid,
        kind=draft.kind,
        body=json.loads(body),
        ts=draft.ts,
    )


def message_from_row(row: sqlite3.Row) -> Message:
    return Message(
        conv=ConvId(row["conv"]),
        seq=row["seq"],
        id=MessageId(row["id"]),
        sender=UserId(row["sender"]),
        cid=row["cid"],
        kind=MessageKind(row["kind"]),
        body=json.loads(row["body"]),
        ts=row["ts"],
        recalled=bool(row["recalled"]),
    )

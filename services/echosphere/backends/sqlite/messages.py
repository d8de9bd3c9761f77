"""Messages in SQLite: appending with sequence numbers, paging, recall.

The key decision: a conversation's seq is allocated inside the same
``BEGIN IMMEDIATE`` transaction that stores the message, from a counter row in
``conversations``. The write lock is held from the idempotency check to the
commit, so seqs grow by exactly one per stored message even when several
processes append to one conversation, and a retried ``cid`` never gets a
second seq. Unique indexes on (conv, seq) and (sender, cid) back this up.

Appends are committed in groups: those that arrive while one transaction
is being written wait and go together into the next one, each inside its
own savepoint (a failing one is undone alone), all in one hop to the
database thread. Every caller learns its outcome only after the COMMIT, so
an ack still means durable; a busy database fails the whole group.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import logging
import sqlite3

from echosphere.backends.sqlite.connection import Database
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

    @functools.cached_property
    def _appends(self) -> GroupCommit:
        return GroupCommit(self._db)

    async def append_message(self, draft: MessageDraft) -> tuple[Message, bool]:
        return await self._appends.append(draft)

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


Outcome = tuple[Message, bool] | sqlite3.IntegrityError


class GroupCommit:
    """Appends gathered while a transaction runs, written together in the next one."""

    def __init__(self, db: Database, *, most: int = 256):
        self._db = db
        self._most = most
        self._waiting: list[tuple[MessageDraft, asyncio.Future[tuple[Message, bool]]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, draft: MessageDraft) -> tuple[Message, bool]:
        future: asyncio.Future[tuple[Message, bool]] = asyncio.get_running_loop().create_future()
        self._waiting.append((draft, future))
        if self._writer is None or self._writer.done():
            # A fresh context: the writer serves everyone, not the first caller's request.
            self._writer = asyncio.create_task(
                self._write(), name="sqlite-group-commit", context=contextvars.Context()
            )
        return await future

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
            drafts = [draft for draft, _ in batch]
            try:
                outcomes = await self._db.call(functools.partial(_append_all, drafts=drafts))
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            except Exception as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue  # its caller gave up; a retry with the same cid finds it stored
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)


def _append_all(conn: sqlite3.Connection, *, drafts: list[MessageDraft]) -> list[Outcome]:
    """On the database thread: one transaction, a savepoint per draft."""
    outcomes: list[Outcome] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for draft in drafts:
            conn.execute("SAVEPOINT draft")
            try:
                outcomes.append(_append_one(conn, draft))
            except sqlite3.IntegrityError as error:
                conn.execute("ROLLBACK TO draft")
                outcomes.append(error)
            conn.execute("RELEASE draft")
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return outcomes


def _append_one(conn: sqlite3.Connection, draft: MessageDraft) -> tuple[Message, bool]:
    existing = conn.execute(_BY_CID, (draft.sender, draft.cid)).fetchone()
    if existing is not None:
        logger.debug("cid already stored", extra={"conv": draft.conv, "cid": draft.cid})
        return message_from_row(existing), False
    message = _store(conn, draft)
    if draft.members:
        conn.executemany(_ENROL, [(draft.conv, user) for user in draft.members])
    return message, True


def _store(conn: sqlite3.Connection, draft: MessageDraft) -> Message:
    """Take the conversation's next seq and insert the message under it."""
    seq = int(conn.execute(_NEXT_SEQ, (draft.conv,)).fetchone()[0])
    body = json.dumps(draft.body, separators=(",", ":"))
    conn.execute(
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

"""Messages in MongoDB: appending with sequence numbers, paging, recall.

The key decision: a conversation's seq comes from a counter document in
``conversations``, raised by one atomic ``$inc`` upsert, and the message is
inserted afterwards under that seq. Many processes can append at once and
no seq is ever given twice. The two writes are not one transaction, so a seq
can be allocated and never written: the process died in between, or two
concurrent retries of one ``cid`` both took a seq and the unique index on
(sender, cid) refused the second message. Such a seq stays a hole; readers
answer with the messages that exist, which the delivery contract allows in
cluster mode. A retry that comes after the first send finished is found by
the (sender, cid) lookup and takes no seq at all.

Bodies are stored as JSON text, as in SQLite: client-made keys may start
with ``$`` or contain dots, which document fields do not take well.
"""

from __future__ import annotations

import json
import logging

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from echosphere.backends.mongo.connection import Collection, Database, Document, insert_once
from echosphere.backends.mongo.indexes import CONV_MEMBERS, CONVERSATIONS, MESSAGES
from echosphere.core.ids import ConvId, MessageId, UserId
from echosphere.core.models import Message, MessageDraft, MessageKind

logger = logging.getLogger(__name__)

_TOMBSTONE = "{}"


class MongoMessages:
    """The message half of ``MessageStore``; mixed into ``MongoStore``."""

    _db: Database

    @property
    def _messages(self) -> Collection:
        return self._db[MESSAGES]

    async def append_message(self, draft: MessageDraft) -> tuple[Message, bool]:
        existing = await self._by_cid(draft.sender, draft.cid)
        if existing is not None:
            logger.debug("cid already stored", extra={"conv": draft.conv, "cid": draft.cid})
            return existing, False

        # Parties first: once the message is visible, those it was sent to are enrolled.
        for user in dict.fromkeys(draft.members):
            await insert_once(
                self._db[CONV_MEMBERS],
                {"conv": draft.conv, "user": user},
                {"joined_seq": 0, "read_seq": 0},
            )

        seq = await self._next_seq(draft.conv)
        doc = _doc_from_draft(draft, seq)
        try:
            await self._messages.insert_one(doc)
        except DuplicateKeyError:
            existing = await self._by_cid(draft.sender, draft.cid)
            if existing is None:
                raise
            logger.info(
                "concurrent retry of a cid left seq %d unused",
                seq,
                extra={"conv": draft.conv, "cid": draft.cid},
            )
            return existing, False
        return message_from_doc(doc), True

    async def messages_after(self, conv: ConvId, after: int, limit: int) -> list[Message]:
        if limit <= 0:
            return []
        cursor = self._messages.find({"conv": conv, "seq": {"$gt": after}})
        docs = await cursor.sort("seq", 1).limit(limit).to_list(None)
        return [message_from_doc(doc) for doc in docs]

    async def messages_before(self, conv: ConvId, before: int, limit: int) -> list[Message]:
        if limit <= 0:
            return []
        cursor = self._messages.find({"conv": conv, "seq": {"$lt": before}})
        docs = await cursor.sort("seq", -1).limit(limit).to_list(None)
        return [message_from_doc(doc) for doc in reversed(docs)]

    async def get_message(self, conv: ConvId, seq: int) -> Message | None:
        doc = await self._messages.find_one({"conv": conv, "seq": seq})
        return None if doc is None else message_from_doc(doc)

    async def recall_message(self, conv: ConvId, seq: int) -> Message | None:
        doc = await self._messages.find_one_and_update(
            {"conv": conv, "seq": seq},
            {"$set": {"recalled": True, "body": _TOMBSTONE}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else message_from_doc(doc)

    async def last_seq(self, conv: ConvId) -> int:
        return await counter_of(self._db, conv)

    async def _next_seq(self, conv: ConvId) -> int:
        counter = await self._db[CONVERSATIONS].find_one_and_update(
            {"_id": conv},
            {"$inc": {"last_seq": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert counter is not None, "an upsert returning the new document returns one"
        return int(counter["last_seq"])

    async def _by_cid(self, sender: UserId, cid: str) -> Message | None:
        doc = await self._messages.find_one({"sender": sender, "cid": cid})
        return None if doc is None else message_from_doc(doc)


async def counter_of(db: Database, conv: ConvId) -> int:
    """The last seq allocated in ``conv``: 0 before its first message."""
    doc = await db[CONVERSATIONS].find_one({"_id": conv})
    return 0 if doc is None else int(doc["last_seq"])


def _doc_from_draft(draft: MessageDraft, seq: int) -> Document:
    return {
        "conv": draft.conv,
        "seq": seq,
        "id": draft.id,
        "sender": draft.sender,
        "cid": draft.cid,
        "kind": draft.kind.value,
        "body": json.dumps(draft.body, separators=(",", ":")),
        "ts": draft.ts,
        "recalled": False,
    }


def message_from_doc(doc: Document) -> Message:
    return Message(
        conv=ConvId(doc["conv"]),
        seq=doc["seq"],
        id=MessageId(doc["id"]),
        sender=UserId(doc["sender"]),
        cid=doc["cid"],
        kind=MessageKind(doc["kind"]),
        body=json.loads(doc["body"]),
        ts=doc["ts"],
        recalled=bool(doc["recalled"]),
    )

"""Who takes part in a conversation, and how far each has read, in MongoDB.

A ``conv_members`` document holds ``joined_seq`` (the conversation's last seq
when the user joined: history up to it stays hidden) and ``read_seq``. Read
marks rise with ``$max``, which is atomic, so concurrent marks cannot lower
each other; the cap at the conversation's last seq is read just before.

Joining reads the counter and then enrols; a message appended between the
two is shown to the new member, which is as right as hiding it would be.
A user's conversation list costs two small queries per conversation, run
concurrently: counting unread messages and fetching the last visible one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pymongo import ReturnDocument

from echosphere.backends.mongo.connection import Collection, Database, Document, insert_once
from echosphere.backends.mongo.indexes import CONV_MEMBERS, CONVERSATIONS, MESSAGES
from echosphere.backends.mongo.messages import counter_of, message_from_doc
from echosphere.core.ids import ConvId, UserId
from echosphere.core.models import ConversationState


class MongoConversations:
    """The membership half of ``MessageStore``; mixed into ``MongoStore``."""

    _db: Database

    @property
    def _parties(self) -> Collection:
        return self._db[CONV_MEMBERS]

    async def join_conversation(self, conv: ConvId, users: Sequence[UserId]) -> None:
        if not users:
            return
        counter = await self._db[CONVERSATIONS].find_one_and_update(
            {"_id": conv},
            {"$setOnInsert": {"last_seq": 0}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        joined = 0 if counter is None else int(counter["last_seq"])
        for user in dict.fromkeys(users):
            await insert_once(
                self._parties,
                {"conv": conv, "user": user},
                {"joined_seq": joined, "read_seq": 0},
            )

    async def leave_conversation(self, conv: ConvId, user_id: UserId) -> None:
        await self._parties.delete_one({"conv": conv, "user": user_id})

    async def is_party(self, conv: ConvId, user_id: UserId) -> bool:
        return await self._parties.find_one({"conv": conv, "user": user_id}) is not None

    async def conversations_of(self, user_id: UserId) -> dict[ConvId, int]:
        docs = await self._parties.find({"user": user_id}).sort("conv", 1).to_list(None)
        return {ConvId(doc["conv"]): int(doc["joined_seq"]) for doc in docs}

    async def conversation_states(self, user_id: UserId) -> list[ConversationState]:
        parties = await self._parties.find({"user": user_id}).to_list(None)
        if not parties:
            return []
        convs = [doc["conv"] for doc in parties]
        counters = await self._db[CONVERSATIONS].find({"_id": {"$in": convs}}).to_list(None)
        last_seqs = {doc["_id"]: int(doc["last_seq"]) for doc in counters}

        states = await asyncio.gather(
            *(self._state(user_id, party, last_seqs.get(party["conv"], 0)) for party in parties)
        )
        # Newest last message first; conversations without one at the end.
        return sorted(
            states,
            key=lambda s: (
                s.last_message is None,
                -s.last_message.ts if s.last_message else 0,
                s.conv,
            ),
        )

    async def mark_read(self, conv: ConvId, user_id: UserId, seq: int) -> int:
        capped = min(seq, await counter_of(self._db, conv))
        doc = await self._parties.find_one_and_update(
            {"conv": conv, "user": user_id},
            {"$max": {"read_seq": capped}},
            return_document=ReturnDocument.AFTER,
        )
        return 0 if doc is None else int(doc["read_seq"])

    async def readers(self, conv: ConvId, seq: int) -> list[UserId]:
        cursor = self._parties.find({"conv": conv, "read_seq": {"$gte": seq}}).sort("user", 1)
        return [UserId(doc["user"]) for doc in await cursor.to_list(None)]

    async def _state(self, user_id: UserId, party: Document, last_seq: int) -> ConversationState:
        conv, joined, read = party["conv"], int(party["joined_seq"]), int(party["read_seq"])
        messages = self._db[MESSAGES]
        unread = await messages.count_documents(
            {
                "conv": conv,
                "seq": {"$gt": max(read, joined)},
                "sender": {"$ne": user_id},
                "recalled": False,
            }
        )
        cursor = messages.find({"conv": conv, "seq": {"$gt": joined}}).sort("seq", -1).limit(1)
        last = await cursor.to_list(None)
        return ConversationState(
            conv=ConvId(conv),
            last_seq=last_seq,
            read_seq=read,
            joined_seq=joined,
            unread=unread,
            last_message=message_from_doc(last[0]) if last else None,
        )

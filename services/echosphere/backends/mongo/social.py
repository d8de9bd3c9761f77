"""Friend requests, friendships and blocks in MongoDB: the ``SocialStore`` part.

A friendship is two documents, one per side, because each side keeps its own
remark. Adding is an upsert that only sets fields on insert, so adding what
exists changes nothing and a friendship keeps its first ``since``. Without a
transaction the two sides are written one after the other; both writes are
idempotent, so a caller that retries after a failure completes the pair.
"""

from __future__ import annotations

from echosphere.backends.mongo.connection import Collection, Database, Document, insert_once
from echosphere.backends.mongo.indexes import BLOCKS, FRIEND_REQUESTS, FRIENDSHIPS
from echosphere.core.ids import UserId
from echosphere.core.models import Friend, FriendRequest, RequestStatus

_NEWEST_FIRST = [("created_at", -1), ("_id", -1)]


class MongoSocial:
    """Implements ``SocialStore``; mixed into ``MongoStore``."""

    _db: Database

    # Friend requests.

    @property
    def _requests(self) -> Collection:
        return self._db[FRIEND_REQUESTS]

    async def create_friend_request(self, request: FriendRequest) -> None:
        await self._requests.insert_one(
            {
                "_id": request.id,
                "sender": request.sender,
                "recipient": request.recipient,
                "message": request.message,
                "status": request.status.value,
                "created_at": request.created_at,
            }
        )

    async def get_friend_request(self, request_id: str) -> FriendRequest | None:
        doc = await self._requests.find_one({"_id": request_id})
        return None if doc is None else request_from_doc(doc)

    async def find_pending_request(self, sender: UserId, recipient: UserId) -> FriendRequest | None:
        query = {"sender": sender, "recipient": recipient, "status": RequestStatus.PENDING.value}
        docs = await self._requests.find(query).sort(_NEWEST_FIRST).limit(1).to_list(None)
        return request_from_doc(docs[0]) if docs else None

    async def list_friend_requests(self, user_id: UserId, *, incoming: bool) -> list[FriendRequest]:
        query = {"recipient": user_id} if incoming else {"sender": user_id}
        docs = await self._requests.find(query).sort(_NEWEST_FIRST).to_list(None)
        return [request_from_doc(doc) for doc in docs]

    async def set_request_status(self, request_id: str, status: RequestStatus) -> None:
        await self._requests.update_one({"_id": request_id}, {"$set": {"status": status.value}})

    # Friendships.

    @property
    def _friendships(self) -> Collection:
        return self._db[FRIENDSHIPS]

    async def add_friendship(self, a: UserId, b: UserId, *, now: float) -> None:
        for owner, friend in ((a, b), (b, a)):
            await insert_once(
                self._friendships,
                {"owner": owner, "friend": friend},
                {"remark": "", "since": now},
            )

    async def remove_friendship(self, a: UserId, b: UserId) -> None:
        await self._friendships.delete_many(
            {"$or": [{"owner": a, "friend": b}, {"owner": b, "friend": a}]}
        )

    async def get_friend(self, owner: UserId, friend: UserId) -> Friend | None:
        doc = await self._friendships.find_one({"owner": owner, "friend": friend})
        return None if doc is None else friend_from_doc(doc)

    async def list_friends(self, owner: UserId) -> list[Friend]:
        cursor = self._friendships.find({"owner": owner}).sort([("since", 1), ("friend", 1)])
        return [friend_from_doc(doc) for doc in await cursor.to_list(None)]

    async def set_remark(self, owner: UserId, friend: UserId, remark: str) -> None:
        await self._friendships.update_one(
            {"owner": owner, "friend": friend}, {"$set": {"remark": remark}}
        )

    # Blocks.

    @property
    def _blocks(self) -> Collection:
        return self._db[BLOCKS]

    async def add_block(self, owner: UserId, target: UserId, *, now: float) -> None:
        await insert_once(self._blocks, {"owner": owner, "target": target}, {"created_at": now})

    async def remove_block(self, owner: UserId, target: UserId) -> None:
        await self._blocks.delete_one({"owner": owner, "target": target})

    async def is_blocked(self, owner: UserId, target: UserId) -> bool:
        return await self._blocks.find_one({"owner": owner, "target": target}) is not None

    async def list_blocks(self, owner: UserId) -> list[UserId]:
        cursor = self._blocks.find({"owner": owner}).sort([("created_at", 1), ("target", 1)])
        return [UserId(doc["target"]) for doc in await cursor.to_list(None)]


def request_from_doc(doc: Document) -> FriendRequest:
    return FriendRequest(
        id=doc["_id"],
        sender=UserId(doc["sender"]),
        recipient=UserId(doc["recipient"]),
        message=doc["message"],
        status=RequestStatus(doc["status"]),
        created_at=doc["created_at"],
    )


def friend_from_doc(doc: Document) -> Friend:
    return Friend(
        owner=UserId(doc["owner"]),
        friend=UserId(doc["friend"]),
        remark=doc["remark"],
        since=doc["since"],
    )

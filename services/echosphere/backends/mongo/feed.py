"""Posts, likes and comments in MongoDB: the feed parts of the store.

Post and comment ids are ULIDs used as ``_id``, so sorting by ``_id`` is
sorting by creation and the id serves as the paging cursor. A like is a
document under a unique (post, user) index: ``insert_once`` tells whether
this call added it, which keeps the counters in the KV port exact. Without
transactions a post is deleted before its likes and comments, so nothing
can be added to it meanwhile (a like checks that its post exists first; one
racing the deletion is swept with the rest).
"""

from __future__ import annotations

from collections.abc import Sequence

from echosphere.backends.mongo.connection import Collection, Database, Document, insert_once
from echosphere.backends.mongo.indexes import COMMENTS, LIKES, POSTS
from echosphere.core.ids import UserId
from echosphere.core.social import Comment, Like, Post


class MongoFeed:
    """Implements ``PostStore``, ``LikeStore`` and ``CommentStore``; mixed into ``MongoStore``."""

    _db: Database

    @property
    def _posts(self) -> Collection:
        return self._db[POSTS]

    @property
    def _likes(self) -> Collection:
        return self._db[LIKES]

    @property
    def _comments(self) -> Collection:
        return self._db[COMMENTS]

    # Posts.

    async def create_post(self, post: Post) -> None:
        await self._posts.insert_one(
            {
                "_id": post.id,
                "author": post.author,
                "text": post.text,
                "media": list(post.media),
                "created_at": post.created_at,
            }
        )

    async def get_post(self, post_id: str) -> Post | None:
        doc = await self._posts.find_one({"_id": post_id})
        return None if doc is None else post_from_doc(doc)

    async def delete_post(self, post_id: str) -> bool:
        result = await self._posts.delete_one({"_id": post_id})
        await self._likes.delete_many({"post": post_id})
        await self._comments.delete_many({"post": post_id})
        return result.deleted_count > 0

    async def list_posts(
        self, authors: Sequence[UserId], *, before: str | None, limit: int
    ) -> list[Post]:
        if not authors or limit <= 0:
            return []
        query: Document = {"author": {"$in": list(authors)}}
        if before is not None:
            query["_id"] = {"$lt": before}
        docs = await self._posts.find(query).sort("_id", -1).limit(limit).to_list(None)
        return [post_from_doc(doc) for doc in docs]

    # Likes.

    async def add_like(self, post_id: str, user: UserId, *, now: float) -> bool:
        if await self._posts.find_one({"_id": post_id}, {"_id": 1}) is None:
            return False
        return await insert_once(self._likes, {"post": post_id, "user": user}, {"created_at": now})

    async def remove_like(self, post_id: str, user: UserId) -> bool:
        result = await self._likes.delete_one({"post": post_id, "user": user})
        return result.deleted_count > 0

    async def count_likes(self, post_id: str) -> int:
        return await self._likes.count_documents({"post": post_id})

    async def list_likes(self, post_id: str) -> list[Like]:
        cursor = self._likes.find({"post": post_id}).sort([("created_at", 1), ("user", 1)])
        return [
            Like(post=doc["post"], user=UserId(doc["user"]), created_at=doc["created_at"])
            for doc in await cursor.to_list(None)
        ]

    async def liked_posts(self, user: UserId, post_ids: Sequence[str]) -> set[str]:
        if not post_ids:
            return set()
        cursor = self._likes.find({"user": user, "post": {"$in": list(post_ids)}})
        return {doc["post"] for doc in await cursor.to_list(None)}

    # Comments.

    async def add_comment(self, comment: Comment) -> None:
        await self._comments.insert_one(
            {
                "_id": comment.id,
                "post": comment.post,
                "author": comment.author,
                "text": comment.text,
                "reply_to": comment.reply_to,
                "reply_to_user": comment.reply_to_user,
                "created_at": comment.created_at,
            }
        )

    async def get_comment(self, comment_id: str) -> Comment | None:
        doc = await self._comments.find_one({"_id": comment_id})
        return None if doc is None else comment_from_doc(doc)

    async def delete_comment(self, comment_id: str) -> bool:
        result = await self._comments.delete_one({"_id": comment_id})
        return result.deleted_count > 0

    async def list_comments(self, post_id: str, *, after: str | None, limit: int) -> list[Comment]:
        if limit <= 0:
            return []
        query: Document = {"post": post_id}
        if after is not None:
            query["_id"] = {"$gt": after}
        docs = await self._comments.find(query).sort("_id", 1).limit(limit).to_list(None)
        return [comment_from_doc(doc) for doc in docs]


def post_from_doc(doc: Document) -> Post:
    return Post(
        id=doc["_id"],
        author=UserId(doc["author"]),
        text=doc["text"],
        media=tuple(doc["media"]),
        created_at=doc["created_at"],
    )


def comment_from_doc(doc: Document) -> Comment:
    reply_to_user = doc.get("reply_to_user")
    return Comment(
        id=doc["_id"],
        post=doc["post"],
        author=UserId(doc["author"]),
        text=doc["text"],
        created_at=doc["created_at"],
        reply_to=doc.get("reply_to"),
        reply_to_user=UserId(reply_to_user) if reply_to_user else None,
    )

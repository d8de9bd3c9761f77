"""Posts, likes and comments in SQLite: the feed parts of the store.

Post and comment ids are ULIDs, so the id orders by creation and serves as
the paging cursor. A like is a (post, user) row: the primary key makes a
repeated like a no-op, and ``changes()`` tells the caller whether this call
changed anything, which is what keeps the counters in the KV port exact.
Deleting a post cascades to its likes and comments.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from echosphere.backends.sqlite.connection import Database
from echosphere.core.ids import UserId
from echosphere.core.social import Comment, Like, Post

_LIST_POSTS = """
SELECT * FROM posts
WHERE author IN (SELECT value FROM json_each(:authors)) AND id < :before
ORDER BY id DESC LIMIT :limit
"""

_LIST_COMMENTS = """
SELECT * FROM post_comments WHERE post = ? AND id > ? ORDER BY id LIMIT ?
"""

_HIGHEST = "\U0010ffff"
"""Sorts after every id: the cursor of a first page, newest first."""


class SqliteFeed:
    """Implements ``PostStore``, ``LikeStore`` and ``CommentStore``; mixed into ``SqliteStore``."""

    _db: Database

    # Posts.

    async def create_post(self, post: Post) -> None:
        await self._db.write(
            "INSERT INTO posts (id, author, text, media, created_at) VALUES (?, ?, ?, ?, ?)",
            (post.id, post.author, post.text, json.dumps(list(post.media)), post.created_at),
        )

    async def get_post(self, post_id: str) -> Post | None:
        row = await self._db.one("SELECT * FROM posts WHERE id = ?", (post_id,))
        return None if row is None else post_from_row(row)

    async def delete_post(self, post_id: str) -> bool:
        return await self._db.write("DELETE FROM posts WHERE id = ?", (post_id,)) > 0

    async def list_posts(
        self, authors: Sequence[UserId], *, before: str | None, limit: int
    ) -> list[Post]:
        if not authors or limit <= 0:
            return []
        params = {"authors": json.dumps(list(authors)), "before": before or _HIGHEST}
        rows = await self._db.all(_LIST_POSTS, {**params, "limit": limit})
        return [post_from_row(row) for row in rows]

    # Likes.

    async def add_like(self, post_id: str, user: UserId, *, now: float) -> bool:
        changed = await self._db.write(
            "INSERT INTO post_likes (post, user, created_at)"
            " SELECT id, ?, ? FROM posts WHERE id = ?"
            " ON CONFLICT (post, user) DO NOTHING",
            (user, now, post_id),
        )
        return changed > 0

    async def remove_like(self, post_id: str, user: UserId) -> bool:
        changed = await self._db.write(
            "DELETE FROM post_likes WHERE post = ? AND user = ?", (post_id, user)
        )
        return changed > 0

    async def count_likes(self, post_id: str) -> int:
        count = await self._db.scalar("SELECT COUNT(*) FROM post_likes WHERE post = ?", (post_id,))
        return int(count)

    async def list_likes(self, post_id: str) -> list[Like]:
        rows = await self._db.all(
            "SELECT * FROM post_likes WHERE post = ? ORDER BY created_at, user", (post_id,)
        )
        return [
            Like(post=row["post"], user=UserId(row["user"]), created_at=row["created_at"])
            for row in rows
        ]

    async def liked_posts(self, user: UserId, post_ids: Sequence[str]) -> set[str]:
        if not post_ids:
            return set()
        rows = await self._db.all(
            "SELECT post FROM post_likes WHERE user = ?"
            " AND post IN (SELECT value FROM json_each(?))",
            (user, json.dumps(list(post_ids))),
        )
        return {row["post"] for row in rows}

    # Comments.

    async def add_comment(self, comment: Comment) -> None:
        await self._db.write(
            "INSERT INTO post_comments"
            " (id, post, author, text, reply_to, reply_to_user, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                comment.id,
                comment.post,
                comment.author,
                comment.text,
                comment.reply_to,
                comment.reply_to_user,
                comment.created_at,
            ),
        )

    async def get_comment(self, comment_id: str) -> Comment | None:
        row = await self._db.one("SELECT * FROM post_comments WHERE id = ?", (comment_id,))
        return None if row is None else comment_from_row(row)

    async def delete_comment(self, comment_id: str) -> bool:
        return await self._db.write("DELETE FROM post_comments WHERE id = ?", (comment_id,)) > 0

    async def list_comments(self, post_id: str, *, after: str | None, limit: int) -> list[Comment]:
        if limit <= 0:
            return []
        rows = await self._db.all(_LIST_COMMENTS, (post_id, after or "", limit))
        return [comment_from_row(row) for row in rows]


def post_from_row(row: sqlite3.Row) -> Post:
    return Post(
        id=row["id"],
        author=UserId(row["author"]),
        text=row["text"],
        media=tuple(json.loads(row["media"])),
        created_at=row["created_at"],
    )


def comment_from_row(row: sqlite3.Row) -> Comment:
    reply_to_user = row["reply_to_user"]
    return Comment(
        id=row["id"],
        post=row["post"],
        author=UserId(row["author"]),
        text=row["text"],
        created_at=row["created_at"],
        reply_to=row["reply_to"],
        reply_to_user=UserId(reply_to_user) if reply_to_user else None,
    )

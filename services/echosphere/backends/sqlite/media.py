"""Media objects and their uses in SQLite: the ``MediaStore`` part of the store.

An object row is written when an upload is declared; ``uploaded`` flips once
the bytes were found in storage. A use row says where the key was put; its
primary key covers every column, so recording the same use twice is a no-op.
"""

from __future__ import annotations

import sqlite3

from echosphere.backends.sqlite.connection import Database
from echosphere.core.ids import UserId
from echosphere.core.media import MediaKind, MediaObject, MediaUse, UseScope


class SqliteMedia:
    """Implements ``MediaStore``; mixed into ``SqliteStore``."""

    _db: Database

    async def create_media(self, media: MediaObject) -> None:
        await self._db.write(
            "INSERT INTO media_objects (key, owner, kind, content_type, size, created_at, uploaded)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                media.key,
                media.owner,
                media.kind.value,
                media.content_type,
                media.size,
                media.created_at,
                int(media.uploaded),
            ),
        )

    async def get_media(self, key: str) -> MediaObject | None:
        row = await self._db.one("SELECT * FROM media_objects WHERE key = ?", (key,))
        return None if row is None else media_from_row(row)

    async def mark_uploaded(self, key: str, *, size: int) -> None:
        await self._db.write(
            "UPDATE media_objects SET uploaded = 1, size = ? WHERE key = ?", (size, key)
        )

    async def add_media_use(self, use: MediaUse) -> None:
        await self._db.write(
            "INSERT INTO media_uses (key, scope, ref, seq) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (use.key, use.scope.value, use.ref, use.seq),
        )

    async def media_uses(self, key: str) -> list[MediaUse]:
        rows = await self._db.all(
            "SELECT * FROM media_uses WHERE key = ? ORDER BY scope, ref, seq", (key,)
        )
        return [
            MediaUse(key=row["key"], scope=UseScope(row["scope"]), ref=row["ref"], seq=row["seq"])
            for row in rows
        ]

    async def remove_media_uses(self, scope: UseScope, ref: str) -> None:
        await self._db.write(
            "DELETE FROM media_uses WHERE scope = ? AND ref = ?", (scope.value, ref)
        )


def media_from_row(row: sqlite3.Row) -> MediaObject:
    return MediaObject(
        key=row["key"],
        owner=UserId(row["owner"]),
        kind=MediaKind(row["kind"]),
        content_type=row["content_type"],
        size=row["size"],
        created_at=row["created_at"],
        uploaded=bool(row["uploaded"]),
    )

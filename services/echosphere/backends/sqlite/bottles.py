"""Drifting bottles in SQLite: the ``BottleStore`` part of the store.

Taking a bottle is one conditional ``UPDATE`` inside an immediate
transaction that also records the pick, so two fishers racing for one
bottle cannot both get it and nobody fishes the same bottle twice.
"""

from __future__ import annotations

import sqlite3

from echosphere.backends.sqlite.connection import Database
from echosphere.core.ids import UserId
from echosphere.core.social import Bottle

_TAKE = """
UPDATE bottles SET holder = :user, held_until = :hold_until
WHERE id = :id AND owner != :user AND expires_at > :now AND replied_by IS NULL
    AND (holder IS NULL OR held_until <= :now)
    AND NOT EXISTS (SELECT 1 FROM bottle_picks WHERE bottle = :id AND user = :user)
RETURNING *
"""


class SqliteBottles:
    """Implements ``BottleStore``; mixed into ``SqliteStore``."""

    _db: Database

    async def create_bottle(self, bottle: Bottle) -> None:
        await self._db.write(
            "INSERT INTO bottles (id, owner, text, media, lat, lon, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                bottle.id,
                bottle.owner,
                bottle.text,
                bottle.media,
                bottle.lat,
                bottle.lon,
                bottle.created_at,
                bottle.expires_at,
            ),
        )

    async def get_bottle(self, bottle_id: str) -> Bottle | None:
        row = await self._db.one("SELECT * FROM bottles WHERE id = ?", (bottle_id,))
        return None if row is None else bottle_from_row(row)

    async def take_bottle(
        self, bottle_id: str, user: UserId, *, now: float, hold_until: float
    ) -> Bottle | None:
        params = {"id": bottle_id, "user": user, "now": now, "hold_until": hold_until}
        async with self._db.transaction() as s:
            row = await s.one(_TAKE, params)
            if row is None:
                return None
            await s.run(
                "INSERT INTO bottle_picks (bottle, user, picked_at) VALUES (?, ?, ?)",
                (bottle_id, user, now),
            )
        return bottle_from_row(row)

    async def release_bottle(self, bottle_id: str, user: UserId) -> bool:
        changed = await self._db.write(
            "UPDATE bottles SET holder = NULL, held_until = 0"
            " WHERE id = ? AND holder = ? AND replied_by IS NULL",
            (bottle_id, user),
        )
        return changed > 0

    async def answer_bottle(self, bottle_id: str, user: UserId, *, now: float) -> bool:
        changed = await self._db.write(
            "UPDATE bottles SET replied_by = holder"
            " WHERE id = ? AND holder = ? AND replied_by IS NULL AND expires_at > ?",
            (bottle_id, user, now),
        )
        return changed > 0

    async def has_picked(self, bottle_id: str, user: UserId) -> bool:
        found = await self._db.scalar(
            "SELECT 1 FROM bottle_picks WHERE bottle = ? AND user = ?", (bottle_id, user)
        )
        return found is not None

    async def picked_bottles(self, user: UserId, *, since: float) -> list[str]:
        rows = await self._db.all(
            "SELECT bottle FROM bottle_picks WHERE user = ? AND picked_at >= ?"
            " ORDER BY picked_at, bottle",
            (user, since),
        )
        return [row["bottle"] for row in rows]


def bottle_from_row(row: sqlite3.Row) -> Bottle:
    holder, replied_by = row["holder"], row["replied_by"]
    return Bottle(
        id=row["id"],
        owner=UserId(row["owner"]),
        text=row["text"],
        media=row["media"],
        lat=row["lat"],
        lon=row["lon"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        holder=UserId(holder) if holder else None,
        held_until=row["held_until"],
        replied_by=UserId(replied_by) if replied_by else None,
    )

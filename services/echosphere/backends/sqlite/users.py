"""Users in SQLite: the ``UserStore`` part of the store.

Phones and handles are unique columns, so the database itself settles races
between two sign-ups or two renames; a handle is stored lowercase, which makes
the uniqueness case-insensitive. A clash on the handle becomes ``Conflict``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from echosphere.backends.sqlite.connection import Database
from echosphere.core.errors import Conflict, NotFound
from echosphere.core.ids import UserId
from echosphere.core.models import User

_FIXED_FIELDS = frozenset({"id", "phone", "created_at"})
_UPDATABLE = frozenset(f.name for f in fields(User)) - _FIXED_FIELDS
_BOOLEANS = frozenset({"discoverable_by_phone"})

_INSERT = """
INSERT INTO users (
    id, phone, handle, nickname, avatar, bio, gender, region,
    discoverable_by_phone, handle_changed_at, created_at
) VALUES (
    :id, :phone, :handle, :nickname, :avatar, :bio, :gender, :region,
    :discoverable_by_phone, :handle_changed_at, :created_at
)
ON CONFLICT (phone) DO NOTHING
"""


class SqliteUsers:
    """Implements ``UserStore``; mixed into ``SqliteStore``."""

    _db: Database

    async def create_user(self, user: User) -> User:
        params = {f.name: _column(f.name, getattr(user, f.name)) for f in fields(User)}
        async with self._db.transaction() as s:
            with _handle_conflict():
                await s.run(_INSERT, params)
            row = await s.one("SELECT * FROM users WHERE phone = ?", (user.phone,))
        assert row is not None, "the phone was inserted or already present"
        return user_from_row(row)

    async def get_user(self, user_id: UserId) -> User | None:
        row = await self._db.one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else user_from_row(row)

    async def get_users(self, user_ids: Sequence[UserId]) -> dict[UserId, User]:
        if not user_ids:
            return {}
        rows = await self._db.all(
            "SELECT * FROM users WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(user_ids)),),
        )
        users = (user_from_row(row) for row in rows)
        return {user.id: user for user in users}

    async def find_user_by_phone(self, phone: str) -> User | None:
        row = await self._db.one("SELECT * FROM users WHERE phone = ?", (phone,))
        return None if row is None else user_from_row(row)

    async def find_user_by_handle(self, handle: str) -> User | None:
        row = await self._db.one("SELECT * FROM users WHERE handle = ?", (handle.lower(),))
        return None if row is None else user_from_row(row)

    async def update_user(self, user_id: UserId, changes: Mapping[str, Any]) -> User:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"users have no updatable fields {sorted(unknown)}")
        values = {name: _column(name, value) for name, value in changes.items()}

        async with self._db.transaction() as s:
            if values:
                # Column names come from the User dataclass, never from the caller.
                assignments = ", ".join(f"{name} = :{name}" for name in values)
                sql = f"UPDATE users SET {assignments} WHERE id = :user_id"  # noqa: S608
                with _handle_conflict():
                    await s.run(sql, {**values, "user_id": user_id})
            row = await s.one("SELECT * FROM users WHERE id = ?", (user_id,))
        if row is None:
            raise NotFound("user_not_found", "no such user")
        return user_from_row(row)


def user_from_row(row: sqlite3.Row) -> User:
    return User(
        id=UserId(row["id"]),
        phone=row["phone"],
        created_at=row["created_at"],
        handle=row["handle"],
        nickname=row["nickname"],
        avatar=row["avatar"],
        bio=row["bio"],
        gender=row["gender"],
        region=row["region"],
        discoverable_by_phone=bool(row["discoverable_by_phone"]),
        handle_changed_at=row["handle_changed_at"],
        feed_cover=row["feed_cover"],
        chat_background=row["chat_background"],
    )


def _column(name: str, value: Any) -> Any:
    """A User field value as stored: handles lowercase, flags as 0/1."""
    if name == "handle" and isinstance(value, str):
        return value.lower()
    if name in _BOOLEANS:
        return int(bool(value))
    return value


@contextmanager
def _handle_conflict() -> Iterator[None]:
    """Turn a unique-handle violation into ``Conflict("handle_taken")``."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        if "users.handle" not in str(exc):
            raise
        raise Conflict("handle_taken", "that handle is taken") from exc

"""Schema migrations, versioned in code.

``MIGRATIONS`` lists ``(version, script)`` pairs in order; a database records
the last one applied in ``PRAGMA user_version``. Pending scripts run inside
one ``BEGIN IMMEDIATE`` transaction and the version is read again under that
lock, so two processes starting together apply each script exactly once. A
released script is never edited: a change is a new entry at the end.

Times are REAL seconds except ``messages.ts`` (INTEGER milliseconds); flags are
INTEGER 0/1; enums are stored as their string values; bodies as JSON text.
"""

from __future__ import annotations

import logging
import sqlite3

from echosphere.backends.sqlite.connection import Database, Session

logger = logging.getLogger(__name__)

_INITIAL = """
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    phone TEXT NOT NULL UNIQUE,
    handle TEXT UNIQUE,
    nickname TEXT NOT NULL DEFAULT '',
    avatar TEXT,
    bio TEXT NOT NULL DEFAULT '',
    gender TEXT NOT NULL DEFAULT 'unspecified',
    region TEXT NOT NULL DEFAULT '',
    discoverable_by_phone INTEGER NOT NULL DEFAULT 1,
    handle_changed_at REAL,
    created_at REAL NOT NULL
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    name TEXT NOT NULL,
    refresh_hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_used_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX devices_by_user ON devices (user, created_at);

CREATE TABLE friend_requests (
    id TEXT PRIMARY KEY,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX friend_requests_by_sender ON friend_requests (sender, created_at);
CREATE INDEX friend_requests_by_recipient ON friend_requests (recipient, created_at);

CREATE TABLE friendships (
    owner TEXT NOT NULL,
    friend TEXT NOT NULL,
    remark TEXT NOT NULL DEFAULT '',
    since REAL NOT NULL,
    PRIMARY KEY (owner, friend)
) WITHOUT ROWID;

CREATE TABLE blocks (
    owner TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (owner, target)
) WITHOUT ROWID;

CREATE TABLE chat_groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    announcement TEXT NOT NULL DEFAULT '',
    muted INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    joined_at REAL NOT NULL,
    PRIMARY KEY (group_id, user)
) WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (user);

CREATE TABLE conversations (
    conv TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE conv_members (
    conv TEXT NOT NULL REFERENCES conversations (conv),
    user TEXT NOT NULL,
    joined_seq INTEGER NOT NULL DEFAULT 0,
    read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conv, user)
) WITHOUT ROWID;
CREATE INDEX conv_members_by_user ON conv_members (user);

CREATE TABLE messages (
    conv TEXT NOT NULL REFERENCES conversations (conv),
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    sender TEXT NOT NULL,
    cid TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    ts INTEGER NOT NULL,
    recalled INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX messages_by_seq ON messages (conv, seq);
CREATE UNIQUE INDEX messages_by_cid ON messages (sender, cid);
"""

# Media objects and where their keys were put, the feed, drifting bottles,
# and the profile's two background pictures.
_SOCIAL = """
ALTER TABLE users ADD COLUMN feed_cover TEXT;
ALTER TABLE users ADD COLUMN chat_background TEXT;

CREATE TABLE media_objects (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE media_uses (
    key TEXT NOT NULL,
    scope TEXT NOT NULL,
    ref TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, scope, ref, seq)
) WITHOUT ROWID;
CREATE INDEX media_uses_by_ref ON media_uses (scope, ref);

CREATE TABLE posts (
    id TEXT PRIMARY KEY,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    media TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX posts_by_author ON posts (author, id);

CREATE TABLE post_likes (
    post TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (post, user)
) WITHOUT ROWID;
CREATE INDEX post_likes_by_user ON post_likes (user, post);

CREATE TABLE post_comments (
    id TEXT PRIMARY KEY,
    post TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    reply_to TEXT,
    reply_to_user TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX post_comments_by_post ON post_comments (post, id);

CREATE TABLE bottles (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    text TEXT NOT NULL,
    media TEXT,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    holder TEXT,
    held_until REAL NOT NULL DEFAULT 0,
    replied_by TEXT
);

CREATE TABLE bottle_picks (
    bottle TEXT NOT NULL REFERENCES bottles (id) ON DELETE CASCADE,
    user TEXT NOT NULL,
    picked_at REAL NOT NULL,
    PRIMARY KEY (bottle, user)
) WITHOUT ROWID;
CREATE INDEX bottle_picks_by_user ON bottle_picks (user, picked_at);
"""

MIGRATIONS: list[tuple[int, str]] = [
    (1, _INITIAL),
    (2, _SOCIAL),
]


async def migrate(db: Database) -> int:
    """Apply every pending migration; returns the resulting schema version."""
    async with db.transaction() as session:
        current = int(await session.scalar("PRAGMA user_version"))
        for version, script in MIGRATIONS:
            if version > current:
                await _apply(session, version=version, script=script)
                current = version
    return current


async def _apply(session: Session, *, version: int, script: str) -> None:
    # executescript() would commit our transaction first, so run statement by statement.
    for statement in split_statements(script):
        await session.run(statement)
    # PRAGMA takes no bound parameters; the version is an int from this module.
    await session.run(f"PRAGMA user_version = {int(version)}")
    logger.info("sqlite schema migrated", extra={"schema_version": version})


def split_statements(script: str) -> list[str]:
    """Cut a script into complete statements, at line ends where SQLite agrees."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:60]!r}")
    return statements

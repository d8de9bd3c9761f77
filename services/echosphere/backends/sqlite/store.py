"""``SqliteStore``: the ``Store`` port on one SQLite file, for embedded mode.

The store is assembled from one mixin per concept (users, devices, social,
groups, messages, conversations, media, feed, bottles), all sharing a single
``Database``: one aiosqlite connection whose use is serialised by a lock, in
WAL mode so that other processes can read the file while this one writes.
"""

from __future__ import annotations

import logging

from echosphere.backends.sqlite.bottles import SqliteBottles
from echosphere.backends.sqlite.connection import Database
from echosphere.backends.sqlite.conversations import SqliteConversations
from echosphere.backends.sqlite.devices import SqliteDevices
from echosphere.backends.sqlite.feed import SqliteFeed
from echosphere.backends.sqlite.groups import SqliteGroups
from echosphere.backends.sqlite.media import SqliteMedia
from echosphere.backends.sqlite.messages import SqliteMessages
from echosphere.backends.sqlite.migrations import migrate
from echosphere.backends.sqlite.social import SqliteSocial
from echosphere.backends.sqlite.users import SqliteUsers

logger = logging.getLogger(__name__)

_SCHEME = "sqlite:///"


class SqliteStore(
    SqliteUsers,
    SqliteDevices,
    SqliteSocial,
    SqliteGroups,
    SqliteMessages,
    SqliteConversations,
    SqliteMedia,
    SqliteFeed,
    SqliteBottles,
):
    """Durable state in one SQLite file at ``path``."""

    def __init__(self, path: str):
        self.path = path
        self._db = Database(path)

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        """``sqlite:////abs/path`` (absolute) or ``sqlite:///rel/path`` (relative)."""
        if not url.startswith(_SCHEME) or len(url) == len(_SCHEME):
            raise ValueError(
                "a SQLite URL looks like sqlite:///relative/path or sqlite:////abs/path"
            )
        return cls(url.removeprefix(_SCHEME))

    async def start(self) -> None:
        await self._db.open()
        version = await migrate(self._db)
        logger.info("sqlite store ready", extra={"path": self.path, "schema_version": version})

    async def close(self) -> None:
        await self._db.close()

    async def ping(self) -> None:
        await self._db.scalar("SELECT 1")

"""``MongoStore``: the ``Store`` port on MongoDB, for cluster mode.

The store is assembled from one mixin per concept (users, devices, social,
groups, messages, conversations, media, feed, bottles), all sharing one
database handle of one client. There are no transactions: each method is
written so that the single-document atomicity MongoDB gives, plus unique
indexes, keeps the store consistent when several processes use it at once.
Every public method reports an unreachable server as ``Unavailable``.
"""

from __future__ import annotations

import logging

from echosphere.backends.mongo.bottles import MongoBottles
from echosphere.backends.mongo.connection import (
    DEFAULT_DATABASE,
    Client,
    close_client,
    database_name,
    open_client,
    reports_outages,
)
from echosphere.backends.mongo.conversations import MongoConversations
from echosphere.backends.mongo.devices import MongoDevices
from echosphere.backends.mongo.feed import MongoFeed
from echosphere.backends.mongo.groups import MongoGroups
from echosphere.backends.mongo.indexes import ensure_indexes
from echosphere.backends.mongo.media import MongoMedia
from echosphere.backends.mongo.messages import MongoMessages
from echosphere.backends.mongo.social import MongoSocial
from echosphere.backends.mongo.users import MongoUsers

logger = logging.getLogger(__name__)


@reports_outages
class MongoStore(
    MongoUsers,
    MongoDevices,
    MongoSocial,
    MongoGroups,
    MongoMessages,
    MongoConversations,
    MongoMedia,
    MongoFeed,
    MongoBottles,
):
    """Durable state in the database ``database`` reached through ``client``.

    The store owns the client: ``close`` closes it.
    """

    def __init__(self, *, client: Client, database: str = DEFAULT_DATABASE):
        self.database = database
        self._client = client
        self._db = client[database]

    @classmethod
    def from_url(cls, url: str) -> MongoStore:
        """``mongodb://host:port/database?options``; the database defaults to "echosphere"."""
        database = database_name(url)
        return cls(client=open_client(url), database=database)

    async def start(self) -> None:
        await self.ping()
        await ensure_indexes(self._db)
        logger.info("mongodb store ready", extra={"database": self.database})

    async def close(self) -> None:
        await close_client(self._client)

    async def ping(self) -> None:
        await self._db.command("ping")

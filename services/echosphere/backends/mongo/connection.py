"""The MongoDB client, its URL, and what its failures mean to callers.

This is the only module that names the driver (motor). The other modules use
the part of the collection API that pymongo's ``AsyncMongoClient`` shares
with motor, so moving to that client means changing the aliases and the two
functions here. Driver errors that say the server cannot be reached become
``Unavailable``, which clients see as a 503 to retry later. ``insert_once``
is the idempotent insert that the concept modules share.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeAlias, TypeVar
from urllib.parse import unquote, urlsplit

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorCollection, AsyncIOMotorDatabase
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    DuplicateKeyError,
    NetworkTimeout,
    ServerSelectionTimeoutError,
)

from echosphere.core.errors import Unavailable

logger = logging.getLogger(__name__)

Document: TypeAlias = dict[str, Any]
Client: TypeAlias = "AsyncIOMotorClient[Document]"
Database: TypeAlias = "AsyncIOMotorDatabase[Document]"
Collection: TypeAlias = "AsyncIOMotorCollection[Document]"

DEFAULT_DATABASE = "echosphere"
_SCHEMES = frozenset({"mongodb", "mongodb+srv"})

# The server cannot be reached or stopped answering: worth a retry later.
# ConnectionFailure is the parent of the others; they are named for the reader.
OUTAGES: tuple[type[Exception], ...] = (
    ServerSelectionTimeoutError,
    NetworkTimeout,
    AutoReconnect,
    ConnectionFailure,
)

_T = TypeVar("_T")
_P = ParamSpec("_P")
_C = TypeVar("_C", bound=type)


def database_name(url: str) -> str:
    """The database a ``mongodb://host:port/name?options`` URL names, or the default."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES or not parts.netloc:
        raise ValueError("a MongoDB URL looks like mongodb://host:port/database?options")
    return unquote(parts.path.lstrip("/")) or DEFAULT_DATABASE


def open_client(url: str) -> Client:
    """A client for ``url``; the driver connects lazily, on the first operation."""
    return AsyncIOMotorClient(url)


async def close_client(client: Client) -> None:
    client.close()


async def insert_once(collection: Collection, key: Document, values: dict[str, Any]) -> bool:
    """Insert the document unless one with ``key`` exists; True if this call inserted it.

    ``key`` must match a unique index: two concurrent upserts of one key may
    then both try to insert, and the one refused by the index lost the race
    to an equal document.
    """
    try:
        result = await collection.update_one(key, {"$setOnInsert": values}, upsert=True)
    except DuplicateKeyError:
        return False
    return result.upserted_id is not None


def reports_outages(cls: _C) -> _C:
    """Make every public coroutine method of ``cls`` raise ``Unavailable`` on an outage.

    Applied once to the assembled store, so the concept modules stay free of
    the wrapping and no method can be forgotten.
    """
    for name, method in inspect.getmembers(cls, inspect.iscoroutinefunction):
        if not name.startswith("_"):
            setattr(cls, name, _outage_as_unavailable(method))
    return cls


def _outage_as_unavailable(method: Callable[_P, Awaitable[_T]]) -> Callable[_P, Awaitable[_T]]:
    @functools.wraps(method)
    async def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return await method(*args, **kwargs)
        except OUTAGES as exc:
            logger.warning("mongodb unreachable: %s", exc)
            raise Unavailable("store_unavailable", "the database is unreachable") from exc

    return guarded

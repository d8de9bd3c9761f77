"""What only the MongoDB adapter promises: its URL form and how outages surface."""

from __future__ import annotations

import pytest

from echosphere.backends.mongo import MongoStore
from echosphere.backends.mongo.connection import database_name
from echosphere.core.errors import Unavailable
from echosphere.core.ids import UserId


@pytest.mark.parametrize(
    ("url", "database"),
    [
        ("mongodb://db:27017/chat", "chat"),
        ("mongodb://db:27017/chat?replicaSet=rs0&w=majority", "chat"),
        ("mongodb://a:1,b:2/chat?replicaSet=rs0", "chat"),
        ("mongodb+srv://cluster.example.com/chat", "chat"),
        ("mongodb://db:27017", "echosphere"),
        ("mongodb://db:27017/?replicaSet=rs0", "echosphere"),
    ],
)
def test_database_from_url(url: str, database: str) -> None:
    """The URL path names the database; without one it is "echosphere"."""
    assert database_name(url) == database


@pytest.mark.parametrize("url", ["mongodb://", "redis://db/0", "sqlite:///x.db", "db:27017"])
def test_from_url_rejects_others(url: str) -> None:
    """Anything but a mongodb:// or mongodb+srv:// URL with a host is refused."""
    with pytest.raises(ValueError, match="MongoDB URL"):
        MongoStore.from_url(url)


async def test_unreachable_server_is_unavailable() -> None:
    """With no server listening, start and every operation raise Unavailable."""
    store = MongoStore.from_url("mongodb://127.0.0.1:1/echo?serverSelectionTimeoutMS=200")
    try:
        with pytest.raises(Unavailable) as caught:
            await store.start()
        assert caught.value.code == "store_unavailable"
        with pytest.raises(Unavailable):
            await store.get_user(UserId("nobody"))
        with pytest.raises(Unavailable):
            await store.conversation_states(UserId("nobody"))
    finally:
        await store.close()

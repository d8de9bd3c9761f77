"""Fixtures for the Store contract suite: every test runs once per adapter.

An adapter is described by a factory that builds unstarted stores over one
backing storage (a file for SQLite, a database for a server). Tests get a
started ``store``, and ``open_store`` to open more instances on the same
storage, as a second process or a restart would. Adding an adapter means
adding one entry to ``_BACKENDS``: a context manager that yields the factory
and cleans the storage up when the test is over.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from mongomock_motor import AsyncMongoMockClient
from pymongo import MongoClient

from echosphere.backends.mongo import MongoStore
from echosphere.backends.sqlite import SqliteStore
from echosphere.core.ports import Store

StoreFactory = Callable[[], Store]
OpenStore = Callable[[], Awaitable[Store]]
Backend = Callable[[Path], AbstractAsyncContextManager[StoreFactory]]

MONGODB_URL_VARIABLE = "ECHO_TEST_MONGODB_URL"


@asynccontextmanager
async def _sqlite(tmp_path: Path) -> AsyncIterator[StoreFactory]:
    path = str(tmp_path / "data" / "echosphere.db")
    yield lambda: SqliteStore(path)


@asynccontextmanager
async def _mongo(tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """MongoDB: mongomock-motor in memory by default, a real server when one is named.

    No MongoDB server can be installed on the machine this suite was written
    on, so by default the stores share one in-memory ``AsyncMongoMockClient``
    (its ``close`` keeps the data, so a reopened store finds it). Setting
    ``ECHO_TEST_MONGODB_URL=mongodb://host:port`` runs on that server instead:
    each store opens its own client, as a process would, on a database
    unique to the test, dropped afterwards.
    """
    url = os.environ.get(MONGODB_URL_VARIABLE)
    if not url:
        client: AsyncMongoMockClient[dict[str, Any]] = AsyncMongoMockClient()
        yield lambda: MongoStore(client=client, database="echosphere_test")
        return

    database = f"echo_test_{uuid.uuid4().hex}"
    store_url = urlunsplit(urlsplit(url)._replace(path=f"/{database}"))
    try:
        yield lambda: MongoStore.from_url(store_url)
    finally:
        admin: MongoClient[dict[str, Any]] = MongoClient(url)
        with admin:
            admin.drop_database(database)


_BACKENDS: dict[str, Backend] = {
    "sqlite": _sqlite,
    "mongo": _mongo,
}


@pytest.fixture(params=sorted(_BACKENDS))
async def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StoreFactory]:
    """Builds unstarted stores that all share this test's backing storage.

    The mongo param runs on mongomock-motor, in memory, because no MongoDB
    server can be installed on this machine; set ``ECHO_TEST_MONGODB_URL`` to
    run it on a real server (see ``_mongo``).
    """
    backend: Backend = _BACKENDS[request.param]
    async with backend(tmp_path) as factory:
        yield factory


@pytest.fixture
async def open_store(store_factory: StoreFactory) -> AsyncIterator[OpenStore]:
    """Opens started stores on the shared storage; closes them all afterwards."""
    opened: list[Store] = []

    async def open_one() -> Store:
        store = store_factory()
        await store.start()
        opened.append(store)
        return store

    yield open_one
    for store in reversed(opened):
        await store.close()


@pytest.fixture
async def store(open_store: OpenStore) -> Store:
    """A started store on fresh, empty storage."""
    return await open_store()

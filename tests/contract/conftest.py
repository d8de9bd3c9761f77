"""Fixtures for the Store contract suite: every test runs once per adapter.

An adapter is described by a factory that builds unstarted stores over one
backing storage (a file for SQLite, a database for a server). Tests get a
started ``store``, and ``open_store`` to open more instances on the same
storage, as a second process or a restart would. Adding an adapter means
adding one entry to ``_BACKENDS``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from echosphere.backends.sqlite import SqliteStore
from echosphere.core.ports import Store

StoreFactory = Callable[[], Store]
OpenStore = Callable[[], Awaitable[Store]]


def _sqlite(tmp_path: Path) -> StoreFactory:
    path = str(tmp_path / "data" / "echosphere.db")
    return lambda: SqliteStore(path)


_BACKENDS: dict[str, Callable[[Path], StoreFactory]] = {
    "sqlite": _sqlite,
}


@pytest.fixture(params=sorted(_BACKENDS))
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Builds unstarted stores that all share this test's backing storage."""
    make: Callable[[Path], StoreFactory] = _BACKENDS[request.param]
    return make(tmp_path)


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

"""The GeoIndex contract: every adapter finds the same bottles.

``memory`` and ``sqlite`` always run. OpenSearch cannot run on the machine
this suite was written on, so its adapter runs here only when
``ECHO_TEST_OPENSEARCH_URL`` names a server (each test then uses an index of
its own, deleted afterwards); its request bodies are tested without a
server in ``tests/unit/test_opensearch_bodies.py``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from echosphere.backends.memory_geo import MemoryGeoIndex
from echosphere.backends.opensearch_geo import OpenSearchGeoIndex
from echosphere.backends.sqlite.geo import SqliteGeoIndex
from echosphere.core.geo import KM_PER_DEGREE
from echosphere.core.ids import UserId, new_id
from echosphere.core.ports import GeoEntry, GeoIndex

OPENSEARCH_URL_VARIABLE = "ECHO_TEST_OPENSEARCH_URL"
PARIS = (48.8566, 2.3522)
NOW = 1_000.0


@pytest.fixture(params=["memory", "sqlite", "opensearch"])
async def geo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GeoIndex]:
    index: GeoIndex
    if request.param == "memory":
        index = MemoryGeoIndex()
    elif request.param == "sqlite":
        index = SqliteGeoIndex(str(tmp_path / "geo.db"))
    else:
        url = os.environ.get(OPENSEARCH_URL_VARIABLE)
        if not url:
            pytest.skip(f"{OPENSEARCH_URL_VARIABLE} not set: no OpenSearch server here")
        index = OpenSearchGeoIndex.from_url(f"{url.rstrip('/')}/echo-test-{uuid.uuid4().hex}")
    await index.start()
    yield index
    if isinstance(index, OpenSearchGeoIndex):
        await index._client.indices.delete(index=index.index)
    await index.close()


def north_of(origin: tuple[float, float], km: float) -> tuple[float, float]:
    return origin[0] + km / KM_PER_DEGREE, origin[1]


async def put(
    geo: GeoIndex,
    at: tuple[float, float],
    *,
    owner: UserId | None = None,
    expires_at: float = NOW + 100,
) -> str:
    entry_id = new_id()
    owner = owner or UserId(new_id())
    await geo.add(GeoEntry(entry_id, owner, at[0], at[1], expires_at))
    return entry_id


async def search(
    geo: GeoIndex,
    at: tuple[float, float] = PARIS,
    radius_km: float = 10.0,
    *,
    owner: str = "nobody",
    exclude: tuple[str, ...] = (),
    now: float = NOW,
) -> str | None:
    return await geo.random_within(
        lat=at[0],
        lon=at[1],
        radius_km=radius_km,
        now=now,
        exclude_owner=UserId(owner),
        exclude_ids=exclude,
    )


async def test_finds_within_the_radius_only(geo: GeoIndex) -> None:
    """A point 5 km away is found with a 10 km radius, not with 4 km; 500 km away never."""
    near = await put(geo, north_of(PARIS, 5))
    await put(geo, north_of(PARIS, 500))
    assert await search(geo, radius_km=10) == near
    assert await search(geo, radius_km=4) is None


async def test_excludes_owner_ids_and_expired(geo: GeoIndex) -> None:
    """The searcher's own entries, excluded ids and expired entries are never returned."""
    mine = UserId(new_id())
    await put(geo, PARIS, owner=mine)
    skipped = await put(geo, PARIS)
    await put(geo, PARIS, expires_at=NOW)
    assert await search(geo, owner=mine, exclude=(skipped,)) is None
    assert await search(geo, owner=mine) == skipped


async def test_hidden_until_then_back(geo: GeoIndex) -> None:
    """A hidden entry is out of searches until its time; hide(0) brings it back."""
    entry = await put(geo, PARIS)
    await geo.hide(entry, until=NOW + 10)
    assert await search(geo) is None
    assert await search(geo, now=NOW + 10) == entry
    await geo.hide(entry, until=0)
    assert await search(geo) == entry


async def test_removed_entries_are_gone(geo: GeoIndex) -> None:
    """remove takes an entry out; removing or hiding an unknown id is harmless."""
    entry = await put(geo, PARIS)
    await geo.remove(entry)
    await geo.remove(entry)
    await geo.hide(new_id(), until=5)
    assert await search(geo) is None


async def test_pick_is_random(geo: GeoIndex) -> None:
    """Among several matches, repeated searches return more than one of them."""
    entries = {await put(geo, north_of(PARIS, km)) for km in (0.5, 1, 2, 3, 4)}
    seen = {await search(geo) for _ in range(30)}
    assert seen <= entries
    assert len(seen) >= 2


async def test_across_the_antimeridian(geo: GeoIndex) -> None:
    """A point just east of 180 degrees is near one just west of it."""
    east = await put(geo, (0.0, -179.99))
    assert await search(geo, at=(0.0, 179.99), radius_km=5) == east

"""The geo index on SQLite (``sqlite:///path``, or ``sqlite://`` for the store's file).

Points live in one table with an index on (lat, lon). A search asks SQLite
for the rows inside the bounding box (the indexed columns answer that) that
are visible, unexpired and not excluded, in random order, a page at a time;
the first row whose exact great-circle distance is within the radius wins.
Because the order is random, that pick is uniform over the circle.

The table belongs to this index, not to the Store's versioned schema: it is
created if missing at start, so the index can share the store's file or
have one of its own. It opens its own connection; WAL mode lets it work
beside the store's.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence

from echosphere.backends.sqlite.connection import Database
from echosphere.core.geo import bounding_box, distance_km
from echosphere.core.ids import UserId
from echosphere.core.ports import GeoEntry

logger = logging.getLogger(__name__)

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS geo_points (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        expires_at REAL NOT NULL,
        available_at REAL NOT NULL DEFAULT 0
    )
    """,
    "CREATE INDEX IF NOT EXISTS geo_points_by_place ON geo_points (lat, lon)",
)

_UPSERT = """
INSERT INTO geo_points (id, owner, lat, lon, expires_at, available_at)
VALUES (?, ?, ?, ?, ?, 0)
ON CONFLICT (id) DO UPDATE SET
    owner = excluded.owner, lat = excluded.lat, lon = excluded.lon,
    expires_at = excluded.expires_at, available_at = 0
"""

_SEARCH = """
SELECT id, lat, lon FROM geo_points
WHERE lat BETWEEN :min_lat AND :max_lat
    AND (lon BETWEEN :west1 AND :east1 OR lon BETWEEN :west2 AND :east2)
    AND expires_at > :now AND available_at <= :now AND owner != :owner
    AND id NOT IN (SELECT value FROM json_each(:excluded))
ORDER BY random() LIMIT :page
"""

PAGE = 64
TRIES = 4
PURGE_EVERY = 600.0
"""Seconds between deletions of expired points (done while searching)."""


class SqliteGeoIndex:
    """The GeoIndex port in a SQLite table."""

    def __init__(self, path: str, *, clock: Callable[[], float] = time.monotonic):
        self.path = path
        self._db = Database(path)
        self._clock = clock
        self._purged_at = 0.0

    async def start(self) -> None:
        await self._db.open()
        async with self._db.transaction() as s:
            for statement in _SCHEMA:
                await s.run(statement)
        logger.info("sqlite geo index ready", extra={"path": self.path})

    async def close(self) -> None:
        await self._db.close()

    async def add(self, entry: GeoEntry) -> None:
        await self._db.write(
            _UPSERT, (entry.id, entry.owner, entry.lat, entry.lon, entry.expires_at)
        )

    async def remove(self, entry_id: str) -> None:
        await self._db.write("DELETE FROM geo_points WHERE id = ?", (entry_id,))

    async def hide(self, entry_id: str, *, until: float) -> None:
        await self._db.write(
            "UPDATE geo_points SET available_at = ? WHERE id = ?", (until, entry_id)
        )

    async def random_within(
        self,
        *,
        lat: float,
        lon: float,
        radius_km: float,
        now: float,
        exclude_owner: UserId,
        exclude_ids: Sequence[str],
    ) -> str | None:
        await self._purge(now)
        box = bounding_box(lat, lon, radius_km)
        (west1, east1), (west2, east2) = (box.lon_ranges * 2)[:2]
        params = {
            "min_lat": box.min_lat,
            "max_lat": box.max_lat,
            "west1": west1,
            "east1": east1,
            "west2": west2,
            "east2": east2,
            "now": now,
            "owner": exclude_owner,
            "excluded": json.dumps(list(exclude_ids)),
            "page": PAGE,
        }
        for _ in range(TRIES):
            rows = await self._db.all(_SEARCH, params)
            for row in rows:
                if distance_km(lat, lon, row["lat"], row["lon"]) <= radius_km:
                    return str(row["id"])
            if len(rows) < PAGE:
                return None
        return None

    async def _purge(self, now: float) -> None:
        """Delete expired points, once in a while (``now`` is the searcher's time)."""
        if self._clock() - self._purged_at < PURGE_EVERY and self._purged_at:
            return
        self._purged_at = self._clock()
        await self._db.write("DELETE FROM geo_points WHERE expires_at <= ?", (now,))

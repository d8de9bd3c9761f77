"""In-process geo index (``memory://``): a dictionary, searched box first.

For tests and a single embedded process whose bottles need not survive a
restart; ``sqlite`` keeps them on disk. A search keeps the entries inside
the bounding box, then those within the exact great-circle radius, and
picks one at random.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from echosphere.core.geo import bounding_box, distance_km
from echosphere.core.ids import UserId
from echosphere.core.ports import GeoEntry


@dataclass(slots=True)
class _Point:
    entry: GeoEntry
    available_at: float = 0.0


class MemoryGeoIndex:
    """The GeoIndex port in a dictionary."""

    def __init__(self) -> None:
        self._points: dict[str, _Point] = {}
        self._random = random.SystemRandom()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def add(self, entry: GeoEntry) -> None:
        self._points[entry.id] = _Point(entry)

    async def remove(self, entry_id: str) -> None:
        self._points.pop(entry_id, None)

    async def hide(self, entry_id: str, *, until: float) -> None:
        point = self._points.get(entry_id)
        if point is not None:
            point.available_at = until

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
        box = bounding_box(lat, lon, radius_km)
        excluded = set(exclude_ids)
        found = [
            point.entry.id
            for point in self._points.values()
            if point.entry.expires_at > now
            and point.available_at <= now
            and point.entry.owner != exclude_owner
            and point.entry.id not in excluded
            and box.contains(point.entry.lat, point.entry.lon)
            and distance_km(lat, lon, point.entry.lat, point.entry.lon) <= radius_km
        ]
        return self._random.choice(found) if found else None

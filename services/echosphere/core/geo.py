"""Points on the Earth: validation, coarsening, distances and search boxes.

A drifting bottle keeps only a coarsened location: the thrower's point is
snapped to the centre of a cell about 1 km wide before anything is written,
so no stored record nor log line holds where the thrower really stood.
Searches first cut a bounding box that indexed columns can answer, then
keep the points whose great-circle distance is within the radius. Pure code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from echosphere.core.errors import InvalidInput

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


def check_point(lat: float, lon: float) -> None:
    valid = math.isfinite(lat) and math.isfinite(lon)
    if not (valid and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("bad_location", "lat must be within -90..90 and lon within -180..180")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def coarsen(lat: float, lon: float, *, cell_km: float = 1.0) -> tuple[float, float]:
    """The centre of the ~``cell_km`` cell holding the point.

    Rows of cells are ``cell_km`` tall; within a row, cells are ``cell_km``
    wide at the row's latitude, so they do not shrink towards the poles.
    """
    check_point(lat, lon)
    step = cell_km / KM_PER_DEGREE
    row = math.floor(lat / step)
    centre_lat = max(-90.0, min(90.0, (row + 0.5) * step))
    width = min(360.0, step / max(math.cos(math.radians(centre_lat)), 1e-6))
    centre_lon = (math.floor((lon + 180) / width) + 0.5) * width - 180
    if centre_lon > 180:
        centre_lon -= 360
    return round(centre_lat, 6), round(centre_lon, 6)


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """Latitude range and one or two longitude ranges (two across the antimeridian)."""

    min_lat: float
    max_lat: float
    lon_ranges: tuple[tuple[float, float], ...]

    def contains(self, lat: float, lon: float) -> bool:
        in_lat = self.min_lat <= lat <= self.max_lat
        return in_lat and any(low <= lon <= high for low, high in self.lon_ranges)


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    """The smallest lat/lon box holding every point within ``radius_km`` of the centre."""
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90 or angle >= math.pi / 2:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), ((-180.0, 180.0),))
    ratio = math.sin(angle) / math.cos(math.radians(lat))
    if ratio >= 1:
        return BoundingBox(min_lat, max_lat, ((-180.0, 180.0),))
    dlon = math.degrees(math.asin(ratio))
    low, high = lon - dlon, lon + dlon
    if low < -180:
        return BoundingBox(min_lat, max_lat, ((low + 360, 180.0), (-180.0, high)))
    if high > 180:
        return BoundingBox(min_lat, max_lat, ((low, 180.0), (-180.0, high - 360)))
    return BoundingBox(min_lat, max_lat, ((low, high),))

"""Points on the Earth: coarsening, distances and search boxes (pure)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from echosphere.core.errors import InvalidInput
from echosphere.core.geo import KM_PER_DEGREE, bounding_box, check_point, coarsen, distance_km

latitudes = st.floats(min_value=-85, max_value=85, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)


def test_known_distance() -> None:
    """Paris to London is about 344 km; a degree of latitude about 111 km."""
    assert distance_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.5, abs=1)
    assert distance_km(0, 0, 1, 0) == pytest.approx(KM_PER_DEGREE)


@given(latitudes, longitudes)
def test_coarsened_point_is_within_a_cell(lat: float, lon: float) -> None:
    """The coarse point is at most ~0.75 km (half a 1 km cell's diagonal) from the true one."""
    coarse_lat, coarse_lon = coarsen(lat, lon)
    assert distance_km(lat, lon, coarse_lat, coarse_lon) <= 0.75


def test_coarsening_forgets_the_exact_spot() -> None:
    """Two spots a few hundred metres apart in one cell give the same coarse point."""
    here = coarsen(48.85661, 2.35222)
    assert coarsen(48.85700, 2.35300) == here
    assert here != (48.85661, 2.35222)


@pytest.mark.parametrize(
    ("lat", "lon"), [(91, 0), (-90.5, 0), (0, 181), (0, -180.1), (math.nan, 0), (0, math.inf)]
)
def test_bad_points_are_refused(lat: float, lon: float) -> None:
    """Latitudes beyond the poles, longitudes beyond 180 and non-numbers are refused."""
    with pytest.raises(InvalidInput) as caught:
        check_point(lat, lon)
    assert caught.value.code == "bad_location"


@given(
    latitudes,
    longitudes,
    st.floats(min_value=0.1, max_value=300),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=2 * math.pi),
)
def test_bounding_box_holds_the_circle(
    lat: float, lon: float, radius: float, share: float, bearing: float
) -> None:
    """Every point within the radius lies inside the box."""
    angle = radius * share / 6371.0088
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(
        math.sin(p1) * math.cos(angle) + math.cos(p1) * math.sin(angle) * math.cos(bearing)
    )
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(p1),
        math.cos(angle) - math.sin(p1) * math.sin(p2),
    )
    lon2 = (math.degrees(l2) + 540) % 360 - 180
    box = bounding_box(lat, lon, radius)
    assert (
        box.contains(math.degrees(p2), lon2)
        or distance_km(lat, lon, math.degrees(p2), lon2) > radius * 0.999
    )


def test_bounding_box_near_a_pole_spans_all_longitudes() -> None:
    """Close enough to a pole, every longitude may be within reach."""
    assert bounding_box(89.9, 10, 50).lon_ranges == ((-180.0, 180.0),)


def test_bounding_box_splits_at_the_antimeridian() -> None:
    """A box crossing 180 degrees is two longitude ranges."""
    box = bounding_box(0, 179.99, 5)
    assert len(box.lon_ranges) == 2
    assert box.contains(0, -179.99) and box.contains(0, 179.95)

"""Distances and boxes for "within N miles", against distances worked out by hand."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connecting_people.community import geo

LONDON = geo.Point(51.5074, -0.1278)
YORK = geo.Point(53.9590, -1.0815)


def test_haversine_against_distances_known_exactly_on_a_sphere():
    # From the equator to a pole is a quarter of a great circle; so is a quarter of the way round the equator.
    quarter = math.pi / 2 * geo.EARTH_RADIUS_MILES
    assert geo.haversine_miles(geo.Point(0, 0), geo.Point(90, 0)) == pytest.approx(quarter)
    assert geo.haversine_miles(geo.Point(0, 10), geo.Point(0, 100)) == pytest.approx(quarter)
    assert geo.haversine_miles(geo.Point(0, 0), geo.Point(0, 180)) == pytest.approx(2 * quarter)
    assert geo.haversine_miles(YORK, YORK) == 0
    # London to York by the spherical law of cosines, an independent formula.
    lat1, lat2 = math.radians(LONDON.latitude), math.radians(YORK.latitude)
    dlon = math.radians(YORK.longitude - LONDON.longitude)
    cosines = math.acos(math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(dlon))
    assert geo.haversine_miles(LONDON, YORK) == pytest.approx(cosines * geo.EARTH_RADIUS_MILES, rel=1e-9)


def test_a_degree_of_latitude_is_about_69_miles():
    north = geo.Point(YORK.latitude + 1, YORK.longitude)
    assert geo.haversine_miles(YORK, north) == pytest.approx(geo.MILES_PER_DEGREE_LATITUDE, rel=1e-9)
    assert geo.MILES_PER_DEGREE_LATITUDE == pytest.approx(69.09, abs=0.01)


@given(
    bearing=st.floats(0, 2 * math.pi),
    fraction=st.floats(0, 1),
    miles=st.floats(0.1, 25),
)
def test_every_point_within_the_distance_is_inside_the_box(bearing, fraction, miles):
    distance = miles * fraction
    # A point `distance` miles away on a bearing (spherical destination formula).
    lat1, lon1 = math.radians(YORK.latitude), math.radians(YORK.longitude)
    angle = distance / geo.EARTH_RADIUS_MILES
    lat2 = math.asin(math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing))
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat1),
        math.cos(angle) - math.sin(lat1) * math.sin(lat2),
    )
    point = geo.Point(math.degrees(lat2), math.degrees(lon2))
    box = geo.bounding_box(YORK, miles)
    assert box.min_latitude <= point.latitude <= box.max_latitude
    assert box.min_longitude <= point.longitude <= box.max_longitude
    # The flat approximation the search orders by agrees with the great circle to well under 1% at this range.
    planar = geo.miles_from_planar(geo.planar_distance_squared(YORK, point))
    assert planar == pytest.approx(geo.haversine_miles(YORK, point), rel=0.01, abs=0.01)


def test_planar_limit_is_the_planar_distance_at_that_many_miles():
    north = geo.Point(YORK.latitude + 5 / geo.MILES_PER_DEGREE_LATITUDE, YORK.longitude)
    assert geo.planar_distance_squared(YORK, north) == pytest.approx(geo.planar_limit(5))


def test_a_negative_distance_is_refused():
    with pytest.raises(ValueError):
        geo.bounding_box(YORK, -1)


@pytest.mark.parametrize(
    "latitude, longitude, problem",
    [
        (None, None, None),
        (53.9, -1.08, None),
        (100, 101, "latitude 100 is outside -90 to 90"),
        (53.9, 181, "longitude 181 is outside -180 to 180"),
        (53.9, None, "has a latitude or a longitude but not both"),
        (float("nan"), 1.0, "latitude nan is not a number"),
    ],
)
def test_coordinates_problem(latitude, longitude, problem):
    assert geo.coordinates_problem(latitude, longitude) == problem


@pytest.mark.parametrize(
    "text, expected",
    [
        ("53.958, -1.080", geo.Point(53.958, -1.08)),
        (" 53.958 -1.080 ", geo.Point(53.958, -1.08)),
        ("-33.9,18.4", geo.Point(-33.9, 18.4)),
        ("LS1 4AP", None),
        ("95, 10", None),
        ("53.9", None),
        ("", None),
    ],
)
def test_parse_coordinates(text, expected):
    assert geo.parse_coordinates(text) == expected


@pytest.mark.parametrize(
    "text, postcode, outward",
    [
        ("ls14ap", "LS1 4AP", "LS1"),
        (" SW1A 1AA ", "SW1A 1AA", "SW1A"),
        ("cp3 2ab", "CP3 2AB", "CP3"),
        ("LS1", None, "LS1"),
        ("W1", None, "W1"),
        ("ABC 1234", None, None),
        ("", None, None),
    ],
)
def test_postcodes_and_outward_codes(text, postcode, outward):
    assert geo.normalised_postcode(text) == postcode
    assert geo.outward_code(text) == outward

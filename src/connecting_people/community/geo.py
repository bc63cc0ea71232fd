"""Distances on the Earth's surface for "within N miles of a place" (pure: no Django).

Coordinates are WGS84 decimal degrees (latitude north positive, longitude east positive); distances are in
statute miles. The search narrows candidates with `bounding_box` (which an index on latitude and longitude can
use), orders and cuts them with `planar_distance_squared` (plain arithmetic, so SQLite and PostgreSQL compute
it alike in SQL), and shows `haversine_miles` on the page.
"""

import math
import re
from dataclasses import dataclass

EARTH_RADIUS_MILES = 3958.8  # mean radius
MILES_PER_DEGREE_LATITUDE = math.pi * EARTH_RADIUS_MILES / 180  # about 69.1


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Box:
    """Degrees: the smallest box that holds every point within a distance of a centre."""

    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float


def coordinates_problem(latitude: float | None, longitude: float | None) -> str | None:
    """Why a pair of coordinates cannot be used, or None when they can. Both or neither must be given."""
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        return "has a latitude or a longitude but not both"
    for value, name, limit in ((latitude, "latitude", 90), (longitude, "longitude", 180)):
        if not math.isfinite(value):
            return f"{name} {value} is not a number"
        if not -limit <= value <= limit:
            return f"{name} {value:g} is outside -{limit} to {limit}"
    return None


def haversine_miles(a: Point, b: Point) -> float:
    """Great-circle distance between two points, in miles."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(centre: Point, miles: float) -> Box:
    """Every point within `miles` of `centre` lies inside this box (longitude is not wrapped at ±180: no UK
    search comes near it)."""
    if miles < 0:
        raise ValueError("miles must be 0 or more")
    # A hair wider than the distance (about a micrometre), so that rounding never leaves out a point exactly
    # at the distance: the box only narrows the search, and the distance itself is checked after.
    dlat = miles / MILES_PER_DEGREE_LATITUDE + 1e-11
    # Longitude degrees shrink with the cosine of latitude; use the box edge nearer the pole, where they are
    # shortest, so the box stays wide enough.
    nearer_pole = min(90.0, abs(centre.latitude) + dlat)
    cos = math.cos(math.radians(nearer_pole))
    dlon = 180.0 if cos < 1e-9 else min(180.0, dlat / cos)
    return Box(
        min_latitude=max(-90.0, centre.latitude - dlat),
        max_latitude=min(90.0, centre.latitude + dlat),
        min_longitude=centre.longitude - dlon,
        max_longitude=centre.longitude + dlon,
    )


def longitude_scale(latitude: float) -> float:
    """How much shorter a degree of longitude is than a degree of latitude at `latitude` (its cosine)."""
    return math.cos(math.radians(latitude))


def planar_distance_squared(centre: Point, point: Point) -> float:
    """Squared distance in "degrees of latitude", on a flat map scaled at the centre's latitude.

    The SQL ordering uses exactly this formula; compare it with `planar_limit(miles)`. Within 25 miles of a UK
    place it differs from the great-circle distance by well under 1%."""
    dy = point.latitude - centre.latitude
    dx = (point.longitude - centre.longitude) * longitude_scale(centre.latitude)
    return dx * dx + dy * dy


def planar_limit(miles: float) -> float:
    """The value of `planar_distance_squared` at `miles` from the centre."""
    return (miles / MILES_PER_DEGREE_LATITUDE) ** 2


def miles_from_planar(distance_squared: float) -> float:
    return math.sqrt(max(0.0, distance_squared)) * MILES_PER_DEGREE_LATITUDE


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_COORDINATES = re.compile(rf"^\s*({_NUMBER})\s*[,\s]\s*({_NUMBER})\s*$")


def parse_coordinates(text: str) -> Point | None:
    """ "53.958, -1.080" (latitude first; a comma or a space between) as a Point, or None when the text is
    not two numbers or they are out of range."""
    match = _COORDINATES.match(text or "")
    if not match:
        return None
    latitude, longitude = float(match.group(1)), float(match.group(2))
    if coordinates_problem(latitude, longitude):
        return None
    return Point(latitude, longitude)


# A UK postcode: outward code (area, district) and inward code (sector digit, unit letters).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def normalised_postcode(text: str) -> str | None:
    """ "ls14ap" → "LS1 4AP"; None when the text is not shaped like a full UK postcode."""
    compact = re.sub(r"\s+", "", (text or "").upper())
    match = _POSTCODE.match(compact)
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}"


def outward_code(text: str) -> str | None:
    """The outward code ("LS1") of a full postcode or of an outward code on its own; None otherwise."""
    postcode = normalised_postcode(text)
    if postcode:
        return postcode.split(" ")[0]
    compact = re.sub(r"\s+", "", (text or "").upper())
    return compact if _OUTWARD.match(compact) else None

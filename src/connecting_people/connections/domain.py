"""The connections map as plain data (no Django): what the measures, the SVG map and the file formats work on.

A map is a dated snapshot of one person's social world. Each entry is someone or something in their life; ties
between entries are optional. An entry keeps its `key` across snapshots (a new snapshot starts as a copy of the
previous one), so two snapshots can be compared entry by entry.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

# What one map can hold, however it is made (entry by entry, copied, or imported). Far beyond a real personal
# network: the people, groups, places and services someone can name number tens (Network Canvas studies seldom
# pass about 100 alters, and about 150 is the usual estimate of the relationships a person keeps up), yet small
# enough that the map page stays under 1 MB and draws in about a tenth of a second. 5,000 ties is every pair of
# 100 entries tied (4,950).
MAX_ENTRIES = 250
MAX_TIES = 5_000


class Kind(StrEnum):
    PERSON = "person"
    GROUP = "group"
    PLACE = "place"
    SERVICE = "service"


class Category(StrEnum):
    """Relationship category; the map's sectors, in this order."""

    FAMILY = "family"
    PARTNER = "partner"
    FRIEND = "friend"
    NEIGHBOUR = "neighbour"
    WORK_EDUCATION = "work_education"
    COMMUNITY_GROUP = "community_group"
    FAITH = "faith"
    PEER_SUPPORT = "peer_support"
    ONLINE = "online"
    SERVICES = "services"


class Ring(StrEnum):
    """Closeness: the map's rings, from the centre out."""

    CLOSE = "close"
    MIDDLE = "middle"
    OUTER = "outer"


class Support(StrEnum):
    EMOTIONAL = "emotional"
    PRACTICAL = "practical"
    INFORMATION = "information"
    COMPANIONSHIP = "companionship"
    ADVICE = "advice"


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    LESS_OFTEN = "less_often"
    NOT_IN_TOUCH = "not_in_touch"


class Wish(StrEnum):
    """What the person wants from this connection."""

    KEEP = "keep"
    CLOSER = "closer"
    RECONNECT = "reconnect"
    FEWER = "fewer"


@dataclass(frozen=True)
class Entry:
    key: str  # stable across snapshots (a UUID in the database)
    label: str  # first name or initials only: third parties get minimal data
    kind: Kind
    category: Category
    ring: Ring
    supports: frozenset[Support] = field(default_factory=frozenset)
    frequency: Frequency | None = None
    wish: Wish | None = None


@dataclass(frozen=True)
class Tie:
    """An undirected tie between two entries of the same snapshot (keys in either order)."""

    a: str
    b: str


@dataclass(frozen=True)
class Snapshot:
    taken_on: date
    entries: tuple[Entry, ...]
    ties: tuple[Tie, ...] = ()

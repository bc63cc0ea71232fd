"""Synthetic connections maps: one to three dated snapshots for most people, reproducibly from a seed.

About 20 entries a map (DESIGN.md: ~100k connections at M, ~5M at L). Most open people have a map (some
closed people too, dated while they were open); a person's maps are a few months apart, and each later map
starts as a copy of the one before (same keys) with a few entries lost, a few gained (more often community
ties, as the work intends) and a few moved between rings. Entries are mostly family, friends and services,
as in studies of the social networks of people using community mental health services. Labels are first
names, initials or family words for people, and made-up names for groups, places and services: never
anything about a real third party. Some maps record ties between entries (family who know each other,
services that work together); the others leave ties out, as practitioners often do.

Measures are worked out once for all the new snapshots by `connections.batch.measures_store`.
"""

import random
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import accumulate

from faker import Faker

from connecting_people.connections import batch
from connecting_people.connections.domain import Category, Frequency, Kind, Ring, Support, Wish
from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.people.models import Person

C, K, R, S, F, W = Category, Kind, Ring, Support, Frequency, Wish

# Share of a first map's entries in each category (people using mental health services: family and services
# loom large, friends fewer than in the general population, few community ties yet).
CATEGORY_SHARE = {
    C.FAMILY: 24,
    C.PARTNER: 3,
    C.FRIEND: 16,
    C.NEIGHBOUR: 6,
    C.WORK_EDUCATION: 5,
    C.COMMUNITY_GROUP: 8,
    C.FAITH: 3,
    C.PEER_SUPPORT: 6,
    C.ONLINE: 5,
    C.SERVICES: 24,
}
# Entries gained at a later map: the work aims at community ties, so they are the likeliest.
GAINED_SHARE = {
    C.FAMILY: 5,
    C.PARTNER: 1,
    C.FRIEND: 18,
    C.NEIGHBOUR: 7,
    C.WORK_EDUCATION: 10,
    C.COMMUNITY_GROUP: 25,
    C.FAITH: 5,
    C.PEER_SUPPORT: 14,
    C.ONLINE: 5,
    C.SERVICES: 10,
}
KIND_SHARE = {
    C.FAMILY: {K.PERSON: 1},
    C.PARTNER: {K.PERSON: 1},
    C.FRIEND: {K.PERSON: 19, K.GROUP: 1},
    C.NEIGHBOUR: {K.PERSON: 1},
    C.WORK_EDUCATION: {K.PERSON: 1, K.PLACE: 1},
    C.COMMUNITY_GROUP: {K.GROUP: 13, K.PLACE: 7},
    C.FAITH: {K.GROUP: 6, K.PLACE: 3, K.PERSON: 1},
    C.PEER_SUPPORT: {K.GROUP: 3, K.PERSON: 2},
    C.ONLINE: {K.PERSON: 1, K.GROUP: 1},
    C.SERVICES: {K.SERVICE: 4, K.PERSON: 1},
}
# Close, middle, outer.
RING_SHARE = {
    C.FAMILY: (45, 35, 20),
    C.PARTNER: (90, 8, 2),
    C.FRIEND: (30, 45, 25),
    C.NEIGHBOUR: (5, 35, 60),
    C.WORK_EDUCATION: (5, 40, 55),
    C.COMMUNITY_GROUP: (10, 35, 55),
    C.FAITH: (20, 40, 40),
    C.PEER_SUPPORT: (15, 50, 35),
    C.ONLINE: (10, 40, 50),
    C.SERVICES: (10, 40, 50),
}
# Chance that an entry of the category gives each kind of support: emotional, practical, information,
# companionship, advice.
SUPPORT_CHANCE = {
    C.FAMILY: (0.60, 0.55, 0.20, 0.40, 0.35),
    C.PARTNER: (0.85, 0.70, 0.30, 0.80, 0.50),
    C.FRIEND: (0.55, 0.25, 0.20, 0.70, 0.30),
    C.NEIGHBOUR: (0.15, 0.40, 0.10, 0.30, 0.10),
    C.WORK_EDUCATION: (0.15, 0.20, 0.40, 0.40, 0.30),
    C.COMMUNITY_GROUP: (0.15, 0.10, 0.35, 0.70, 0.15),
    C.FAITH: (0.40, 0.20, 0.20, 0.50, 0.30),
    C.PEER_SUPPORT: (0.55, 0.15, 0.45, 0.50, 0.45),
    C.ONLINE: (0.30, 0.05, 0.40, 0.60, 0.20),
    C.SERVICES: (0.30, 0.50, 0.70, 0.05, 0.70),
}
FREQUENCIES = (F.DAILY, F.WEEKLY, F.MONTHLY, F.LESS_OFTEN, F.NOT_IN_TOUCH)
FREQUENCY_SHARE = {R.CLOSE: (45, 40, 10, 4, 1), R.MIDDLE: (10, 40, 30, 15, 5), R.OUTER: (2, 18, 30, 35, 15)}
WISHES = (W.KEEP, W.CLOSER, W.RECONNECT, W.FEWER)
WISH_SHARE = (60, 22, 8, 5)  # the rest (5 in 100) leave the wish blank
# Chance that two entries of these categories are recorded as knowing each other, when ties are recorded.
TIE_CHANCE = {C.FAMILY: 0.6, C.PARTNER: 0.6, C.SERVICES: 0.2, C.FRIEND: 0.15}
OTHER_TIE_CHANCE = 0.08  # two entries of another same category (say, two members of one group)
FAMILY_WORDS = ["Mum", "Dad", "Nan", "Gran", "Grandad", "Auntie", "Uncle", "Stepdad", "Stepmum"]
NAMES = {
    (C.FRIEND, K.GROUP): ["School friends", "Friends from work", "The lads", "Uni friends"],
    (C.WORK_EDUCATION, K.PLACE): [
        "College",
        "Charity shop",
        "Volunteer centre",
        "Warehouse job",
        "Adult learning course",
        "Work placement",
        "Café job",
    ],
    (C.COMMUNITY_GROUP, K.GROUP): [
        "Walking group",
        "Allotment society",
        "Knit and natter",
        "Men's shed",
        "Community choir",
        "Football club",
        "Book club",
        "Art class",
        "Park run",
        "Quiz team",
        "Bowls club",
        "Food bank volunteers",
        "Conservation volunteers",
    ],
    (C.COMMUNITY_GROUP, K.PLACE): ["Library", "Community café", "Leisure centre", "Community centre", "Park"],
    (C.FAITH, K.GROUP): ["Church", "Bible study group", "Mosque", "Gurdwara", "Quaker meeting", "Temple"],
    (C.FAITH, K.PLACE): ["St Mary's church", "Local mosque", "Cathedral", "Synagogue"],
    (C.PEER_SUPPORT, K.GROUP): [
        "Hearing voices group",
        "Recovery college",
        "Peer support group",
        "Mind drop-in",
        "AA meeting",
        "Carers' group",
        "Men's mental health group",
    ],
    (C.ONLINE, K.GROUP): ["Gaming friends", "Online forum", "WhatsApp group", "Discord server"],
    (C.SERVICES, K.SERVICE): [
        "GP",
        "Care coordinator",
        "Community mental health team",
        "Pharmacy",
        "Jobcentre",
        "Housing officer",
        "Support worker",
        "Psychiatrist",
        "Citizens Advice",
        "Crisis team",
        "Social worker",
        "Talking therapies",
        "Dentist",
    ],
}

# Share of people with a map: most open cases, fewer closed ones (their map is dated while they were open).
OPEN_WITH_MAP, CLOSED_WITH_MAP = 0.8, 0.4
SNAPSHOT_COUNT_SHARE = {1: 50, 2: 35, 3: 15}
ENTRIES_MEAN, ENTRIES_SD, ENTRIES_MIN, ENTRIES_MAX = 18, 6, 4, 40
TIES_RECORDED = 0.7  # share of first maps whose ties were asked about
PEOPLE_A_CHUNK = 2_000  # people whose maps are held in memory at once
INSERT_BATCH = 5_000


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


_CATEGORIES, _CATEGORY_CUM = list(CATEGORY_SHARE), _cumulative(list(CATEGORY_SHARE.values()))
_GAINED_CUM = _cumulative([GAINED_SHARE[category] for category in _CATEGORIES])
_KINDS = {
    category: (list(shares), _cumulative(list(shares.values()))) for category, shares in KIND_SHARE.items()
}
_RING_CUM = {category: _cumulative(shares) for category, shares in RING_SHARE.items()}
_FREQUENCY_CUM = {ring: _cumulative(shares) for ring, shares in FREQUENCY_SHARE.items()}
_WISH_CUM = _cumulative([*WISH_SHARE, 100 - sum(WISH_SHARE)])
_RINGS = list(Ring)
_SUPPORTS = list(Support)


@dataclass(frozen=True)
class DrawnEntry:
    key: uuid.UUID
    label: str
    kind: Kind
    category: Category
    ring: Ring
    supports: tuple[Support, ...]
    frequency: Frequency | None
    wish: Wish | None


@dataclass
class DrawnMap:
    taken_on: date
    entries: list[DrawnEntry]
    ties: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)  # smaller key first
    ties_recorded: bool = True


class MapDrawer:
    """Draws plausible maps from one random generator (and a pool of fake first names drawn once from Faker)."""

    def __init__(self, rng: random.Random, fake: Faker, *, names: int = 400):
        self.rng = rng
        self.first_names = sorted({fake.first_name() for _ in range(names)})

    def key(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def label(self, category: Category, kind: Kind, taken: set[str]) -> str:
        """A first name, initials or family word for a person; a made-up name for anything else."""
        rng = self.rng
        for _ in range(5):  # avoid two entries with the same label on one map when there is a choice
            if kind is not K.PERSON:
                names = NAMES.get((category, kind)) or NAMES[(C.COMMUNITY_GROUP, K.GROUP)]
                label = rng.choice(names)
            elif category is C.FAMILY and rng.random() < 0.4:
                label = rng.choice(FAMILY_WORDS)
            elif rng.random() < 0.1:
                label = "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(2))
            else:
                label = rng.choice(self.first_names)
            if label not in taken:
                break
        taken.add(label)
        return label

    def entry(self, category: Category, taken: set[str]) -> DrawnEntry:
        rng = self.rng
        kinds, kind_cum = _KINDS[category]
        kind = rng.choices(kinds, cum_weights=kind_cum)[0]
        ring = rng.choices(_RINGS, cum_weights=_RING_CUM[category])[0]
        chances = SUPPORT_CHANCE[category]
        supports = tuple(
            support for support, chance in zip(_SUPPORTS, chances, strict=True) if rng.random() < chance
        )
        frequency = (
            None if rng.random() < 0.1 else rng.choices(FREQUENCIES, cum_weights=_FREQUENCY_CUM[ring])[0]
        )
        wish = rng.choices([*WISHES, None], cum_weights=_WISH_CUM)[0]
        if frequency is F.NOT_IN_TOUCH and wish is W.CLOSER:
            wish = W.RECONNECT
        return DrawnEntry(
            self.key(), self.label(category, kind, taken), kind, category, ring, supports, frequency, wish
        )

    def categories(self, count: int, cum_weights: list[float], has_partner: bool) -> list[Category]:
        chosen = []
        for category in self.rng.choices(_CATEGORIES, cum_weights=cum_weights, k=count):
            if category is C.PARTNER:
                if has_partner:
                    category = C.FRIEND  # one partner a map
                has_partner = True
            chosen.append(category)
        return chosen

    def ties_among(
        self, new: Sequence[DrawnEntry], others: Sequence[DrawnEntry]
    ) -> set[tuple[uuid.UUID, uuid.UUID]]:
        """Ties between each new entry and the others (and the new ones among themselves)."""
        rng = self.rng
        ties = set()
        seen = list(others)
        for entry in new:
            for other in seen:
                family = {entry.category, other.category} <= {C.FAMILY, C.PARTNER}
                if family or entry.category is other.category:
                    chance = TIE_CHANCE.get(entry.category, OTHER_TIE_CHANCE)
                    if rng.random() < chance:
                        ties.add((entry.key, other.key) if entry.key < other.key else (other.key, entry.key))
            seen.append(entry)
        return ties

    def first_map(self, taken_on: date) -> DrawnMap:
        rng = self.rng
        size = min(ENTRIES_MAX, max(ENTRIES_MIN, round(rng.gauss(ENTRIES_MEAN, ENTRIES_SD))))
        taken: set[str] = set()
        entries = [self.entry(category, taken) for category in self.categories(size, _CATEGORY_CUM, False)]
        recorded = rng.random() < TIES_RECORDED
        return DrawnMap(taken_on, entries, self.ties_among(entries, []) if recorded else set(), recorded)

    def sized_map(self, taken_on: date, *, entries: int, ties: int) -> DrawnMap:
        """A map of exactly `entries` entries (first-map proportions) and `ties` ties between random pairs:
        the large maps benchmarks need. Raises ValueError when there are not that many pairs."""
        taken: set[str] = set()
        drawn = [self.entry(category, taken) for category in self.categories(entries, _CATEGORY_CUM, False)]
        pairs = [(a, b) for a in range(entries) for b in range(a + 1, entries)]
        if ties > len(pairs):
            raise ValueError(f"{entries} entries have only {len(pairs)} possible ties")
        chosen = set()
        for a, b in self.rng.sample(pairs, ties):
            key_a, key_b = drawn[a].key, drawn[b].key
            chosen.add((key_a, key_b) if key_a < key_b else (key_b, key_a))
        return DrawnMap(taken_on, drawn, chosen, True)

    def later_map(self, before: DrawnMap, taken_on: date) -> DrawnMap:
        """A copy of `before` (same keys) with a few entries lost, a few gained and a few moved ring."""
        rng = self.rng
        entries = list(before.entries)
        for _ in range(min(rng.choice((0, 1, 1, 2, 2, 3)), max(len(entries) - ENTRIES_MIN, 0))):
            entries.pop(rng.randrange(len(entries)))
        for index in rng.sample(range(len(entries)), min(rng.randint(1, 3), len(entries))):
            entry = entries[index]
            step = -1 if rng.random() < 0.6 else 1  # more often closer: the work helps
            ring = _RINGS[min(max(_RINGS.index(entry.ring) + step, 0), len(_RINGS) - 1)]
            wish = W.KEEP if step < 0 and entry.wish in (W.CLOSER, W.RECONNECT) else entry.wish
            entries[index] = replace(entry, ring=ring, wish=wish)
        taken = {entry.label for entry in entries}
        has_partner = any(entry.category is C.PARTNER for entry in entries)
        gained_count = rng.choice((0, 1, 2, 2, 3, 4))
        gained = [self.entry(c, taken) for c in self.categories(gained_count, _GAINED_CUM, has_partner)]
        kept = {entry.key for entry in entries}
        ties = {tie for tie in before.ties if tie[0] in kept and tie[1] in kept}
        if before.ties_recorded:
            ties |= self.ties_among(gained, entries)
        return DrawnMap(taken_on, entries + gained, ties, before.ties_recorded)

    def dates(self, start: date, end: date, count: int, *, squeeze: bool) -> list[date]:
        """Up to `count` dates a few months apart from a few weeks after `start`, none after `end`. With
        `squeeze`, `count` distinct dates between `start` and `end` when the usual spacing does not fit."""
        rng = self.rng
        dates = [start + timedelta(days=rng.randint(7, 42))]
        for _ in range(count - 1):
            dates.append(dates[-1] + timedelta(days=rng.randint(70, 150)))
        if dates[-1] <= end or not squeeze or (end - start).days + 1 < count:
            return [day for day in dates if day <= end]
        return sorted(
            start + timedelta(days=offset) for offset in rng.sample(range((end - start).days + 1), count)
        )


@dataclass(frozen=True)
class MapCounts:
    snapshots: int = 0
    entries: int = 0
    ties: int = 0

    def __add__(self, other: "MapCounts") -> "MapCounts":
        return MapCounts(
            self.snapshots + other.snapshots, self.entries + other.entries, self.ties + other.ties
        )


def generate_maps(
    *,
    people: Sequence[Person],
    workers_by_team: dict[int, list[int]],
    seed: int,
    today: date,
    at_least_two: Collection[int] = (),
    snapshots_each: int | None = None,
) -> MapCounts:
    """Create maps for these people and store their measures; returns how many snapshots, entries and ties.

    `people` need pk, team_id, allocated_worker_id, opened_on, status and closed_on loaded. People whose pk is
    in `at_least_two` get two or three maps (a demo needs something to compare); `snapshots_each` gives every
    person exactly that many (benchmarks), dates squeezed together where the usual spacing does not fit.
    The same people, seed and day give the same maps (keys included).
    """
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    drawer = MapDrawer(rng, fake)
    wanted = set(at_least_two)
    counts = MapCounts()
    ordered = sorted(people, key=lambda person: person.pk)
    for start in range(0, len(ordered), PEOPLE_A_CHUNK):
        plans = []
        for person in ordered[start : start + PEOPLE_A_CHUNK]:
            closed = person.status == Person.Status.CLOSED
            end = min(today, person.closed_on) if closed and person.closed_on else today
            if snapshots_each is not None:
                count, squeeze = snapshots_each, True
            elif person.pk in wanted:
                count, squeeze = rng.choice((2, 2, 3)), True
            elif rng.random() < (CLOSED_WITH_MAP if closed else OPEN_WITH_MAP):
                count, squeeze = (
                    rng.choices(list(SNAPSHOT_COUNT_SHARE), list(SNAPSHOT_COUNT_SHARE.values()))[0],
                    False,
                )
            else:
                continue
            dates = drawer.dates(person.opened_on, end, count, squeeze=squeeze)
            if not dates:
                continue
            worker = person.allocated_worker_id or rng.choice(workers_by_team[person.team_id])
            maps = [drawer.first_map(dates[0])]
            for day in dates[1:]:
                maps.append(drawer.later_map(maps[-1], day))
            plans.append((person.pk, worker, maps))
        counts += store_maps(plans)
    return counts


def store_maps(
    plans: Sequence[tuple[int, int, list[DrawnMap]]], *, after: dict[int, MapSnapshot] | None = None
) -> MapCounts:
    """Insert drawn maps and store their measures; returns how many snapshots, entries and ties.

    `plans` holds (person id, id of the worker who made the maps, the person's maps oldest first). A person's
    first drawn map follows their snapshot in `after`, when given (it must be dated earlier). One bulk insert
    a wave of snapshots (each wave's `previous` is the wave before), then entries, then ties; measures in bulk.
    """
    if not plans:
        return MapCounts()
    stored: list[tuple[MapSnapshot, DrawnMap]] = []
    waves = max(len(maps) for _, _, maps in plans)
    previous: dict[int, MapSnapshot] = dict(after or {})
    for wave in range(waves):
        rows = []
        for person_id, worker, maps in plans:
            if wave < len(maps):
                before = previous.get(person_id)
                rows.append(
                    (
                        person_id,
                        maps[wave],
                        MapSnapshot(
                            person_id=person_id,
                            taken_on=maps[wave].taken_on,
                            previous=before,
                            source="copy" if before else "new",
                            created_by_id=worker,
                        ),
                    )
                )
        MapSnapshot.objects.bulk_create([row for _, _, row in rows], batch_size=INSERT_BATCH)
        for person_id, drawn, row in rows:
            previous[person_id] = row
            stored.append((row, drawn))

    entries = [
        MapEntry(
            snapshot_id=snapshot.pk,
            key=entry.key,
            label=entry.label,
            kind=entry.kind.value,
            category=entry.category.value,
            ring=entry.ring.value,
            supports=[support.value for support in entry.supports],
            frequency=entry.frequency.value if entry.frequency else "",
            wish=entry.wish.value if entry.wish else "",
        )
        for snapshot, drawn in stored
        for entry in drawn.entries
    ]
    MapEntry.objects.bulk_create(entries, batch_size=INSERT_BATCH)
    entry_id = {(row.snapshot_id, row.key): row.pk for row in entries}
    ties = []
    for snapshot, drawn in stored:
        for a, b in sorted(drawn.ties):
            ends = sorted((entry_id[(snapshot.pk, a)], entry_id[(snapshot.pk, b)]))
            ties.append(MapTie(snapshot_id=snapshot.pk, a_id=ends[0], b_id=ends[1]))
    MapTie.objects.bulk_create(ties, batch_size=INSERT_BATCH)
    ids = [snapshot.pk for snapshot, _ in stored]
    batch.measures_store(MapSnapshot.objects.filter(pk__gte=min(ids), pk__lte=max(ids)))
    return MapCounts(len(stored), len(entries), len(ties))

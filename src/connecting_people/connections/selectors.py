"""Reads of connections maps, always through a person the actor can reach (NotFoundError otherwise).

Reads start from the actor's scoped maps (`core.scoping.scoped`); a `person` given with the actor comes from a
scoped read too (`people.selectors.person_get` or `person_open`). Functions given a snapshot read within one
that came from such a read.
"""

from dataclasses import dataclass

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast

from connecting_people.accounts.actor import Actor
from connecting_people.connections.domain import (
    Category,
    Entry,
    Frequency,
    Kind,
    Ring,
    Snapshot,
    Support,
    Tie,
    Wish,
)
from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.core.errors import NotFoundError
from connecting_people.core.scoping import scoped
from connecting_people.people.models import Person
from connecting_people.people.selectors import person_get


def snapshots_for(*, actor: Actor, person: Person) -> list[MapSnapshot]:
    """The person's snapshots, oldest first (without their entries)."""
    return list(scoped(actor, MapSnapshot).filter(person=person).order_by("taken_on", "id"))


def snapshot_rows(*, actor: Actor, person: Person) -> QuerySet[MapSnapshot]:
    """The person's snapshots as a query (without their entries), for a caller that pages or orders them."""
    return scoped(actor, MapSnapshot).filter(person=person)


def snapshot_get(*, actor: Actor, person_id: int, snapshot_id: int) -> MapSnapshot:
    """One snapshot of a person the actor can reach; NotFoundError for anything else."""
    return snapshot_of(
        actor=actor, person=person_get(actor=actor, person_id=person_id), snapshot_id=snapshot_id
    )


def snapshot_of(*, actor: Actor, person: Person, snapshot_id) -> MapSnapshot:
    try:
        snapshot = scoped(actor, MapSnapshot).get(person=person, pk=snapshot_id)
    except (MapSnapshot.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError("No such map") from error
    snapshot.person = person
    return snapshot


def newest_first(*, actor: Actor, person_id: int) -> QuerySet[MapSnapshot]:
    """The person's snapshots, latest first: the one definition of "the latest map" (the latest date, and of
    two on one day the one made last). `.first()` is the latest; a writer adds `select_for_update()`."""
    return scoped(actor, MapSnapshot).filter(person_id=person_id).order_by("-taken_on", "-id")


def latest_snapshot(*, actor: Actor, person: Person) -> MapSnapshot | None:
    snapshot = newest_first(actor=actor, person_id=person.pk).first()
    if snapshot is not None:
        snapshot.person = person
    return snapshot


def latest_id(*, actor: Actor, person_id: int) -> int | None:
    return newest_first(actor=actor, person_id=person_id).values_list("pk", flat=True).first()


def has_map(person_field: str = "pk") -> Exists:
    """Whether the person `person_field` of the outer query's row names has a map: for annotating people from
    a scoped read in one query, without another app querying maps itself."""
    return Exists(MapSnapshot.objects.filter(person=OuterRef(person_field)))


def is_latest(*, actor: Actor, snapshot: MapSnapshot) -> bool:
    return latest_id(actor=actor, person_id=snapshot.person_id) == snapshot.pk


def entries_of(snapshot: MapSnapshot) -> QuerySet[MapEntry]:
    return MapEntry.objects.filter(snapshot=snapshot).order_by("id")


def entry_of(*, actor: Actor, person: Person, entry_id) -> MapEntry:
    """An entry of one of the person's snapshots (with its snapshot); NotFoundError otherwise."""
    try:
        entry = scoped(actor, MapEntry).select_related("snapshot").get(pk=entry_id, snapshot__person=person)
    except (MapEntry.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError("No such entry") from error
    entry.snapshot.person = person
    return entry


def entry_in(*, actor: Actor, person: Person, snapshot: MapSnapshot, entry_id) -> MapEntry:
    """An entry of this snapshot (one from a scoped read) of the person; NotFoundError otherwise, an entry of
    another of their maps included."""
    entry = entry_of(actor=actor, person=person, entry_id=entry_id)
    if entry.snapshot_id != snapshot.pk:
        raise NotFoundError("No such entry")
    return entry


def tied_entry_ids(entry: MapEntry) -> list[int]:
    """Ids of the entries tied to `entry` (of its snapshot), in order: one query."""
    pairs = MapTie.objects.filter(snapshot_id=entry.snapshot_id).filter(Q(a=entry) | Q(b=entry))
    return sorted(a if b == entry.pk else b for a, b in pairs.values_list("a_id", "b_id"))


def tie_pairs(snapshot: MapSnapshot) -> list[tuple[int, int]]:
    """The snapshot's ties as (entry id, entry id) pairs, lower id first."""
    return list(MapTie.objects.filter(snapshot=snapshot).values_list("a_id", "b_id"))


def as_entry(row: MapEntry) -> Entry:
    """The plain-data entry of a stored one; its key is the UUID as text."""
    return Entry(
        key=str(row.key),
        label=row.label,
        kind=Kind(row.kind),
        category=Category(row.category),
        ring=Ring(row.ring),
        supports=frozenset(Support(code) for code in row.supports),
        frequency=Frequency(row.frequency) if row.frequency else None,
        wish=Wish(row.wish) if row.wish else None,
    )


@dataclass
class LoadedSnapshot:
    """A stored snapshot with its rows and its plain-data twin, loaded in two queries."""

    snapshot: MapSnapshot
    rows: list[MapEntry]
    tie_ids: list[tuple[int, int]]
    domain: Snapshot

    def row_for_key(self) -> dict[str, MapEntry]:
        return {str(row.key): row for row in self.rows}


def snapshot_load(snapshot: MapSnapshot) -> LoadedSnapshot:
    """Entries and ties of one snapshot: two queries whatever its size."""
    rows = list(entries_of(snapshot))
    pairs = tie_pairs(snapshot)
    key_of = {row.pk: str(row.key) for row in rows}
    domain = Snapshot(
        taken_on=snapshot.taken_on,
        entries=tuple(as_entry(row) for row in rows),
        ties=tuple(Tie(key_of[a], key_of[b]) for a, b in pairs),
    )
    return LoadedSnapshot(snapshot, rows, pairs, domain)


def snapshot_domain(snapshot: MapSnapshot) -> Snapshot:
    return snapshot_load(snapshot).domain


def previous_of(snapshot: MapSnapshot, snapshots: list[MapSnapshot]) -> MapSnapshot | None:
    """The snapshot before this one (from a list `snapshots_for` gave)."""
    return next((other for other in snapshots if other.pk == snapshot.previous_id), None)


# --- maps of people a caller reached through its own scope (the study export reaches them through the study's
# participants): plain rows and plain `Snapshot`s, a fixed number of queries whatever the number of maps.


def map_dates_of_people(*, person_ids, created_before):
    """(person id, snapshot id, date taken) of the maps of `person_ids` saved by `created_before`, by person and
    date: one query."""
    return (
        MapSnapshot.objects.filter(person_id__in=person_ids, created_at__lte=created_before)
        .order_by("person_id", "taken_on", "pk")
        .values_list("person_id", "pk", "taken_on")
    )


def snapshots_by_id(*, snapshot_ids: list[int]) -> dict[int, Snapshot]:
    """The stored maps `snapshot_ids` as plain `Snapshot`s: three queries for all of them."""
    dates = dict(MapSnapshot.objects.filter(pk__in=snapshot_ids).values_list("pk", "taken_on"))
    entries: dict[int, list[Entry]] = {pk: [] for pk in snapshot_ids}
    key_of: dict[int, str] = {}
    rows = (
        MapEntry.objects.filter(snapshot_id__in=snapshot_ids)
        .only(
            "id", "snapshot_id", "key", "label", "kind", "category", "ring", "supports", "frequency", "wish"
        )
        .order_by("snapshot_id", "id")
    )
    for row in rows:
        entry = as_entry(row)
        entries[row.snapshot_id].append(entry)
        key_of[row.pk] = entry.key
    ties: dict[int, list[Tie]] = {pk: [] for pk in snapshot_ids}
    for snapshot_id, a, b in MapTie.objects.filter(snapshot_id__in=snapshot_ids).values_list(
        "snapshot_id", "a_id", "b_id"
    ):
        ties[snapshot_id].append(Tie(key_of[a], key_of[b]))
    return {
        pk: Snapshot(taken_on=dates[pk], entries=tuple(entries[pk]), ties=tuple(ties[pk])) for pk in snapshot_ids
    }


def person_labels_on_maps(*, person_ids) -> QuerySet:
    """The distinct labels of the people (entries of kind person) on the maps of `person_ids` (a list or a
    subquery of ids): one query, to iterate."""
    return (
        MapEntry.objects.filter(snapshot__person_id__in=person_ids, kind=Kind.PERSON)
        .values_list("label", flat=True)
        .distinct()
        .order_by()
    )


def first_map_taken_on(person_ref: str = "pk") -> Subquery:
    """The date of a person's first map, as a subquery on `person_ref` of the outer query (for counts)."""
    return Subquery(
        MapSnapshot.objects.filter(person=OuterRef(person_ref)).order_by("taken_on").values("taken_on")[:1]
    )


# --- stored maps in bulk (`batch`: measures of many maps at once, for dashboards and bulk loads) -----------------
# These take the snapshots to read from their caller (all of them when None): maintenance and synthetic loads that
# act for nobody in particular, or a caller's own scoped read. Plain rows, never model instances.

# Keys and supports are read as text: building a UUID object or decoding JSON for each of millions of rows
# costs more than the rest of the load (`batch` writes keys as `str(uuid)` does and decodes each distinct text once).
_KEY_TEXT = Cast("key", CharField())
_SUPPORTS_TEXT = Cast("supports", TextField())


@dataclass(frozen=True)
class StoredMapRows:
    """One chunk of stored snapshots as rows.

    heads:    (snapshot id, previous snapshot id or None), ascending by id: the chunk's snapshots.
    entries:  (snapshot id, entry id, key text, category, kind, ring, supports as JSON text) of the entries of
              the chunk's id range (a snapshot committed in the range after `heads` were read may show up).
    earlier:  (snapshot id, key text) of the entries of the previous snapshots that are not in the chunk.
    ties:     (snapshot id, entry a id, entry b id) of the ties of the chunk's id range.
    """

    heads: list[tuple[int, int | None]]
    entries: list[tuple]
    earlier: list[tuple]
    ties: list[tuple]


def every_snapshot() -> QuerySet[MapSnapshot]:
    """Every stored snapshot, for bulk maintenance (`batch.measures_store`)."""
    return MapSnapshot.objects.all()


def stored_map_rows(
    snapshots: QuerySet[MapSnapshot] | None, *, after: int, chunk_size: int, lock: bool
) -> StoredMapRows | None:
    """The next chunk of `snapshots` (all when None): up to `chunk_size` snapshots with ids above `after`, with
    their entries and ties, in four queries (None, after one, when none are left). `lock` locks the chunk's
    snapshot rows (`select_for_update`, in the caller's transaction)."""
    base = every_snapshot() if snapshots is None else snapshots
    heads = base.filter(pk__gt=after).order_by("pk")
    if lock:
        heads = heads.select_for_update(of=("self",))
    rows = list(heads.values_list("pk", "previous_id")[:chunk_size])
    if not rows:
        return None
    low, high = rows[0][0], rows[-1][0]

    # The chunk is an id range; a filtered queryset may leave gaps in it, which its own subquery skips.
    chunk = base.filter(pk__gte=low, pk__lte=high)
    entries = MapEntry.objects.filter(snapshot_id__gte=low, snapshot_id__lte=high).order_by()
    ties = MapTie.objects.filter(snapshot_id__gte=low, snapshot_id__lte=high).order_by()
    if base.query.has_filters():
        entries = entries.filter(snapshot__in=chunk.values("pk"))
        ties = ties.filter(snapshot__in=chunk.values("pk"))
    entry_rows = list(
        entries.values_list("snapshot_id", "pk", _KEY_TEXT, "category", "kind", "ring", _SUPPORTS_TEXT)
    )
    # Previous snapshots outside the chunk: only their keys matter (is an entry new since then?).
    earlier = chunk.exclude(previous__isnull=True).exclude(previous__in=chunk.values("pk"))
    earlier_rows = list(
        MapEntry.objects.filter(snapshot__in=earlier.values("previous"))
        .order_by()
        .values_list("snapshot_id", _KEY_TEXT)
    )
    tie_rows = list(ties.values_list("snapshot_id", "a_id", "b_id"))
    return StoredMapRows(heads=rows, entries=entry_rows, earlier=earlier_rows, ties=tie_rows)


# --- everything held about one person (the data protection officer's subject access and erasure preview) --------


@dataclass(frozen=True)
class MapHeld:
    snapshot: MapSnapshot
    entries: list[MapEntry]  # in the order they were added
    ties: list[MapTie]  # by the entries they tie


def maps_held_about(*, person: Person) -> list[MapHeld]:
    """Every connections map of a person already reached (by the caller's own reach), oldest first, with its
    entries and ties and who made it: three queries whatever the number of maps."""
    snapshots = list(
        MapSnapshot.objects.filter(person=person).select_related("created_by").order_by("taken_on", "id")
    )
    ids = [snapshot.pk for snapshot in snapshots]
    entries: dict[int, list[MapEntry]] = {pk: [] for pk in ids}
    for entry in MapEntry.objects.filter(snapshot_id__in=ids).order_by("id"):
        entries[entry.snapshot_id].append(entry)
    ties: dict[int, list[MapTie]] = {pk: [] for pk in ids}
    for tie in MapTie.objects.filter(snapshot_id__in=ids).order_by("a_id", "b_id"):
        ties[tie.snapshot_id].append(tie)
    return [MapHeld(snapshot=s, entries=entries[s.pk], ties=ties[s.pk]) for s in snapshots]


def maps_held_counts(*, person: Person) -> dict[str, int]:
    """How many maps and map entries a person already reached has."""
    snapshots = MapSnapshot.objects.filter(person=person)
    return {
        "connections maps": snapshots.count(),
        "map entries": MapEntry.objects.filter(snapshot__in=snapshots).count(),
    }

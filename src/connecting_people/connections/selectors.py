"""Reads of connections maps, always through a person the actor can reach (NotFoundError otherwise).

Reads start from the actor's scoped maps (`core.scoping.scoped`); a `person` given with the actor comes from a
scoped read too (`people.selectors.person_get` or `person_open`). Functions given a snapshot read within one
that came from such a read.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

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

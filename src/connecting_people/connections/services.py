"""Every write to a connections map. Each runs in one transaction, keeps the snapshot's stored measures up to
date, and writes its audit event in the same transaction. Labels and other free text never enter the audit.

Only a person's latest snapshot can be changed: earlier ones are the record of how things were, and a
review compares against them.
"""

import uuid
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from connecting_people.accounts.actor import Actor
from connecting_people.audit.services import audit_record
from connecting_people.connections import lexicon, metrics, selectors
from connecting_people.connections.domain import (
    MAX_ENTRIES,
    MAX_TIES,
    Category,
    Entry,
    Frequency,
    Kind,
    Ring,
    Support,
    Tie,
    Wish,
)
from connecting_people.connections.interchange import (
    FORMATS,
    LABEL_MAX_LENGTH,
    NO_MAPPING,
    AttributeMapping,
    ImportReport,
    ImportResult,
    SessionResult,
    export_map,
    import_map,
    import_sessions,
    minimal_label,
    new_key,
)
from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.core.errors import NotFoundError, ServiceError, StaleRecordError
from connecting_people.core.scoping import scoped
from connecting_people.people.models import Person
from connecting_people.people.selectors import person_get
from connecting_people.people.services import person_for_change

# Keys of entries imported from another tool's file: uuid5(this, "person:<id>") is the namespace, so importing
# the same file into the same person twice gives the same keys (and a follow-up interview that kept its node
# ids lines up with the first). Fixed forever.
IMPORT_NAMESPACE = uuid.UUID("0d9a3c55-6a8e-5b0f-8c1e-5a3b9e7d2f40")

NOT_LATEST = "Only the latest map can be changed. Earlier maps are kept as they were, so reviews can compare."


@dataclass(frozen=True)
class EntryData:
    """What a practitioner records about one entry (codes as in `domain`). For `entry_add`, an empty kind,
    category or ring means "guess it from the label" (`lexicon.guess`)."""

    label: str
    kind: str
    category: str
    ring: str
    supports: tuple[str, ...] = ()
    frequency: str = ""
    wish: str = ""


@dataclass(frozen=True)
class RemovedEntry:
    """An entry as it was just before `entry_remove` took it off its map, with the keys of the entries it was
    tied to: all `entry_restore` needs to put it back. Plain values, so it can wait in the session."""

    snapshot_id: int
    key: str
    label: str
    kind: str
    category: str
    ring: str
    supports: tuple[str, ...]
    frequency: str
    wish: str
    tied_keys: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            name: list(value) if isinstance(value, tuple) else value for name, value in vars(self).items()
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "RemovedEntry":
        """The entry `as_dict` gave. ValueError (or KeyError, TypeError) for anything else."""
        return cls(
            snapshot_id=int(values["snapshot_id"]),
            key=str(uuid.UUID(str(values["key"]))),
            label=str(values["label"]),
            kind=str(values["kind"]),
            category=str(values["category"]),
            ring=str(values["ring"]),
            supports=tuple(str(code) for code in values["supports"]),
            frequency=str(values["frequency"]),
            wish=str(values["wish"]),
            tied_keys=tuple(str(uuid.UUID(str(key))) for key in values["tied_keys"]),
        )


def case_id_for(person: Person) -> str:
    """The id exports carry for the person: their record number, never a name or NHS number."""
    return str(person.pk)


def _audit(
    actor: Actor, person: Person, action: str, object_type: str, object_id: Any, summary: dict
) -> None:
    audit_record(
        actor=actor.user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        person_id=person.pk,
        summary=summary,
    )


def _checked_label(label: str, kind: str) -> str:
    text = " ".join(label.split())
    if not text:
        raise ServiceError("Enter a name for this entry", field="label", code="label_missing")
    if len(text) > LABEL_MAX_LENGTH:
        raise ServiceError(
            f"Name must be {LABEL_MAX_LENGTH} characters or fewer",
            field="label",
            code="label_too_long",
            params={"max_length": LABEL_MAX_LENGTH},
        )
    cleaned, changes = minimal_label(text, kind=Kind(kind))
    shortened = {"first word kept", "family name cut to its initial", "title dropped"} & set(changes)
    if kind == Kind.PERSON and shortened:
        raise ServiceError(
            "For a person, enter a first name or initials, and at most the first letter of the family name",
            field="label",
            code="label_not_minimal",
        )
    if not cleaned:
        raise ServiceError("Enter a name for this entry", field="label", code="label_missing")
    return cleaned


def _code(enum, value: str, field: str, message: str, *, blank: bool = False) -> str:
    """`value` if it is one of `enum`'s codes (or empty, when `blank`); ServiceError(message) otherwise (code
    "<field>_unknown", e.g. "ring_unknown")."""
    if (blank and value == "") or value in {member.value for member in enum}:
        return value
    raise ServiceError(message, field=field, code=f"{field}_unknown", params={field: value})


def _entry_fields(data: EntryData) -> dict[str, Any]:
    chosen = set(data.supports)
    kind = _code(Kind, data.kind, "kind", "Select whether it is a person, group, place or service")
    return {
        "label": _checked_label(data.label, kind),
        "kind": kind,
        "category": _code(Category, data.category, "category", "Select the relationship"),
        "ring": _code(Ring, data.ring, "ring", "Select how close they feel"),
        "supports": [support.value for support in Support if support.value in chosen],
        "frequency": _code(Frequency, data.frequency, "frequency", "Select how often", blank=True),
        "wish": _code(Wish, data.wish, "wish", "Select what the person would like", blank=True),
    }


def _guessed(data: EntryData, snapshot: MapSnapshot) -> EntryData:
    """`data` with an empty kind, category or ring filled in from its label, and from the relationship of the
    entry added to the map just before (see `lexicon.guess`)."""
    if data.kind and data.category and data.ring:
        return data
    last = selectors.entries_of(snapshot).order_by("-id").values_list("label", "category").first()
    previous = None
    if last is not None and last[1] in {category.value for category in Category}:
        previous = (last[0], Category(last[1]))
    found = lexicon.guess(data.label, previous=previous)
    return replace(
        data,
        kind=data.kind or found.kind.value,
        category=data.category or found.category.value,
        ring=data.ring or found.ring.value,
    )


def _map_full() -> ServiceError:
    return ServiceError(
        f"A map holds at most {MAX_ENTRIES:,} entries. Remove one to add another.",
        code="map_full",
        params={"max_entries": MAX_ENTRIES},
    )


def _shape_summary(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Codes only: the label is about a third party and stays out of the audit."""
    return {name: fields[name] for name in ("kind", "category", "ring", "supports", "frequency", "wish")}


def _locked_snapshot(actor: Actor, person: Person, snapshot_id) -> MapSnapshot:
    try:
        snapshot = scoped(actor, MapSnapshot).select_for_update().get(person=person, pk=snapshot_id)
    except (MapSnapshot.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError("No such map") from error
    if selectors.latest_id(actor=actor, person_id=person.pk) != snapshot.pk:
        raise ServiceError(NOT_LATEST, code="map_not_latest")
    snapshot.person = person
    return snapshot


def _latest_locked(actor: Actor, person: Person) -> MapSnapshot | None:
    """The person's latest map, locked until the transaction ends, so two new maps cannot both follow it."""
    return selectors.newest_first(actor=actor, person_id=person.pk).select_for_update().first()


def _refresh_measures(snapshot: MapSnapshot) -> None:
    """Work the snapshot's measures out again and store them (a few milliseconds for a large map)."""
    current = selectors.snapshot_domain(snapshot)
    previous = None
    if snapshot.previous_id:
        previous = selectors.snapshot_domain(MapSnapshot.objects.get(pk=snapshot.previous_id))
    snapshot.measures = metrics.snapshot_measures(current, previous)
    snapshot.save(update_fields=["measures", "updated_at"])


def _check_new_date(person: Person, taken_on: date, latest: MapSnapshot | None) -> None:
    if taken_on > timezone.localdate():
        raise ServiceError(
            "The date of the map must be today or in the past", field="taken_on", code="map_date_in_future"
        )
    if taken_on < person.date_of_birth:
        raise ServiceError(
            "The date of the map must be after the person's date of birth",
            field="taken_on",
            code="map_date_before_birth",
        )
    if latest is not None and taken_on <= latest.taken_on:
        raise ServiceError(
            f"The date must be after the last map's date ({latest.taken_on:%-d %B %Y})",
            field="taken_on",
            code="map_date_not_after_latest",
            params={"latest_taken_on": latest.taken_on},
        )


@contextmanager
def _one_map_per_day(taken_on: date):
    """Two new maps for the same day at the same moment both pass the date check; the database's unique
    constraint stops the second, and this gives it the message the check would have given."""
    try:
        yield
    except IntegrityError as error:
        if "map_snapshot_one_per_day" in str(error) or "taken_on" in str(error):
            raise ServiceError(
                f"There is already a map dated {taken_on:%-d %B %Y}",
                field="taken_on",
                code="map_date_taken",
                params={"taken_on": taken_on},
            ) from error
        raise


def snapshot_start(*, actor: Actor, person_id: int, taken_on: date) -> MapSnapshot:
    """Start the person's next map, dated `taken_on`: a copy of the latest one (same entries, same keys, same
    ties), or an empty map if this is the first. Raises ServiceError for a date not after the latest map's."""
    with _one_map_per_day(taken_on), transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        latest = _latest_locked(actor, person)
        _check_new_date(person, taken_on, latest)
        snapshot = MapSnapshot.objects.create(
            person=person,
            taken_on=taken_on,
            previous=latest,
            source="copy" if latest else "new",
            created_by=actor.user,
        )
        snapshot.person = person
        if latest is not None:
            loaded = selectors.snapshot_load(latest)
            _store_entries_and_ties(snapshot, loaded.domain.entries, loaded.domain.ties)
        _refresh_measures(snapshot)
        _audit(
            actor,
            person,
            "map.snapshot_started",
            "map_snapshot",
            snapshot.pk,
            {"taken_on": taken_on, "copied_from": latest.pk if latest else None},
        )
    return snapshot


def _store_entries_and_ties(snapshot: MapSnapshot, entries: Iterable[Entry], ties: Iterable[Tie]) -> None:
    rows = MapEntry.objects.bulk_create(
        MapEntry(
            snapshot=snapshot,
            key=uuid.UUID(entry.key),
            label=entry.label,
            kind=entry.kind.value,
            category=entry.category.value,
            ring=entry.ring.value,
            supports=[support.value for support in Support if support in entry.supports],
            frequency=entry.frequency.value if entry.frequency else "",
            wish=entry.wish.value if entry.wish else "",
        )
        for entry in entries
    )
    if any(row.pk is None for row in rows):  # every supported database returns ids from bulk_create
        rows = list(selectors.entries_of(snapshot))
    id_of = {str(row.key): row.pk for row in rows}
    pairs = {tuple(sorted((id_of[tie.a], id_of[tie.b]))) for tie in ties}
    MapTie.objects.bulk_create(MapTie(snapshot=snapshot, a_id=a, b_id=b) for a, b in sorted(pairs))


def entry_add(*, actor: Actor, person_id: int, snapshot_id: int, data: EntryData) -> MapEntry:
    """Add an entry to the person's latest map; an empty kind, relationship or ring is guessed from the label
    (`lexicon`). ServiceError for a label that is not minimal (a person's name with a family name), or when the
    map already holds MAX_ENTRIES (the limit an import has too)."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        # Locked: two adds at once cannot both pass the count.
        snapshot = _locked_snapshot(actor, person, snapshot_id)
        if selectors.entries_of(snapshot).count() >= MAX_ENTRIES:
            raise _map_full()
        fields = _entry_fields(_guessed(data, snapshot))
        entry = MapEntry.objects.create(snapshot=snapshot, **fields)
        _refresh_measures(snapshot)
        _audit(actor, person, "map.entry_added", "map_entry", entry.pk, _shape_summary(fields))
    return entry


def entry_add_first(*, actor: Actor, person_id: int, data: EntryData) -> MapEntry:
    """Add an entry to the person's latest map, starting their first map (dated today) when they have none:
    a map begins with its first entry, in one transaction (a refused entry starts no map). Otherwise as
    `entry_add`."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        latest = _latest_locked(actor, person)
        if latest is None:
            latest = snapshot_start(actor=actor, person_id=person.pk, taken_on=timezone.localdate())
        return entry_add(actor=actor, person_id=person.pk, snapshot_id=latest.pk, data=data)


def _locked_entry(actor: Actor, person_id: int, entry_id, expected_version: int) -> tuple[Person, MapEntry]:
    """The entry, with its map locked until the transaction ends (every write to a map takes that lock first).
    StaleRecordError when the entry is no longer at `expected_version`, the version the page was opened with."""
    person = person_for_change(actor=actor, person_id=person_id)
    snapshot_id = selectors.entry_of(actor=actor, person=person, entry_id=entry_id).snapshot_id
    snapshot = _locked_snapshot(actor, person, snapshot_id)
    # Read again under the lock: a save that committed while this one waited is seen now.
    entry = selectors.entry_of(actor=actor, person=person, entry_id=entry_id)
    if entry.version != expected_version:
        raise StaleRecordError()
    entry.snapshot = snapshot
    return person, entry


def _entries_changed(snapshot: MapSnapshot, entry_ids: Iterable[int]) -> None:
    """Move on the version of entries whose ties changed as a side effect, so a page opened on one of them
    before the change cannot put the old ties back."""
    ids = set(entry_ids)
    if ids:
        MapEntry.objects.filter(snapshot=snapshot, pk__in=ids).update(version=F("version") + 1)


def entry_update(
    *, actor: Actor, person_id: int, entry_id: int, expected_version: int, data: EntryData
) -> MapEntry:
    """Change an entry of the latest map. StaleRecordError when someone saved it since `expected_version`."""
    with transaction.atomic():
        person, entry = _locked_entry(actor, person_id, entry_id, expected_version)
        fields = _entry_fields(data)
        changed = sorted(name for name, value in fields.items() if getattr(entry, name) != value)
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.version += 1
        entry.save()
        _refresh_measures(entry.snapshot)
        summary = {"fields": changed} | {
            name: fields[name] for name in changed if name in _shape_summary(fields)
        }
        _audit(actor, person, "map.entry_changed", "map_entry", entry.pk, summary)
    return entry


def entry_move(
    *, actor: Actor, person_id: int, entry_id: int, expected_version: int, ring: str, category: str
) -> MapEntry:
    """Put an entry of the latest map in another ring or relationship (sector): what dragging it on the map,
    or moving it with the arrow keys, does. Nothing is written when both are as they were. StaleRecordError
    when someone saved the entry since `expected_version`; ServiceError for a ring or category that is not one."""
    ring = _code(Ring, ring, "ring", "Select how close they feel")
    category = _code(Category, category, "category", "Select the relationship")
    with transaction.atomic():
        person, entry = _locked_entry(actor, person_id, entry_id, expected_version)
        before = {"ring": entry.ring, "category": entry.category}
        if before == {"ring": ring, "category": category}:
            return entry
        entry.ring, entry.category = ring, category
        entry.version += 1
        entry.save(update_fields=["ring", "category", "version"])
        _refresh_measures(entry.snapshot)
        _audit(
            actor,
            person,
            "map.entry_moved",
            "map_entry",
            entry.pk,
            {"ring": ring, "category": category, "was": before},
        )
    return entry


def entry_remove(*, actor: Actor, person_id: int, entry_id: int, expected_version: int) -> RemovedEntry:
    """Take an entry off the latest map (earlier maps keep it), with its ties. Returns what `entry_restore`
    needs to undo it. StaleRecordError when someone changed the entry since `expected_version`: they may have
    made it something the person wants to keep."""
    with transaction.atomic():
        person, entry = _locked_entry(actor, person_id, entry_id, expected_version)
        entry_pk = entry.pk
        tied = _tied_to(entry)
        removed = RemovedEntry(
            snapshot_id=entry.snapshot_id,
            key=str(entry.key),
            label=entry.label,
            kind=entry.kind,
            category=entry.category,
            ring=entry.ring,
            supports=tuple(entry.supports),
            frequency=entry.frequency,
            wish=entry.wish,
            tied_keys=tuple(
                sorted(str(key) for key in MapEntry.objects.filter(pk__in=tied).values_list("key", flat=True))
            ),
        )
        entry.delete()
        _entries_changed(entry.snapshot, tied)
        _refresh_measures(entry.snapshot)
        _audit(actor, person, "map.entry_removed", "map_entry", entry_pk, {"key": str(entry.key)})
    return removed


def entry_restore(*, actor: Actor, person_id: int, snapshot_id: int, removed: RemovedEntry) -> MapEntry:
    """Put back an entry `entry_remove` took off (undo): same key and details, tied again to those of its
    entries still on the map. Only onto the map it came from, while that map is still the latest.
    ServiceError when that map has changed so it cannot go back (it is no longer the latest, the entry is on it
    again, or the map is full); NotFoundError for a map out of reach."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        snapshot = _locked_snapshot(actor, person, snapshot_id)
        if removed.snapshot_id != snapshot.pk:
            raise ServiceError(
                "That entry was taken off another map, so it cannot be put back on this one.",
                code="restore_other_map",
            )
        entries = selectors.entries_of(snapshot)
        if entries.filter(key=removed.key).exists():
            raise ServiceError(
                f"{removed.label} is already back on the map.",
                code="restore_already_back",
                params={"label": removed.label},
            )
        if entries.count() >= MAX_ENTRIES:
            raise _map_full()
        fields = _entry_fields(
            EntryData(
                label=removed.label,
                kind=removed.kind,
                category=removed.category,
                ring=removed.ring,
                supports=removed.supports,
                frequency=removed.frequency,
                wish=removed.wish,
            )
        )
        entry = MapEntry.objects.create(snapshot=snapshot, key=uuid.UUID(removed.key), **fields)
        others = sorted(
            entries.filter(key__in=removed.tied_keys).exclude(pk=entry.pk).values_list("pk", flat=True)
        )
        if MapTie.objects.filter(snapshot=snapshot).count() + len(others) > MAX_TIES:
            raise ServiceError(
                f"A map holds at most {MAX_TIES:,} ties, so its ties cannot all be put back.",
                code="map_ties_full",
                params={"max_ties": MAX_TIES},
            )
        MapTie.objects.bulk_create(
            MapTie(snapshot=snapshot, a_id=min(entry.pk, other), b_id=max(entry.pk, other))
            for other in others
        )
        _entries_changed(snapshot, others)
        _refresh_measures(snapshot)
        _audit(
            actor,
            person,
            "map.entry_restored",
            "map_entry",
            entry.pk,
            {"ties": len(others), **_shape_summary(fields)},
        )
    return entry


def _ties_of(entry: MapEntry):
    return MapTie.objects.filter(snapshot=entry.snapshot).filter(a=entry) | MapTie.objects.filter(
        snapshot=entry.snapshot, b=entry
    )


def _tied_to(entry: MapEntry) -> set[int]:
    """Ids of the entries tied to `entry`."""
    return {a if b == entry.pk else b for a, b in _ties_of(entry).values_list("a_id", "b_id")}


def entry_ties_set(
    *, actor: Actor, person_id: int, entry_id: int, expected_version: int, other_entry_ids: Iterable[int]
) -> MapEntry:
    """Record exactly which other entries of the same map this entry is tied to (knows, sees, is part of).
    StaleRecordError when the entry (its ties included) changed since `expected_version`."""
    with transaction.atomic():
        person, entry = _locked_entry(actor, person_id, entry_id, expected_version)
        wanted = set(other_entry_ids)
        found = set(selectors.entries_of(entry.snapshot).filter(pk__in=wanted).values_list("pk", flat=True))
        if wanted - found or entry.pk in wanted:
            raise ServiceError("Choose entries from this map only", field="ties", code="ties_not_on_map")
        existing = _ties_of(entry)
        current = _tied_to(entry)
        added, removed = wanted - current, current - wanted
        if (
            added
            and MapTie.objects.filter(snapshot=entry.snapshot).count() + len(added) - len(removed) > MAX_TIES
        ):
            raise ServiceError(
                f"A map holds at most {MAX_TIES:,} ties. Untick one to add another.",
                field="ties",
                code="map_ties_full",
                params={"max_ties": MAX_TIES},
            )
        if removed:
            existing.filter(a_id__in=removed).delete()
            existing.filter(b_id__in=removed).delete()
        MapTie.objects.bulk_create(
            MapTie(snapshot=entry.snapshot, a_id=min(entry.pk, other), b_id=max(entry.pk, other))
            for other in sorted(added)
        )
        if added or removed:
            entry.version += 1
            entry.save(update_fields=["version"])
            _entries_changed(entry.snapshot, added | removed)
        _refresh_measures(entry.snapshot)
        _audit(
            actor,
            person,
            "map.ties_changed",
            "map_entry",
            entry.pk,
            {"added": len(added), "removed": len(removed), "ties": len(wanted)},
        )
    return entry


# ---------------------------------------------------------------------------------------------------------
# Files


def map_export(
    *, actor: Actor, person_id: int, snapshot_id: int | None, format: str
) -> tuple[MapSnapshot, dict]:
    """The person's map (the latest, or `snapshot_id`) as files {name: text} in `format` (one of FORMATS).
    Audited: who exported which map in which format. NotFoundError when there is no such map in reach."""
    if format not in FORMATS:
        raise ServiceError(
            f"Choose a format: {', '.join(FORMATS)}",
            field="format",
            code="format_unknown",
            params={"formats": list(FORMATS)},
        )
    person = person_get(actor=actor, person_id=person_id)
    if snapshot_id is None:
        snapshot = selectors.latest_snapshot(actor=actor, person=person)
        if snapshot is None:
            raise NotFoundError("No map yet")
    else:
        snapshot = selectors.snapshot_of(actor=actor, person=person, snapshot_id=snapshot_id)
    files = export_map(
        selectors.snapshot_domain(snapshot),
        format=format,
        case_id=case_id_for(person),
        snapshot_id=str(snapshot.pk),
    )
    with transaction.atomic():
        _audit(
            actor,
            person,
            "map.exported",
            "map_snapshot",
            snapshot.pk,
            {"format": format, "files": len(files), "entries": snapshot.measures.get("size")},
        )
    return snapshot, files


def _with_keys_for(person: Person, result: ImportResult) -> ImportResult:
    """Keep the file's keys when it is our own export of this same person (so a restored map lines up with the
    maps it came from); otherwise derive keys from the file's ids within the person's namespace."""
    own = result.case_id == case_id_for(person)
    if own:
        try:
            for entry in result.entries:
                uuid.UUID(entry.key)
        except ValueError:
            own = False
    if own:
        return result
    namespace = uuid.uuid5(IMPORT_NAMESPACE, f"person:{person.pk}")
    key = {entry.key: new_key(entry.key, namespace) for entry in result.entries}
    return replace(
        result,
        entries=tuple(replace(entry, key=key[entry.key]) for entry in result.entries),
        ties=tuple(Tie(key[tie.a], key[tie.b]) for tie in result.ties),
    )


def _check_import_date(person: Person, taken_on: date, snapshots: list[MapSnapshot]) -> None:
    """An imported map may be dated before the latest (an older interview added to the history), but not in
    the future, before birth, or on a day that already has a map."""
    _check_new_date(person, taken_on, None)
    if any(snapshot.taken_on == taken_on for snapshot in snapshots):
        raise ServiceError(
            f"There is already a map dated {taken_on:%-d %B %Y}",
            field="taken_on",
            code="map_date_taken",
            params={"taken_on": taken_on},
        )


def _insert_imported(actor: Actor, person: Person, when: date, result: ImportResult) -> MapSnapshot:
    """A new snapshot holding `result`, put into the person's history in date order: after the last map
    dated before it, and (when it is older than their latest map) before the first map dated after it, whose
    `previous` now points at it and whose measures are worked out again, so every comparison between
    consecutive maps stays right. Locks all the person's maps first."""
    snapshots = list(selectors.newest_first(actor=actor, person_id=person.pk).select_for_update())
    _check_import_date(person, when, snapshots)
    before = next((snapshot for snapshot in snapshots if snapshot.taken_on < when), None)
    after = next((snapshot for snapshot in reversed(snapshots) if snapshot.taken_on > when), None)
    snapshot = MapSnapshot.objects.create(
        person=person,
        taken_on=when,
        previous=before,
        source=f"import:{result.report.format}",
        created_by=actor.user,
    )
    _store_entries_and_ties(snapshot, result.entries, result.ties)
    _refresh_measures(snapshot)
    if after is not None:
        after.previous = snapshot
        after.save(update_fields=["previous", "updated_at"])
        _refresh_measures(after)
    _audit(
        actor,
        person,
        "map.imported",
        "map_snapshot",
        snapshot.pk,
        {
            "format": result.report.format,
            "taken_on": when,
            "entries": result.report.entries_created,
            "ties": result.report.ties_created,
            "inserted_before": after.pk if after is not None else None,
        },
    )
    snapshot.person = person
    return snapshot


def snapshot_import(
    *,
    actor: Actor,
    person_id: int,
    files: Mapping[str, str | bytes],
    taken_on: date | None = None,
    mapping: AttributeMapping = NO_MAPPING,
    session: str | None = None,
) -> tuple[MapSnapshot, ImportReport]:
    """Read a map file (JSON, GraphML, or a Network Canvas CSV export) into a new snapshot for the person.

    The snapshot is dated `taken_on`, else the file's date, else today. A date before the person's latest map
    is an older interview: it goes into their history in date order (`_insert_imported`). mapping: a mapping
    file's rules for another tool's attributes; session: which session of an export holding several.
    Raises ImportRejected (file:line problems) for a malformed file and ServiceError for a date that does
    not fit (in the future, before birth, a day that has a map already); either way nothing is saved."""
    person = person_for_change(actor=actor, person_id=person_id)
    result = _with_keys_for(person, import_map(files, key_namespace=None, mapping=mapping, session=session))
    when = taken_on or result.taken_on or timezone.localdate()
    with _one_map_per_day(when), transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)  # again, locked: see its docstring
        snapshot = _insert_imported(actor, person, when, result)
    return snapshot, result.report


@dataclass(frozen=True)
class SessionMatch:
    """Which person one interview session of a study export goes to, and why (or why not)."""

    session: SessionResult
    person_id: int | None
    status: str  # "matched", "unmatched", "not reachable", "date taken"
    taken_on: date
    snapshot_id: int | None = None  # once imported

    def as_dict(self) -> dict[str, Any]:
        return {
            "session": self.session.name,
            "case_id": self.session.case_id,
            "session_id": self.session.session_id,
            "person_id": self.person_id,
            "status": self.status,
            "taken_on": self.taken_on.isoformat(),
            "entries": self.session.result.report.entries_created,
            "ties": self.session.result.report.ties_created,
            "snapshot_id": self.snapshot_id,
        }


@dataclass(frozen=True)
class SessionsPlan:
    """A study import: every session and its person, the people named in the matches that no session
    reached, and notes about the export. `ready` when every session has a person it can go to."""

    matches: tuple[SessionMatch, ...]
    people_not_reached: tuple[int, ...]
    notes: tuple[str, ...]
    applied: bool = False

    @property
    def ready(self) -> bool:
        return all(match.status == "matched" for match in self.matches)


def _person_for_session(session: SessionResult, matches: Mapping[str, int] | None) -> int | None:
    if matches is not None:
        for name in (session.name, session.session_id, session.case_id):
            if name and name in matches:
                return matches[name]
        return None
    # No matches given: the case id is our record number, as our own exports write it (people hold no other
    # case identifier).
    case = (session.case_id or "").strip()
    return int(case) if case.isdigit() and 0 < int(case) < 2**63 else None


def sessions_import(
    *,
    actor: Actor,
    files: Mapping[str, str | bytes],
    matches: Mapping[str, int] | None = None,
    apply: bool = False,
    mapping: AttributeMapping = NO_MAPPING,
    progress=None,
) -> SessionsPlan:
    """A study's export of many interview sessions (`interchange.import_sessions`) into several people's maps.

    matches: {case id or session id (or the session's file prefix): person id}; None matches each session's
    case id to the person of that record number. Each session goes to its person as an imported map dated by
    the session's start (older maps go into the history in date order). Without `apply` nothing is written:
    the plan says which session goes to whom, which are unmatched, which people are out of the actor's reach
    (never imported, never told apart from people who do not exist), and which dates are taken. With `apply`:
    all or nothing, in one transaction; ServiceError (nothing saved) unless every session is matched.
    progress: called with (done, total) after each session is written."""
    sessions, notes = import_sessions(files, key_namespace=None, mapping=mapping)
    today = timezone.localdate()
    reachable: dict[int, Person | None] = {}
    planned: list[SessionMatch] = []
    seen_days: set[tuple[int, date]] = set()
    for session in sessions:
        person_id = _person_for_session(session, matches)
        when = session.result.taken_on or today
        if person_id is None:
            planned.append(SessionMatch(session, None, "unmatched", when))
            continue
        if person_id not in reachable:
            try:
                reachable[person_id] = person_get(actor=actor, person_id=person_id)
            except (Http404, NotFoundError):
                reachable[person_id] = None
        person = reachable[person_id]
        if person is None:
            planned.append(SessionMatch(session, person_id, "not reachable", when))
            continue
        taken = (person_id, when) in seen_days or any(
            snapshot.taken_on == when for snapshot in selectors.snapshots_for(actor=actor, person=person)
        )
        seen_days.add((person_id, when))
        planned.append(SessionMatch(session, person_id, "date taken" if taken else "matched", when))
    named = set(matches.values()) if matches is not None else set()
    plan = SessionsPlan(
        matches=tuple(planned),
        people_not_reached=tuple(sorted(named - {match.person_id for match in planned})),
        notes=tuple(notes),
    )
    if not apply:
        return plan
    if not plan.ready:
        raise ServiceError(
            "Nothing imported: every session must go to a person you can reach, on a day without a map",
            code="sessions_not_ready",
        )
    done: list[SessionMatch] = []
    with transaction.atomic():
        for number, match in enumerate(plan.matches, start=1):
            assert match.person_id is not None
            with _one_map_per_day(match.taken_on):
                person = person_for_change(actor=actor, person_id=match.person_id)
                result = _with_keys_for(person, match.session.result)
                snapshot = _insert_imported(actor, person, match.taken_on, result)
            done.append(replace(match, snapshot_id=snapshot.pk))
            if progress is not None:
                progress(number, len(plan.matches))
    return replace(plan, matches=tuple(done), applied=True)


# ---------------------------------------------------------------------------------------------------------
# Stored measures worked out again in bulk (`batch.measures_store`)


def stored_measures_replace(*, measures: Iterable[tuple[int, dict[str, Any]]], batch_size: int) -> int:
    """Store each (snapshot id, measures) pair as that snapshot's `measures`, in the caller's transaction, with
    `batch_size` rows an UPDATE. `updated_at` is left alone (the map has not changed, only what is derived from it)
    and nothing is audited (measures hold no personal data beyond entry keys). Returns how many were written."""
    updated = [MapSnapshot(pk=snapshot_id, measures=values) for snapshot_id, values in measures]
    MapSnapshot.objects.bulk_update(updated, ["measures"], batch_size=batch_size)
    return len(updated)


def maps_erase_for_person(*, person: Person) -> dict[str, int]:
    """Erasure (privacy app, which has locked the person and audits the erasure): remove every connections map
    of the person with its entries and ties, in the caller's transaction. Rows removed, by model."""
    snapshots = MapSnapshot.objects.filter(person=person)
    snapshots.update(previous=None)  # each map protects the one it was copied from: untie them first
    return dict(snapshots.delete()[1])

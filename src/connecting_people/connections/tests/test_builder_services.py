"""The services behind building a map in one place: a name alone makes an entry (the rest guessed), entries move
between rings and relationships, and an entry taken off comes back with its ties (undo)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.connections import services
from connecting_people.connections.domain import MAX_ENTRIES
from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.connections.services import EntryData, RemovedEntry
from connecting_people.core.errors import ServiceError, StaleRecordError
from connecting_people.people.tests.factories import PersonFactory

TODAY = timezone.localdate()


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


@pytest.fixture
def snapshot(org, person):
    return services.snapshot_start(
        actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY - timedelta(days=5)
    )


@pytest.fixture
def add(org, person, snapshot):
    def add(label, kind="", category="", ring="", **more):
        return services.entry_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            data=EntryData(label=label, kind=kind, category=category, ring=ring, **more),
        )

    return add


def shape(entry: MapEntry) -> tuple[str, str, str]:
    entry.refresh_from_db()
    return (entry.kind, entry.category, entry.ring)


def everything():
    return (
        list(MapSnapshot.objects.values()),
        list(MapEntry.objects.order_by("pk").values()),
        list(MapTie.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


# --- a name alone ------------------------------------------------------------------------------------------


def test_a_name_alone_makes_an_entry_with_sensible_defaults(add):
    assert shape(add("Mum")) == ("person", "family", "close")
    assert shape(add("Care coordinator")) == ("service", "services", "outer")
    assert shape(add("Allotment society")) == ("group", "community_group", "middle")
    assert shape(add("Library")) == ("place", "community_group", "middle")
    assert shape(add("Sam")) == ("person", "friend", "middle")


def test_what_the_practitioner_gives_wins_over_the_guess(add):
    assert shape(add("Mum", ring="outer")) == ("person", "family", "outer")
    assert shape(add("Church", kind="place")) == ("place", "faith", "middle")


def test_a_relationship_chosen_for_the_entry_before_is_the_next_default(org, person, add):
    alex = add("Alex")
    services.entry_move(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=alex.pk,
        expected_version=1,
        ring="middle",
        category="work_education",
    )
    assert shape(add("Pat")) == ("person", "work_education", "middle")
    assert shape(add("GP")) == ("service", "services", "outer")  # a known name is not overruled
    assert shape(add("Kim")) == ("person", "friend", "middle")  # GP's relationship came from its name


def test_a_code_that_is_not_one_is_refused_and_nothing_saved(add):
    before = everything()
    for bad in ({"kind": "alien"}, {"category": "enemy"}, {"ring": "far"}, {"wish": "revenge"}):
        with pytest.raises(ServiceError):
            add("Sam", **bad)
    assert everything() == before


def test_a_person_with_a_family_name_is_still_refused(add):
    with pytest.raises(ServiceError, match="first name or initials, and at most the first letter"):
        add("Sam Jones")
    assert not MapEntry.objects.exists()


# --- moving ------------------------------------------------------------------------------------------------


def test_moving_changes_ring_and_relationship_and_is_audited_with_codes(org, person, snapshot, add):
    sam = add("Sam")
    moved = services.entry_move(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=sam.pk,
        expected_version=1,
        ring="close",
        category="neighbour",
    )
    assert (moved.ring, moved.category, moved.version) == ("close", "neighbour", 2)
    assert shape(sam) == ("person", "neighbour", "close")
    snapshot.refresh_from_db()
    assert snapshot.measures["by_ring"]["close"] == 1 and snapshot.measures["by_category"]["neighbour"] == 1
    event = AuditEvent.objects.filter(action="map.entry_moved").get()
    assert event.summary == {
        "ring": "close",
        "category": "neighbour",
        "was": {"ring": "middle", "category": "friend"},
    }
    assert "Sam" not in json.dumps(event.summary)


def test_moving_to_where_it_already_is_writes_nothing(org, person, add):
    sam = add("Sam")
    before = everything()
    services.entry_move(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=sam.pk,
        expected_version=1,
        ring="middle",
        category="friend",
    )
    assert everything() == before


def test_a_move_from_a_stale_page_or_to_nowhere_is_refused(org, person, add):
    sam = add("Sam")
    services.entry_move(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=sam.pk,
        expected_version=1,
        ring="close",
        category="friend",
    )
    before = everything()
    with pytest.raises(StaleRecordError):
        services.entry_move(
            actor=as_actor(org.lead),
            person_id=person.pk,
            entry_id=sam.pk,
            expected_version=1,
            ring="outer",
            category="friend",
        )
    for ring, category in (("far", "friend"), ("close", "enemy")):
        with pytest.raises(ServiceError):
            services.entry_move(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                entry_id=sam.pk,
                expected_version=2,
                ring=ring,
                category=category,
            )
    assert everything() == before


def test_an_earlier_map_does_not_move(org, person, add):
    sam = add("Sam")
    services.snapshot_start(actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY)
    with pytest.raises(ServiceError, match="Only the latest map"):
        services.entry_move(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            entry_id=sam.pk,
            expected_version=1,
            ring="close",
            category="friend",
        )


# --- taking off and putting back ---------------------------------------------------------------------------


def tie(org, person, entry, *others):
    entry.refresh_from_db()
    services.entry_ties_set(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=entry.pk,
        expected_version=entry.version,
        other_entry_ids=[other.pk for other in others],
    )


def remove(org, person, entry) -> RemovedEntry:
    entry.refresh_from_db()
    return services.entry_remove(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=entry.pk,
        expected_version=entry.version,
    )


def restore(user, person, snapshot, removed):
    return services.entry_restore(
        actor=as_actor(user), person_id=person.pk, snapshot_id=snapshot.pk, removed=removed
    )


def test_undo_puts_an_entry_back_with_its_key_details_and_ties(org, person, snapshot, add):
    mum = add("Mum", supports=("emotional", "practical"), frequency="daily", wish="closer")
    sam, jo = add("Sam"), add("Jo")
    tie(org, person, mum, sam, jo)
    key = str(mum.key)
    snapshot.refresh_from_db()
    measures = snapshot.measures

    removed = remove(org, person, mum)
    assert not MapEntry.objects.filter(key=key).exists() and not MapTie.objects.exists()
    # It waits in the session as JSON.
    removed = RemovedEntry.from_dict(json.loads(json.dumps(removed.as_dict())))
    back = restore(org.practitioner, person, snapshot, removed)

    assert str(back.key) == key
    assert (back.label, back.kind, back.category, back.ring) == ("Mum", "person", "family", "close")
    assert (back.supports, back.frequency, back.wish) == (["emotional", "practical"], "daily", "closer")
    assert {tuple(pair) for pair in MapTie.objects.values_list("a_id", "b_id")} == {
        tuple(sorted((back.pk, sam.pk))),
        tuple(sorted((back.pk, jo.pk))),
    }
    snapshot.refresh_from_db()
    assert snapshot.measures == measures
    event = AuditEvent.objects.filter(action="map.entry_restored").get()
    assert event.summary["ties"] == 2 and event.summary["ring"] == "close"
    assert "Mum" not in json.dumps(event.summary)


def test_undo_ties_back_only_to_entries_still_on_the_map(org, person, snapshot, add):
    mum, sam, jo = add("Mum"), add("Sam"), add("Jo")
    tie(org, person, mum, sam, jo)
    removed = remove(org, person, mum)
    remove(org, person, jo)
    back = restore(org.practitioner, person, snapshot, removed)
    assert list(MapTie.objects.values_list("a_id", "b_id")) == [tuple(sorted((back.pk, sam.pk)))]


def test_undo_twice_or_onto_a_later_map_is_refused(org, person, snapshot, add):
    removed = remove(org, person, add("Mum"))
    restore(org.practitioner, person, snapshot, removed)
    before = everything()
    with pytest.raises(ServiceError, match="already back on the map"):
        restore(org.practitioner, person, snapshot, removed)
    assert everything() == before

    gone = remove(org, person, MapEntry.objects.get(label="Mum"))
    later = services.snapshot_start(actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY)
    before = everything()
    with pytest.raises(ServiceError, match="Only the latest map"):
        restore(org.practitioner, person, snapshot, gone)
    with pytest.raises(ServiceError, match="another map"):
        restore(org.practitioner, person, later, gone)
    assert everything() == before


def test_undo_respects_the_size_limit(org, person, snapshot, add, monkeypatch):
    removed = remove(org, person, add("Mum"))
    add("Sam")
    monkeypatch.setattr(services, "MAX_ENTRIES", 1)
    with pytest.raises(ServiceError, match="at most 1 entries"):
        restore(org.practitioner, person, snapshot, removed)
    assert MAX_ENTRIES == 250  # the limit itself is unchanged


def test_a_removed_entry_that_is_not_one_does_not_load():
    for values in ({}, {"key": "not a uuid"}, []):
        with pytest.raises((KeyError, ValueError, TypeError)):
            RemovedEntry.from_dict(values)


# --- the first entry starts the map ------------------------------------------------------------------------


def test_the_first_entry_starts_a_map_dated_today_in_one_go(org):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    entry = services.entry_add_first(
        actor=as_actor(org.practitioner), person_id=person.pk, data=EntryData("Mum", "", "", "")
    )
    snapshot = MapSnapshot.objects.get(person=person)
    assert entry.snapshot_id == snapshot.pk and snapshot.taken_on == TODAY
    assert [event.action for event in AuditEvent.objects.filter(person_id=person.pk).order_by("id")] == [
        "map.snapshot_started",
        "map.entry_added",
    ]
    services.entry_add_first(
        actor=as_actor(org.practitioner), person_id=person.pk, data=EntryData("Sam", "", "", "")
    )
    assert MapSnapshot.objects.filter(person=person).count() == 1 and snapshot.entries.count() == 2


def test_a_refused_first_entry_starts_no_map(org):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    before = everything()
    with pytest.raises(ServiceError, match="first name or initials, and at most the first letter"):
        services.entry_add_first(
            actor=as_actor(org.practitioner), person_id=person.pk, data=EntryData("Sam Jones", "", "", "")
        )
    assert everything() == before


def test_the_first_entry_is_404_out_of_reach(org):
    from django.http import Http404

    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    with pytest.raises(Http404):
        services.entry_add_first(
            actor=as_actor(org.colleague), person_id=person.pk, data=EntryData("Mum", "", "", "")
        )
    assert not MapSnapshot.objects.exists()

"""The map's services: scoped (404 out of reach), audited without third parties' names, transactional, and
only the latest map changes."""

import json
from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.connections import services
from connecting_people.connections.interchange import ImportRejected
from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.connections.services import EntryData
from connecting_people.core.errors import ServiceError
from connecting_people.people.tests.factories import PersonFactory

TODAY = timezone.localdate()
SAM = EntryData(label="Sam", kind="person", category="friend", ring="close", supports=("advice", "emotional"))


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


@pytest.fixture
def snapshot(org, person):
    return services.snapshot_start(
        actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY - timedelta(days=10)
    )


def everything():
    return (
        list(MapSnapshot.objects.values()),
        list(MapEntry.objects.values()),
        list(MapTie.objects.values()),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    "role", ["colleague", "other_lead", "researcher", "implementation_lead", "administrator"]
)
def test_every_write_is_404_out_of_reach_and_changes_nothing(org, person, snapshot, role):
    entry = services.entry_add(
        actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=snapshot.pk, data=SAM
    )
    user = getattr(org, role)
    before = everything()
    attempts = [
        lambda: services.snapshot_start(actor=as_actor(user), person_id=person.pk, taken_on=TODAY),
        lambda: services.entry_add(
            actor=as_actor(user), person_id=person.pk, snapshot_id=snapshot.pk, data=SAM
        ),
        lambda: services.entry_update(
            actor=as_actor(user), person_id=person.pk, entry_id=entry.pk, expected_version=1, data=SAM
        ),
        lambda: services.entry_remove(
            actor=as_actor(user), person_id=person.pk, entry_id=entry.pk, expected_version=1
        ),
        lambda: services.entry_ties_set(
            actor=as_actor(user),
            person_id=person.pk,
            entry_id=entry.pk,
            expected_version=1,
            other_entry_ids=[],
        ),
        lambda: services.entry_move(
            actor=as_actor(user),
            person_id=person.pk,
            entry_id=entry.pk,
            expected_version=1,
            ring="outer",
            category="faith",
        ),
        lambda: services.entry_restore(
            actor=as_actor(user),
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            removed=services.RemovedEntry(
                snapshot_id=snapshot.pk,
                key="00000000-0000-4000-8000-000000000001",
                label="Jo",
                kind="person",
                category="friend",
                ring="close",
                supports=(),
                frequency="",
                wish="",
                tied_keys=(),
            ),
        ),
        lambda: services.map_export(
            actor=as_actor(user), person_id=person.pk, snapshot_id=None, format="json"
        ),
        lambda: services.snapshot_import(actor=as_actor(user), person_id=person.pk, files={"m.json": b"{}"}),
    ]
    for attempt in attempts:
        with pytest.raises(Http404):
            attempt()
    assert everything() == before


def test_an_entry_id_from_another_persons_map_is_404(org, person, snapshot):
    other = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    theirs = services.snapshot_start(actor=as_actor(org.practitioner), person_id=other.pk, taken_on=TODAY)
    entry = services.entry_add(
        actor=as_actor(org.practitioner), person_id=other.pk, snapshot_id=theirs.pk, data=SAM
    )
    with pytest.raises(Http404):
        services.entry_update(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            entry_id=entry.pk,
            expected_version=1,
            data=SAM,
        )
    with pytest.raises(Http404):
        services.entry_add(
            actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=theirs.pk, data=SAM
        )


def test_audit_records_codes_never_labels(org, person, snapshot):
    entry = services.entry_add(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        snapshot_id=snapshot.pk,
        data=EntryData(label="Bernadette", kind="person", category="family", ring="close"),
    )
    services.entry_update(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=entry.pk,
        expected_version=1,
        data=EntryData(label="Bernie", kind="person", category="family", ring="middle"),
    )
    services.entry_remove(
        actor=as_actor(org.practitioner), person_id=person.pk, entry_id=entry.pk, expected_version=2
    )
    events = AuditEvent.objects.filter(action__startswith="map.").order_by("id")
    assert [event.action for event in events] == [
        "map.snapshot_started",
        "map.entry_added",
        "map.entry_changed",
        "map.entry_removed",
    ]
    dumped = json.dumps([event.summary for event in events])
    assert "Bernadette" not in dumped and "Bernie" not in dumped
    changed = events[2].summary
    assert changed["fields"] == ["label", "ring"] and changed["ring"] == "middle"
    assert all(event.person_id == person.pk for event in events)


def test_supports_are_stored_in_a_fixed_order_and_labels_tidied(org, person, snapshot):
    entry = services.entry_add(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        snapshot_id=snapshot.pk,
        data=EntryData(
            label="  Allotment   society ",
            kind="group",
            category="community_group",
            ring="outer",
            supports=("advice", "emotional"),
        ),
    )
    assert entry.label == "Allotment society"
    assert entry.supports == ["emotional", "advice"]


def test_only_the_latest_map_changes(org, person, snapshot):
    entry = services.entry_add(
        actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=snapshot.pk, data=SAM
    )
    services.snapshot_start(actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY)
    before = everything()
    for attempt in (
        lambda: services.entry_add(
            actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=snapshot.pk, data=SAM
        ),
        lambda: services.entry_update(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            entry_id=entry.pk,
            expected_version=1,
            data=SAM,
        ),
        lambda: services.entry_remove(
            actor=as_actor(org.practitioner), person_id=person.pk, entry_id=entry.pk, expected_version=1
        ),
    ):
        with pytest.raises(ServiceError, match="Only the latest map"):
            attempt()
    assert everything() == before


def test_ties_only_between_entries_of_the_same_map(org, person, snapshot):
    sam = services.entry_add(
        actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=snapshot.pk, data=SAM
    )
    other = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    theirs = services.snapshot_start(actor=as_actor(org.practitioner), person_id=other.pk, taken_on=TODAY)
    stranger = services.entry_add(
        actor=as_actor(org.practitioner), person_id=other.pk, snapshot_id=theirs.pk, data=SAM
    )
    for others in ([stranger.pk], [sam.pk]):
        with pytest.raises(ServiceError, match="this map only"):
            services.entry_ties_set(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                entry_id=sam.pk,
                expected_version=1,
                other_entry_ids=others,
            )
    assert not MapTie.objects.exists()


def test_a_failure_inside_a_write_leaves_nothing_behind(org, person, snapshot, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_record", broken)
    before = everything()
    with pytest.raises(RuntimeError):
        services.entry_add(
            actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=snapshot.pk, data=SAM
        )
    with pytest.raises(RuntimeError):
        services.snapshot_start(actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY)
    assert everything() == before


def test_a_rejected_import_saves_nothing(org, person, snapshot):
    before = everything()
    bad = b'{"format": "connecting-people/connections-map", "version": 1, "entries": [{"key": "a", "ring": "far"}]}'
    with pytest.raises(ImportRejected) as rejected:
        services.snapshot_import(
            actor=as_actor(org.practitioner), person_id=person.pk, files={"map.json": bad}
        )
    assert all(problem.startswith("map.json:") for problem in rejected.value.problems)
    assert everything() == before


def test_export_then_import_into_the_same_person_keeps_keys(org, person, snapshot):
    sam = services.entry_add(
        actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=snapshot.pk, data=SAM
    )
    jo = services.entry_add(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        snapshot_id=snapshot.pk,
        data=EntryData(label="Jo", kind="person", category="neighbour", ring="outer"),
    )
    services.entry_ties_set(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=sam.pk,
        expected_version=1,
        other_entry_ids=[jo.pk],
    )
    _, files = services.map_export(
        actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=snapshot.pk, format="graphml"
    )
    restored, report = services.snapshot_import(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        files={name: text.encode() for name, text in files.items()},
        taken_on=TODAY,
    )
    assert report.entries_created == 2 and report.ties_created == 1
    assert set(restored.entries.values_list("key", flat=True)) == {sam.key, jo.key}
    assert restored.previous_id == snapshot.pk and restored.source == "import:graphml"
    assert restored.measures["ties"] == 1 and restored.measures["new_community_ties"] == 0
    # Into someone else, the same file gets keys of that person's own.
    other = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    copied, _ = services.snapshot_import(
        actor=as_actor(org.practitioner),
        person_id=other.pk,
        files={name: text.encode() for name, text in files.items()},
    )
    assert not set(copied.entries.values_list("key", flat=True)) & {sam.key, jo.key}


def test_two_maps_for_one_day_at_the_same_moment_get_the_date_message(org, person, snapshot, monkeypatch):
    # Both requests passed the date check before either saved; the database's constraint refuses the second.
    monkeypatch.setattr(services, "_check_new_date", lambda *args: None)
    before = everything()
    with pytest.raises(ServiceError, match="already a map dated"):
        services.snapshot_start(
            actor=as_actor(org.practitioner), person_id=person.pk, taken_on=snapshot.taken_on
        )
    assert everything() == before

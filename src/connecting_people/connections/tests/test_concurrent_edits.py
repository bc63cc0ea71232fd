"""Two people with the same entry open: the first save is kept, the second is refused with a message and
changes nothing (no lost update), for changing an entry, its ties and taking it off the map."""

import pytest
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.connections import services
from connecting_people.connections.models import MapEntry, MapTie
from connecting_people.connections.services import EntryData
from connecting_people.core.errors import StaleRecordError
from connecting_people.core.tests.editing import opened, refused_as_stale
from connecting_people.people.tests.factories import PersonFactory

TODAY = timezone.localdate()
SAM = {"label": "Sam", "kind": "person", "category": "friend", "ring": "close"}


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


@pytest.fixture
def entries(org, person):
    snapshot = services.snapshot_start(actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY)

    def add(label):
        return services.entry_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            data=EntryData(label=label, kind="person", category="friend", ring="close"),
        )

    return add("Sam"), add("Jo"), add("Ann")


def state():
    return (
        list(MapEntry.objects.order_by("pk").values()),
        list(MapTie.objects.order_by("pk").values()),
        AuditEvent.objects.filter(action__startswith="map.").count(),
    )


def test_second_of_two_entry_edits_is_refused_and_the_first_kept(org, person, entries):
    sam = entries[0]
    url = f"/people/{person.pk}/map/entries/{sam.pk}/"
    worker, worker_form = opened(org.practitioner, url)
    lead, lead_form = opened(org.lead, url)
    assert worker.post(url, {**SAM, **worker_form, "ring": "middle"}).status_code == 302
    before = state()
    response = lead.post(url, {**SAM, **lead_form, "ring": "outer", "label": "Samuel"})
    page = refused_as_stale(lead, response)
    assert state() == before
    sam.refresh_from_db()
    assert (sam.label, sam.ring) == ("Sam", "middle")
    assert "Sam" in page  # back on the map, which shows what the other person saved


def test_second_of_two_tie_edits_is_refused_and_the_first_kept(org, person, entries):
    sam, jo, ann = entries
    url = f"/people/{person.pk}/map/entries/{sam.pk}/ties/"
    worker, worker_form = opened(org.practitioner, url)
    lead, lead_form = opened(org.lead, url)
    assert worker.post(url, {**worker_form, "ties": [jo.pk]}).status_code == 302
    before = state()
    refused_as_stale(lead, lead.post(url, {**lead_form, "ties": [ann.pk]}))
    assert state() == before
    assert list(MapTie.objects.values_list("a_id", "b_id")) == [tuple(sorted((sam.pk, jo.pk)))]


def test_ties_set_from_the_other_end_make_an_open_ties_page_stale(org, person, entries):
    """Jo's ties page was open when someone tied Sam to Jo: saving Jo's old ticks would untie them."""
    sam, jo, _ann = entries
    url = f"/people/{person.pk}/map/entries/{jo.pk}/ties/"
    lead, lead_form = opened(org.lead, url)
    services.entry_ties_set(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=sam.pk,
        expected_version=1,
        other_entry_ids=[jo.pk],
    )
    refused_as_stale(lead, lead.post(url, {**lead_form}))
    assert MapTie.objects.count() == 1


def test_removing_an_entry_someone_has_just_changed_is_refused(org, person, entries):
    sam = entries[0]
    edit_url = f"/people/{person.pk}/map/entries/{sam.pk}/"
    remove_url = f"/people/{person.pk}/map/entries/{sam.pk}/remove/"
    # Removing happens at once from the map, with the version of the entry the page showed (here: its page).
    lead, lead_form = opened(org.lead, edit_url)
    worker, worker_form = opened(org.practitioner, edit_url)
    assert worker.post(edit_url, {**SAM, **worker_form, "wish": "closer"}).status_code == 302
    before = state()
    refused_as_stale(lead, lead.post(remove_url, {"version": lead_form["version"]}))
    assert state() == before and MapEntry.objects.filter(pk=sam.pk).exists()


def test_a_save_without_a_version_is_refused(org, person, entries):
    sam = entries[0]
    with pytest.raises(StaleRecordError):
        services.entry_update(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            entry_id=sam.pk,
            expected_version=0,
            data=EntryData(label="Sam", kind="person", category="friend", ring="outer"),
        )

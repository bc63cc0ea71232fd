"""The drawing as the pages serve it: on the map page its entries and ties carry the ids the page's script
sends back; the printout's drawing is the black-and-white one, inside the A4 printout."""

import re

import pytest
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.connections import services
from connecting_people.connections.models import MapEntry, MapTie
from connecting_people.connections.services import EntryData
from connecting_people.people.tests.factories import PersonFactory


@pytest.fixture
def mapped(client, org):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    snapshot = services.snapshot_start(
        actor=as_actor(org.practitioner), person_id=person.pk, taken_on=timezone.localdate()
    )
    for label, category in (
        ("Mum", "family"),
        ("Care coordinator", "services"),
        ("Allotment society", "community_group"),
    ):
        services.entry_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            data=EntryData(
                label=label, kind="person" if label == "Mum" else "service", category=category, ring="close"
            ),
        )
    mum, coordinator = MapEntry.objects.get(label="Mum"), MapEntry.objects.get(label="Care coordinator")
    services.entry_ties_set(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=mum.pk,
        expected_version=mum.version,
        other_entry_ids=[coordinator.pk],
    )
    client.force_login(org.practitioner)
    return client, person, snapshot


def test_map_page_drawing_names_entries_and_ties_by_their_ids(mapped):
    client, person, _ = mapped
    page = client.get(f"/people/{person.pk}/map/").content.decode()
    drawn = dict(re.findall(r'data-entry-id="(\d+)" data-key="([^"]+)"', page))
    assert {int(pk): key for pk, key in drawn.items()} == {
        entry.pk: str(entry.key) for entry in MapEntry.objects.filter(snapshot__person=person)
    }
    (tie,) = MapTie.objects.filter(snapshot__person=person)
    assert {tuple(sorted(pair)) for pair in re.findall(r'data-a="(\d+)" data-b="(\d+)"', page)} == {
        tuple(sorted((str(tie.a_id), str(tie.b_id))))
    }
    assert page.count('class="app-map-zone"') == 30


def test_printout_draws_the_black_and_white_map(mapped):
    client, person, snapshot = mapped
    page = client.get(f"/people/{person.pk}/map/{snapshot.pk}/print/").content.decode()
    assert 'class="app-printout app-printout--map"' in page  # the A4 page rules apply to it
    start = page.index('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640')
    svg = page[start : page.index("</svg>", start)]
    assert set(re.findall(r'(?:fill|stroke)="(#[0-9a-fA-F]{6})"', svg)) <= {"#000000", "#ffffff"}
    assert "<title>Care coordinator</title>" in svg and "Allotment society" in svg

"""The map page as a builder: a name and Enter adds an entry; details, ties and place change in place; removing
happens at once with an undo. Every step works as a plain form (a redirect back to the map) and, asked for the
fragment as the page's script asks, answers with the builder part of the page to swap in."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.connections import services
from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.connections.services import EntryData
from connecting_people.connections.views import FRAGMENT
from connecting_people.core.errors import SAVED_BY_SOMEONE_ELSE
from connecting_people.people.tests.factories import PersonFactory

TODAY = timezone.localdate()
AS_SCRIPT = {"HTTP_ACCEPT": f"{FRAGMENT}, text/html;q=0.9"}


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


@pytest.fixture
def signed_in(client, org):
    client.force_login(org.practitioner)
    return client


@pytest.fixture
def snapshot(org, person):
    return services.snapshot_start(
        actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY - timedelta(days=3)
    )


@pytest.fixture
def add(org, person, snapshot):
    def add(label, **fields):
        data = {"kind": "", "category": "", "ring": "", **fields}
        return services.entry_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            data=EntryData(label=label, **data),
        )

    return add


def page_of(response) -> str:
    return response.content.decode()


def is_fragment(response) -> bool:
    text = page_of(response)
    return (
        response["X-Map-Fragment"] == "1"
        and "<html" not in text
        and "app-map-builder__state" in text
        and "Accept" in response["Vary"]
    )


def state(response) -> dict:
    found = re.search(r'class="app-map-builder__state"(.*?)></div>', page_of(response), re.S)
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', found.group(1)))


def everything():
    return (
        list(MapSnapshot.objects.values()),
        list(MapEntry.objects.order_by("pk").values()),
        list(MapTie.objects.order_by("pk").values()),
        AuditEvent.objects.filter(action__startswith="map.").count(),
    )


# --- adding -----------------------------------------------------------------------------------------------


def test_a_name_and_enter_adds_with_guessed_details_and_opens_them(signed_in, person, snapshot):
    response = signed_in.post(f"/people/{person.pk}/map/{snapshot.pk}/add/", {"label": "Mum"})
    mum = MapEntry.objects.get()
    assert (mum.kind, mum.category, mum.ring) == ("person", "family", "close")
    assert response["Location"] == f"/people/{person.pk}/map/?entry={mum.pk}&added=1#id_label"
    page = page_of(signed_in.get(response["Location"]))
    assert "Mum added to the map: person, the close ring, Family." in page
    assert '<h2 id="entry-details-title" class="nhsuk-heading-m" tabindex="-1">Mum</h2>' in page
    # Shown once: the next visit has no notice.
    assert "added to the map" not in page_of(signed_in.get(f"/people/{person.pk}/map/"))


def test_adding_from_the_script_answers_with_the_builder_to_swap_in(signed_in, person, snapshot):
    response = signed_in.post(f"/people/{person.pk}/map/{snapshot.pk}/add/", {"label": "GP"}, **AS_SCRIPT)
    gp = MapEntry.objects.get()
    assert response.status_code == 200 and is_fragment(response)
    assert state(response)["selected-entry"] == str(gp.pk) and state(response)["added"] == "1"
    assert "GP added to the map: service, the outer ring, Services." in state(response)["announce"]
    text = page_of(response)
    assert f'data-entry-id="{gp.pk}"' in text and 'class="app-map-zone"' in text
    assert 'id="id_label"' in text and 'value=""' in text.split('id="id_label"')[1][:80]  # an empty box
    assert " style=" not in text and "<script" not in text  # the page's CSP allows neither


@pytest.mark.parametrize(
    "data, message",
    [
        ({"label": ""}, "Enter a name for this entry"),
        ({"label": "Sam Jones"}, "first name or initials, and at most the first letter"),
        ({"label": "Sam", "ring": "far"}, "Select a valid choice"),
    ],
)
def test_a_refused_entry_says_why_in_place_and_saves_nothing(signed_in, person, snapshot, data, message):
    before = everything()
    response = signed_in.post(f"/people/{person.pk}/map/{snapshot.pk}/add/", data, **AS_SCRIPT)
    assert response.status_code == 422 and is_fragment(response)
    assert "There is a problem" in page_of(response) and message in page_of(response)
    plain = signed_in.post(f"/people/{person.pk}/map/{snapshot.pk}/add/", data)
    assert plain.status_code == 200 and "Connections map," in page_of(plain) and message in page_of(plain)
    assert everything() == before


def test_the_first_entry_starts_the_map_dated_today(signed_in, person):
    page = page_of(signed_in.get(f"/people/{person.pk}/map/"))
    assert f'action="/people/{person.pk}/map/add/"' in page and "Start the map on another date" in page
    refused = signed_in.post(f"/people/{person.pk}/map/add/", {"label": "Sam Jones"})
    assert refused.status_code == 200 and "first name or initials, and at most the first letter" in page_of(
        refused
    )
    assert not MapSnapshot.objects.exists()  # a refused first entry starts no map
    response = signed_in.post(f"/people/{person.pk}/map/add/", {"label": "Nan"})
    snapshot = MapSnapshot.objects.get(person=person)
    nan = snapshot.entries.get()
    assert snapshot.taken_on == TODAY and (nan.category, nan.ring) == ("family", "close")
    assert response["Location"] == f"/people/{person.pk}/map/?entry={nan.pk}&added=1#id_label"
    # Once there is a map, it is added to.
    signed_in.post(f"/people/{person.pk}/map/add/", {"label": "Sam"})
    assert MapSnapshot.objects.count() == 1 and snapshot.entries.count() == 2
    assert signed_in.get(f"/people/{person.pk}/map/add/").status_code == 405


# --- details in place -------------------------------------------------------------------------------------


def test_selecting_an_entry_opens_its_details_beside_the_map(signed_in, person, add):
    sam, jo = add("Sam"), add("Jo")
    response = signed_in.get(f"/people/{person.pk}/map/?entry={sam.pk}", **AS_SCRIPT)
    assert is_fragment(response) and state(response)["selected-entry"] == str(sam.pk)
    text = page_of(response)
    assert f'action="/people/{person.pk}/map/entries/{sam.pk}/"' in text
    assert 'id="entry_category"' in text and f'value="{jo.pk}"' in text  # Jo can be ticked as a tie
    assert "Who or what is Sam connected to?" in text
    for bad in ("999999", "abc", "-1", "1" * 40):
        assert signed_in.get(f"/people/{person.pk}/map/?entry={bad}").status_code == 404


def test_an_entry_of_another_map_cannot_be_opened(signed_in, org, person, add):
    other = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    theirs = services.snapshot_start(actor=as_actor(org.practitioner), person_id=other.pk, taken_on=TODAY)
    stranger = services.entry_add(
        actor=as_actor(org.practitioner),
        person_id=other.pk,
        snapshot_id=theirs.pk,
        data=EntryData(label="Ann", kind="person", category="friend", ring="close"),
    )
    assert signed_in.get(f"/people/{person.pk}/map/?entry={stranger.pk}").status_code == 404


def test_a_change_in_the_panel_is_saved_and_the_panel_stays_open(signed_in, person, add):
    sam = add("Sam")
    data = {"label": "Sam", "kind": "person", "category": "neighbour", "ring": "outer", "version": 1}
    response = signed_in.post(f"/people/{person.pk}/map/entries/{sam.pk}/", data, **AS_SCRIPT)
    assert response.status_code == 200 and is_fragment(response)
    assert state(response)["announce"] == "Changes to Sam saved."
    sam.refresh_from_db()
    assert (sam.category, sam.ring, sam.version) == ("neighbour", "outer", 2)
    # The same post from a stale page: refused in place, nothing changed.
    before = everything()
    stale = signed_in.post(
        f"/people/{person.pk}/map/entries/{sam.pk}/", {**data, "ring": "close"}, **AS_SCRIPT
    )
    assert stale.status_code == 409 and is_fragment(stale)
    assert SAVED_BY_SOMEONE_ELSE in page_of(stale) and state(stale)["error"] == "1"
    assert everything() == before
    refused = signed_in.post(f"/people/{person.pk}/map/entries/{sam.pk}/", {**data, "label": ""}, **AS_SCRIPT)
    assert refused.status_code == 422 and "Enter a name for this entry" in page_of(refused)
    plain = signed_in.post(
        f"/people/{person.pk}/map/entries/{sam.pk}/", {**data, "version": 2, "wish": "closer"}
    )
    assert plain["Location"] == f"/people/{person.pk}/map/?entry={sam.pk}#entry-details"


def test_moving_by_drag_or_arrow_key(signed_in, person, snapshot, add):
    sam = add("Sam")
    url = f"/people/{person.pk}/map/entries/{sam.pk}/move/"
    response = signed_in.post(url, {"ring": "close", "category": "friend", "version": 1}, **AS_SCRIPT)
    assert response.status_code == 200 and is_fragment(response)
    assert state(response)["announce"] == "Sam is now in the close ring, Friend."
    drawn = re.search(rf'<g class="app-map-entry" data-entry-id="{sam.pk}"[^>]*>', page_of(response)).group(0)
    assert 'data-ring="close"' in drawn and 'data-sector="friend"' in drawn
    snapshot.refresh_from_db()
    assert snapshot.measures["by_ring"]["close"] == 1
    before = everything()
    stale = signed_in.post(url, {"ring": "outer", "category": "friend", "version": 1}, **AS_SCRIPT)
    assert stale.status_code == 409 and SAVED_BY_SOMEONE_ELSE in page_of(stale)
    nowhere = signed_in.post(url, {"ring": "far", "category": "friend", "version": 2}, **AS_SCRIPT)
    assert nowhere.status_code == 422 and state(nowhere)["error"] == "1"
    assert everything() == before
    assert signed_in.get(url).status_code == 405
    plain = signed_in.post(url, {"ring": "outer", "category": "faith", "version": 2})
    assert plain.status_code == 302
    sam.refresh_from_db()
    assert (sam.ring, sam.category) == ("outer", "faith")


def test_tying_and_untying_in_place(signed_in, person, add):
    sam, jo = add("Sam"), add("Jo")
    url = f"/people/{person.pk}/map/entries/{sam.pk}/ties/"
    tied = signed_in.post(url, {"ties": [jo.pk], "version": 1}, **AS_SCRIPT)
    assert tied.status_code == 200 and state(tied)["announce"] == "Sam and Jo tied."
    lines = re.findall(r'class="app-map-tie" data-a="(\d+)" data-b="(\d+)"', page_of(tied))
    assert [set(map(int, line)) for line in lines] == [{sam.pk, jo.pk}]
    untied = signed_in.post(url, {"version": 2}, **AS_SCRIPT)
    assert state(untied)["announce"] == "Sam and Jo no longer tied."
    assert not MapTie.objects.exists()


# --- taking off and undo ----------------------------------------------------------------------------------


def undo_token(text: str) -> str:
    return re.search(r'name="undo" value="([^"]+)"', text).group(1)


def test_remove_at_once_then_undo_with_plain_forms(signed_in, org, person, snapshot, add):
    mum, sam = add("Mum"), add("Sam")
    services.entry_ties_set(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=mum.pk,
        expected_version=1,
        other_entry_ids=[sam.pk],
    )
    # The old confirmation page now goes to the entry's details on the map.
    assert signed_in.get(f"/people/{person.pk}/map/entries/{mum.pk}/remove/")["Location"] == (
        f"/people/{person.pk}/map/?entry={mum.pk}#entry-details"
    )
    response = signed_in.post(f"/people/{person.pk}/map/entries/{mum.pk}/remove/", {"version": 2})
    assert response.status_code == 302 and not MapEntry.objects.filter(label="Mum").exists()
    page = page_of(signed_in.get(response["Location"]))
    assert "Mum taken off the map." in page and ">Undo</button>" in page
    back = signed_in.post(f"/people/{person.pk}/map/{snapshot.pk}/restore/", {"undo": undo_token(page)})
    restored = MapEntry.objects.get(label="Mum")
    assert back["Location"] == f"/people/{person.pk}/map/?entry={restored.pk}#entry-details"
    assert restored.key == mum.key and MapTie.objects.count() == 1
    again = signed_in.post(f"/people/{person.pk}/map/{snapshot.pk}/restore/", {"undo": undo_token(page)})
    assert "nothing to undo" in page_of(signed_in.get(again["Location"]))
    assert MapEntry.objects.filter(label="Mum").count() == 1


def test_remove_and_undo_from_the_script(signed_in, person, snapshot, add):
    sam = add("Sam")
    removed = signed_in.post(f"/people/{person.pk}/map/entries/{sam.pk}/remove/", {"version": 1}, **AS_SCRIPT)
    assert removed.status_code == 200 and is_fragment(removed)
    assert state(removed)["announce"] == "Sam taken off the map." and state(removed)["selected-entry"] == ""
    back = signed_in.post(
        f"/people/{person.pk}/map/{snapshot.pk}/restore/", {"undo": undo_token(page_of(removed))}, **AS_SCRIPT
    )
    assert back.status_code == 200 and state(back)["announce"] == "Sam is back on the map."
    assert state(back)["selected-entry"] == str(MapEntry.objects.get(label="Sam").pk)
    assert signed_in.get(f"/people/{person.pk}/map/{snapshot.pk}/restore/").status_code == 405


def test_undo_only_in_the_session_that_removed_and_only_for_that_person(
    signed_in, org, person, snapshot, add
):
    sam = add("Sam")
    removed = signed_in.post(f"/people/{person.pk}/map/entries/{sam.pk}/remove/", {"version": 1}, **AS_SCRIPT)
    token = undo_token(page_of(removed))
    someone = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    theirs = services.snapshot_start(actor=as_actor(org.practitioner), person_id=someone.pk, taken_on=TODAY)
    before = everything()
    # Another session of the same practitioner has nothing to undo.
    other = Client()
    other.force_login(org.practitioner)
    refused = other.post(f"/people/{person.pk}/map/{snapshot.pk}/restore/", {"undo": token}, **AS_SCRIPT)
    assert refused.status_code == 422 and "nothing to undo" in page_of(refused)
    # Nor does this session under another person's map.
    refused = signed_in.post(f"/people/{someone.pk}/map/{theirs.pk}/restore/", {"undo": token}, **AS_SCRIPT)
    assert refused.status_code == 422
    for bogus in ("", "x" * 65, "not-a-token"):
        assert (
            signed_in.post(f"/people/{person.pk}/map/{snapshot.pk}/restore/", {"undo": bogus}).status_code
            == 302
        )
    assert everything() == before


def test_the_session_keeps_only_the_last_few_removals(signed_in, person, snapshot, add):
    from connecting_people.connections.views import UNDO_KEPT

    entries = [add(f"P{number}") for number in range(UNDO_KEPT + 2)]
    tokens = []
    for entry in entries:
        response = signed_in.post(
            f"/people/{person.pk}/map/entries/{entry.pk}/remove/", {"version": 1}, **AS_SCRIPT
        )
        tokens.append(undo_token(page_of(response)))
    assert len(signed_in.session["map_undo"]) == UNDO_KEPT
    oldest = signed_in.post(
        f"/people/{person.pk}/map/{snapshot.pk}/restore/", {"undo": tokens[0]}, **AS_SCRIPT
    )
    assert oldest.status_code == 422
    newest = signed_in.post(
        f"/people/{person.pk}/map/{snapshot.pk}/restore/", {"undo": tokens[-1]}, **AS_SCRIPT
    )
    assert newest.status_code == 200


# --- only the latest map, and the page's weight -----------------------------------------------------------


def test_an_earlier_map_has_no_builder_and_refuses_changes_in_place(signed_in, org, person, snapshot, add):
    sam = add("Sam")
    services.snapshot_start(actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY)
    page = page_of(signed_in.get(f"/people/{person.pk}/map/{snapshot.pk}/"))
    assert "data-map-builder" not in page and "map-builder.mjs" not in page and "Add to the map" not in page
    before = everything()
    response = signed_in.post(
        f"/people/{person.pk}/map/entries/{sam.pk}/move/",
        {"ring": "close", "category": "friend", "version": 1},
        **AS_SCRIPT,
    )
    assert response.status_code == 409 and "Only the latest map can be changed" in page_of(response)
    assert everything() == before


def test_the_fragment_query_count_does_not_depend_on_entries(signed_in, org, person, add):
    first = add("P0", supports=("advice",))

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = signed_in.get(f"/people/{person.pk}/map/?entry={first.pk}", **AS_SCRIPT)
            assert response.status_code == 200
        return len(captured.captured_queries)

    few = count()
    others = [add(f"P{number}") for number in range(1, 15)]
    services.entry_ties_set(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=first.pk,
        expected_version=1,
        other_entry_ids=[other.pk for other in others],
    )
    assert count() == few


HOSTILE = ["", "A" * 100_000, "a\x00b", "<script>alert(1)</script>", "9" * 400, "-1", "\U0001f600" * 50]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_input_to_every_builder_form_is_never_a_server_error(signed_in, person, snapshot, add, value):
    sam = add("Sam")
    base = f"/people/{person.pk}/map/"
    posts = [
        (f"{base}{snapshot.pk}/add/", {"label": value, "kind": value, "category": value, "ring": value}),
        (f"{base}add/", {"label": value}),
        (f"{base}entries/{sam.pk}/", {"label": value, "kind": value, "version": value, "supports": [value]}),
        (f"{base}entries/{sam.pk}/move/", {"ring": value, "category": value, "version": value}),
        (f"{base}entries/{sam.pk}/ties/", {"ties": [value], "version": value}),
        (f"{base}entries/{sam.pk}/remove/", {"version": value}),
        (f"{base}{snapshot.pk}/restore/", {"undo": value}),
    ]
    for url, data in posts:
        for headers in ({}, AS_SCRIPT):
            response = signed_in.post(url, data, **headers)
            assert response.status_code < 500, (url, response.status_code)
            assert "<script>alert(1)</script>" not in page_of(response)
    assert signed_in.get(f"{base}?entry={value}").status_code in (200, 404)


class TestTyingByNames:
    """ "Sam + Jo" typed in the name box ties the two (a keyboard user's way to tie without reaching the
    drawing); with the page's script and without it. A plus between names not both on the map is a name."""

    def url(self, person, snapshot):
        return f"/people/{person.pk}/map/{snapshot.pk}/add/"

    def test_two_names_tie_and_nothing_is_added(self, signed_in, person, snapshot, add):
        sam, jo = add("Sam"), add("Jo")
        response = signed_in.post(self.url(person, snapshot), {"label": "sam + Jo"}, **AS_SCRIPT)
        assert response.status_code == 200 and is_fragment(response)
        assert "Sam and Jo tied." in page_of(response)
        assert list(MapTie.objects.values_list("a_id", "b_id")) == [(sam.pk, jo.pk)]
        assert MapEntry.objects.filter(snapshot=snapshot).count() == 2
        assert state(response).get("added") == "1"  # the name box keeps the focus for the next one

        again = signed_in.post(self.url(person, snapshot), {"label": "Jo+Sam"})
        assert again.status_code == 302 and MapTie.objects.count() == 1
        assert "were tied already" in page_of(signed_in.get(again["Location"]))

    def test_without_the_script_it_goes_back_to_the_map(self, signed_in, person, snapshot, add):
        add("Sam"), add("Jo")
        response = signed_in.post(self.url(person, snapshot), {"label": "Sam + Jo"})
        assert response.status_code == 302 and "added=1" in response["Location"]
        assert "Sam and Jo tied." in page_of(signed_in.get(response["Location"]))
        assert MapTie.objects.count() == 1

    def test_a_plus_in_a_new_name_adds_it(self, signed_in, person, snapshot, add):
        add("Sam")
        response = signed_in.post(self.url(person, snapshot), {"label": "Sam + chips club"}, **AS_SCRIPT)
        assert response.status_code == 200, page_of(response)
        assert MapEntry.objects.filter(snapshot=snapshot, label="Sam + chips club").exists()
        assert MapTie.objects.count() == 0

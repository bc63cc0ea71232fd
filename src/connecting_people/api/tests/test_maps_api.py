"""/api/v1/people/{id}/maps: reach as on the map pages, content negotiation (JSON, GraphML, Network Canvas CSV),
creates through the maps' services, constant query counts."""

import csv
import io
import zipfile
from datetime import timedelta

import networkx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connecting_people.accounts.actor import actor_for
from connecting_people.audit.models import AuditEvent
from connecting_people.connections import services
from connecting_people.connections.models import MapEntry, MapSnapshot
from connecting_people.people.tests.factories import PersonFactory

PROBLEM = "application/problem+json"
TODAY = timezone.localdate()


def a_map(person, worker, *, days_ago: int = 10, labels=("Sam", "Jo")) -> tuple[MapSnapshot, list[MapEntry]]:
    actor = actor_for(worker)
    snapshot = services.snapshot_start(
        actor=actor, person_id=person.pk, taken_on=TODAY - timedelta(days=days_ago)
    )
    entries = [
        services.entry_add(
            actor=actor,
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            data=services.EntryData(label=label, kind="person", category="friend", ring="close"),
        )
        for label in labels
    ]
    if len(entries) >= 2:
        services.entry_ties_set(
            actor=actor,
            person_id=person.pk,
            entry_id=entries[0].pk,
            expected_version=entries[0].version,
            other_entry_ids=[entries[1].pk],
        )
    return snapshot, entries


@pytest.fixture
def maps(org):
    mine = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    elsewhere = PersonFactory(team=org.other_trust_team)
    other_worker = PersonFactory(team=org.team, allocated_worker=org.colleague)
    my_map, my_entries = a_map(mine, org.practitioner)
    their_map, their_entries = a_map(elsewhere, _worker_of(elsewhere))
    colleague_map, _ = a_map(other_worker, org.colleague)
    return {
        "mine": mine,
        "elsewhere": elsewhere,
        "colleagues": other_worker,
        "my_map": my_map,
        "my_entries": my_entries,
        "their_map": their_map,
        "their_entries": their_entries,
        "colleague_map": colleague_map,
    }


def _worker_of(person):
    from connecting_people.accounts.models import Role
    from connecting_people.accounts.tests.factories import UserFactory, member

    worker = UserFactory()
    member(worker, Role.PRACTITIONER, team=person.team)
    person.allocated_worker = worker
    person.save()
    return worker


def url(person, snapshot=None, *rest) -> str:
    path = f"/api/v1/people/{person.pk}/maps"
    if snapshot is not None:
        path += f"/{snapshot.pk}"
    return "/".join([path, *map(str, rest)])


def test_the_practitioner_and_lead_read_the_map_and_others_get_404(org, api_as, maps):
    mine, my_map = maps["mine"], maps["my_map"]
    for role in (org.practitioner, org.lead):
        client = api_as(role)
        listed = client.get(url(mine)).json()
        assert [row["id"] for row in listed["items"]] == [my_map.pk]
        assert listed["items"][0]["latest"] is True
        detail = client.get(url(mine, my_map))
        assert detail.status_code == 200 and detail["Content-Type"] == "application/json"
    for role in (org.colleague, org.other_lead, org.researcher, org.implementation_lead, org.administrator):
        client = api_as(role)
        assert client.get(url(mine)).status_code == 404
        answer = client.get(url(mine, my_map))
        assert answer.status_code == 404 and answer["Content-Type"] == PROBLEM


def test_a_map_has_its_entries_and_ties(org, api_as, maps):
    mine, my_map, (sam, jo) = maps["mine"], maps["my_map"], maps["my_entries"]
    body = api_as(org.practitioner).get(url(mine, my_map)).json()
    assert [entry["id"] for entry in body["entries"]] == [sam.pk, jo.pk]
    assert body["entries"][0] | {"url": ""} == body["entries"][0] | {
        "label": "Sam",
        "kind": "person",
        "category": "friend",
        "ring": "close",
        "supports": [],
        "frequency": None,
        "wish": None,
        "url": "",
    }
    assert body["ties"] == [{"a": sam.pk, "b": jo.pk}]
    assert body["measures"]["size"] == 2
    entry = api_as(org.practitioner).get(body["entries"][0]["url"])
    assert entry.status_code == 200 and entry.json()["tied_to"] == [jo.pk]
    assert entry["ETag"] == f'"v{entry.json()["version"]}"'


def test_mixed_ids_are_404_and_audit_nothing(org, api_as, maps):
    """My person with another trust's map (or entry), or another trust's person with my map: each a 404."""
    client = api_as(org.practitioner)
    mine, elsewhere = maps["mine"], maps["elsewhere"]
    before = AuditEvent.objects.count()
    for path in (
        url(mine, maps["their_map"]),
        url(elsewhere, maps["my_map"]),
        url(mine, maps["their_map"]) + "?format=graphml",
        url(mine, maps["colleague_map"]),
        url(mine, maps["my_map"], "entries", maps["their_entries"][0].pk),
        url(elsewhere),
        url(mine, maps["their_map"]),
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "not_found"
    assert (
        client.get(url(mine, maps["their_map"]), headers={"Accept": "application/graphml+xml"}).status_code
        == 404
    )
    assert AuditEvent.objects.count() == before
    added = client.post(url(mine, maps["their_map"], "entries"), {"label": "Ann"})
    assert added.status_code == 404
    tie = client.post(
        url(mine, maps["my_map"], "entries", maps["my_entries"][0].pk, "ties"),
        {"entry_id": maps["their_entries"][0].pk},
    )
    assert tie.status_code == 422 and tie.json()["code"] == "ties_not_on_map"


def test_graphml_by_accept_parses_with_networkx(org, api_as, maps):
    mine, my_map = maps["mine"], maps["my_map"]
    client = api_as(org.practitioner)
    answer = client.get(url(mine, my_map), headers={"Accept": "application/graphml+xml"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/graphml+xml")
    graph = networkx.read_graphml(io.BytesIO(answer.content))
    assert graph.number_of_nodes() == 2 and graph.number_of_edges() == 1
    assert client.get(url(mine, my_map) + "?format=graphml").content == answer.content
    assert AuditEvent.objects.filter(action="map.exported", object_id=str(my_map.pk)).count() == 2


def test_csv_is_the_network_canvas_files_in_a_zip(org, api_as, maps):
    mine, my_map = maps["mine"], maps["my_map"]
    client = api_as(org.practitioner)
    for answer in (
        client.get(url(mine, my_map), headers={"Accept": "text/csv"}),
        client.get(url(mine, my_map) + "?format=csv"),
        client.get(url(mine, my_map), headers={"Accept": "application/zip"}),
    ):
        assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(answer.content))
        names = archive.namelist()
        assert any(name.endswith("_ego.csv") for name in names)
        people = next(name for name in names if "_attributeList_" in name)
        rows = list(csv.DictReader(io.StringIO(archive.read(people).decode())))
        assert {"nodeID", "networkCanvasUUID", "label"} <= set(rows[0])
        assert sorted(row["label"] for row in rows) == ["Jo", "Sam"]
        edges = next(name for name in names if "_edgeList_" in name)
        assert {"edgeID", "from", "to"} <= set(archive.read(edges).decode().splitlines()[0].split(","))


def test_json_is_the_default_and_an_unacceptable_type_is_a_406(org, api_as, maps):
    mine, my_map = maps["mine"], maps["my_map"]
    client = api_as(org.practitioner)
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get(url(mine, my_map), headers={"Accept": browser})["Content-Type"] == "application/json"
    preferring = "application/graphml+xml;q=0.5, application/json"
    assert client.get(url(mine, my_map), headers={"Accept": preferring})["Content-Type"] == "application/json"
    refused = client.get(url(mine, my_map), headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.json()["code"] == "not_acceptable"
    assert client.get(url(mine, my_map) + "?format=pdf").status_code == 422


def test_starting_a_map_copies_the_latest_and_answers_201(org, api_as, maps):
    mine, my_map = maps["mine"], maps["my_map"]
    client = api_as(org.practitioner)
    key = {"Idempotency-Key": "map-today"}
    answer = client.post(url(mine), {"taken_on": TODAY.isoformat()}, headers=key)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert answer["Location"].endswith(f"/api/v1/people/{mine.pk}/maps/{body['id']}")
    assert body["previous_id"] == my_map.pk and len(body["entries"]) == 2 and len(body["ties"]) == 1
    again = client.post(url(mine), {"taken_on": TODAY.isoformat()}, headers=key)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert MapSnapshot.objects.filter(person=mine).count() == 2
    listed = client.get(url(mine)).json()["items"]
    assert [row["latest"] for row in listed] == [False, True]
    # The older map cannot be changed any more.
    refused = client.post(url(mine, my_map, "entries"), {"label": "Ann", "kind": "person"})
    assert refused.status_code == 422 and refused.json()["code"] == "map_not_latest"


def test_adding_an_entry_and_a_tie(org, api_as, maps):
    mine, my_map, (sam, jo) = maps["mine"], maps["my_map"], maps["my_entries"]
    client = api_as(org.practitioner)
    answer = client.post(
        url(mine, my_map, "entries"),
        {
            "label": "Ann",
            "kind": "person",
            "category": "neighbour",
            "ring": "middle",
            "supports": ["practical"],
        },
        headers={"Idempotency-Key": "ann"},
    )
    assert answer.status_code == 201, answer.content
    ann = answer.json()
    assert answer["Location"] == ann["url"] and ann["supports"] == ["practical"]
    assert client.get(answer["Location"]).json()["label"] == "Ann"
    guessed = client.post(url(mine, my_map, "entries"), {"label": "the allotment"})
    assert guessed.status_code == 201 and guessed.json()["kind"] and guessed.json()["ring"]
    tie = client.post(url(mine, my_map, "entries", ann["id"], "ties"), {"entry_id": sam.pk})
    assert tie.status_code == 201 and tie.json()["tied_to"] == [sam.pk]
    assert client.get(url(mine, my_map, "entries", sam.pk)).json()["tied_to"] == [jo.pk, ann["id"]]
    event = AuditEvent.objects.filter(action="map.entry_added", object_id=str(ann["id"])).get()
    assert event.actor_id == org.practitioner.pk and "Ann" not in str(event.summary)


def test_an_invalid_entry_is_a_422_naming_its_fields(org, api_as, maps):
    mine, my_map = maps["mine"], maps["my_map"]
    client = api_as(org.practitioner)
    answer = client.post(url(mine, my_map, "entries"), {"label": "", "ring": "far", "supports": ["money"]})
    assert answer.status_code == 422
    pointers = {error["pointer"] for error in answer.json()["errors"]}
    assert {"/body/label", "/body/ring", "/body/supports/0"} <= pointers
    family_name = client.post(url(mine, my_map, "entries"), {"label": "Sam Okafor", "kind": "person"})
    assert family_name.status_code == 422
    assert family_name.json()["errors"][0]["pointer"] == "/body/label"
    assert MapEntry.objects.filter(snapshot=my_map).count() == 2


def test_changing_an_entry_needs_its_etag(org, api_as, maps):
    mine, my_map, (sam, _) = maps["mine"], maps["my_map"], maps["my_entries"]
    client = api_as(org.practitioner)
    path = url(mine, my_map, "entries", sam.pk)
    assert client.patch(path, {"ring": "outer"}).status_code == 428
    etag = client.get(path)["ETag"]
    changed = client.patch(path, {"ring": "outer", "wish": "closer"}, headers={"If-Match": etag})
    assert (
        changed.status_code == 200
        and changed.json()["ring"] == "outer"
        and changed.json()["wish"] == "closer"
    )
    assert changed.json()["label"] == "Sam"
    assert client.patch(path, {"ring": "close"}, headers={"If-Match": etag}).status_code == 412
    untie = client.client.put(
        path + "/ties",
        '{"entry_ids": []}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.token}", "If-Match": changed["ETag"]},
    )
    assert untie.status_code == 200 and untie.json()["tied_to"] == []


def test_a_token_without_maps_scopes_is_refused(org, api_as, maps):
    client = api_as(org.practitioner, scopes=["people:read"])
    assert client.get(url(maps["mine"])).json()["code"] == "insufficient_scope"
    reader = api_as(org.practitioner, scopes=["maps:read"])
    assert reader.get(url(maps["mine"])).status_code == 200
    assert reader.post(url(maps["mine"]), {"taken_on": TODAY.isoformat()}).status_code == 403


def _snapshots(person, worker, count):
    made = MapSnapshot.objects.filter(person=person).count()
    for index in range(count):
        a_map(person, worker, days_ago=100 - made - index, labels=("Ann", "Bo", "Cy"))


def test_the_list_and_a_map_cost_the_same_queries_for_1_or_5_rows(org, api_as, django_assert_max_num_queries):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    client = api_as(org.practitioner)
    _snapshots(person, org.practitioner, 1)
    client.get(url(person))  # the token's first use is noted once
    with CaptureQueriesContext(connection) as one:
        assert client.get(url(person)).status_code == 200
    snapshot = MapSnapshot.objects.filter(person=person).first()
    with CaptureQueriesContext(connection) as small_map:
        assert client.get(url(person, snapshot)).status_code == 200
    _snapshots(person, org.practitioner, 4)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(url(person)).json()["items"]) == 5
    latest = MapSnapshot.objects.filter(person=person).order_by("-taken_on").first()
    for label in ("Di", "Ed", "Flo"):
        services.entry_add(
            actor=actor_for(org.practitioner),
            person_id=person.pk,
            snapshot_id=latest.pk,
            data=services.EntryData(label=label, kind="person", category="family", ring="close"),
        )
    with django_assert_max_num_queries(len(small_map.captured_queries)):
        assert len(client.get(url(person, latest)).json()["entries"]) > 5 * 3

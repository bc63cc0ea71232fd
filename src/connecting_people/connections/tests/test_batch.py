"""Measures of many stored maps at once: every row equals `snapshot_measures` of the same map, whatever the chunk
size or the queryset; the loader's query count does not grow with the chunk; measures_store writes them."""

import uuid
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.connections import batch, selectors
from connecting_people.connections.metrics import snapshot_measures
from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.people.tests.factories import PersonFactory


def stored_map(person, user, taken_on, entries, ties=(), previous=None) -> MapSnapshot:
    """A snapshot with entries (key, category, kind, ring, supports) and ties (key, key), measures not set."""
    snapshot = MapSnapshot.objects.create(
        person=person,
        taken_on=taken_on,
        previous=previous,
        source="copy" if previous else "new",
        created_by=user,
    )
    rows = MapEntry.objects.bulk_create(
        MapEntry(
            snapshot=snapshot,
            key=key,
            label="Sam",
            category=category,
            kind=kind,
            ring=ring,
            supports=supports,
        )
        for key, category, kind, ring, supports in entries
    )
    id_of = {row.key: row.pk for row in rows}
    MapTie.objects.bulk_create(
        MapTie(snapshot=snapshot, a_id=min(id_of[a], id_of[b]), b_id=max(id_of[a], id_of[b])) for a, b in ties
    )
    return snapshot


K = [uuid.uuid4() for _ in range(12)]

FIRST = [
    (K[0], "family", "person", "close", ["emotional", "practical"]),
    (K[1], "partner", "person", "close", ["emotional", "companionship", "advice"]),
    (K[2], "friend", "person", "middle", ["companionship"]),
    (K[3], "community_group", "group", "outer", ["information", "companionship"]),
    (K[4], "services", "service", "middle", ["advice", "information"]),
    (K[5], "neighbour", "person", "outer", []),
]
# Six months on: K[3] and K[5] lost, K[2] moved in a ring, four gained (three of them community ties).
SECOND = [
    FIRST[0],
    FIRST[1],
    (K[2], "friend", "person", "close", ["companionship", "emotional"]),
    FIRST[4],
    (K[6], "faith", "group", "outer", ["companionship"]),
    (K[7], "peer_support", "person", "middle", ["emotional", "information"]),
    (K[8], "work_education", "place", "outer", ["information"]),
    (K[9], "online", "person", "outer", ["companionship"]),
]


@pytest.fixture
def maps(org):
    """Four people's maps: ties or none, an empty map, second snapshots against a full and an empty one."""
    user = org.practitioner
    people = [PersonFactory(team=org.team, allocated_worker=user) for _ in range(4)]
    first = stored_map(people[0], user, date(2025, 1, 10), FIRST, ties=[(K[0], K[1]), (K[2], K[3])])
    second = stored_map(
        people[0],
        user,
        date(2025, 7, 10),
        SECOND,
        ties=[(K[0], K[1]), (K[6], K[7]), (K[7], K[8]), (K[2], K[9])],
        previous=first,
    )
    empty = stored_map(people[1], user, date(2025, 2, 1), [])
    after_empty = stored_map(people[1], user, date(2025, 5, 1), SECOND[4:], previous=empty)
    untied = stored_map(people[2], user, date(2025, 3, 1), FIRST)
    lonely = stored_map(people[3], user, date(2025, 3, 1), [(K[10], "services", "service", "outer", [])])
    return [first, second, empty, after_empty, untied, lonely]


def expected(snapshot: MapSnapshot) -> dict:
    previous = MapSnapshot.objects.get(pk=snapshot.previous_id) if snapshot.previous_id else None
    return snapshot_measures(
        selectors.snapshot_domain(snapshot), selectors.snapshot_domain(previous) if previous else None
    )


def batch_measures(snapshots=None, chunk_size=batch.CHUNK_SIZE) -> dict[int, dict]:
    found = {}
    for chunk in batch.stored_map_chunks(snapshots, chunk_size=chunk_size):
        found.update(zip(chunk.snapshot_ids.tolist(), batch.measures_of(chunk), strict=True))
    return found


@pytest.mark.parametrize("chunk_size", [1, 2, 4, 100])
def test_batch_rows_equal_one_map_at_a_time_whatever_the_chunk(maps, chunk_size):
    found = batch_measures(chunk_size=chunk_size)
    assert list(found) == sorted(snapshot.pk for snapshot in maps)
    for snapshot in maps:
        assert found[snapshot.pk] == expected(snapshot), snapshot


def test_worked_example_second_snapshot(maps):
    first, second, empty, after_empty, *_ = maps
    found = batch_measures()
    assert found[first.pk]["new_community_ties"] is None
    assert found[second.pk]["new_community_ties"] == 3  # faith, peer support, work; online is not community
    assert found[second.pk]["ties"] == 4 and found[second.pk]["components"] == 4
    assert found[after_empty.pk]["new_community_ties"] == 3
    assert found[empty.pk]["size"] == 0 and found[empty.pk]["blau_index"] is None
    assert found[second.pk]["support_providers"]["emotional"] == sorted(
        str(k) for k in (K[0], K[1], K[2], K[7])
    )


def test_filtered_queryset_measures_only_its_snapshots_against_previous_ones_outside_it(maps):
    latest = MapSnapshot.objects.filter(pk__in=[maps[1].pk, maps[3].pk, maps[5].pk])
    found = batch_measures(latest, chunk_size=2)
    assert sorted(found) == sorted([maps[1].pk, maps[3].pk, maps[5].pk])
    for snapshot in (maps[1], maps[3], maps[5]):
        assert found[snapshot.pk] == expected(snapshot)


def test_measures_store_writes_what_snapshot_measures_gives(maps):
    MapSnapshot.objects.update(measures={})
    assert batch.measures_store(chunk_size=4, batch_size=3) == len(maps)
    for snapshot in maps:
        snapshot.refresh_from_db()
        assert snapshot.measures == expected(snapshot)


def test_measures_store_of_a_queryset_leaves_other_snapshots_alone(maps):
    MapSnapshot.objects.update(measures={})
    assert batch.measures_store(MapSnapshot.objects.filter(pk=maps[1].pk)) == 1
    assert MapSnapshot.objects.get(pk=maps[1].pk).measures == expected(maps[1])
    assert MapSnapshot.objects.exclude(pk=maps[1].pk).filter(measures={}).count() == len(maps) - 1


def test_loader_query_count_does_not_grow_with_the_snapshots_in_a_chunk(org):
    user = org.practitioner

    def person_with_maps(count: int):
        person = PersonFactory(team=org.team)
        previous = None
        for month in range(1, count + 1):
            keys = [uuid.uuid4() for _ in range(3)]
            entries = [(key, "friend", "person", "middle", ["emotional"]) for key in keys]
            previous = stored_map(person, user, date(2025, month, 1), entries, [(keys[0], keys[1])], previous)
        return person

    def queries(person) -> int:
        with CaptureQueriesContext(connection) as captured:
            chunks = list(batch.stored_map_chunks(MapSnapshot.objects.filter(person=person), chunk_size=100))
        assert len(chunks) == 1
        return len(captured.captured_queries)

    small, large = person_with_maps(2), person_with_maps(10)
    assert queries(small) == queries(large) == 5  # snapshots, entries, earlier keys, ties; then "no more"


@pytest.mark.parametrize(
    "change, message",
    [({"category": "enemy"}, "unknown category"), ({"supports": ["money"]}, "supports that cannot be read")],
)
def test_unreadable_stored_values_are_refused(maps, change, message):
    MapEntry.objects.filter(snapshot=maps[0], key=K[2]).update(**change)
    with pytest.raises(ValueError, match=message):
        batch_measures()

"""Synthetic connections maps are plausible and real: counts in range, keys carried from one snapshot to the
next, labels within the label policy, stored measures equal to `snapshot_measures`, the same maps from the
same seed."""

import random
from collections import Counter
from datetime import date

import pytest
from django.core.management import call_command
from faker import Faker

from connecting_people.accounts.models import User
from connecting_people.connections import selectors
from connecting_people.connections.domain import Category, Kind
from connecting_people.connections.interchange import LABEL_MAX_LENGTH, minimal_label
from connecting_people.connections.metrics import snapshot_measures
from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.synthetic.maps import (
    CATEGORY_SHARE,
    ENTRIES_MAX,
    ENTRIES_MIN,
    MapDrawer,
    generate_maps,
)


def measured_as_stored(snapshot: MapSnapshot) -> dict:
    previous = MapSnapshot.objects.get(pk=snapshot.previous_id) if snapshot.previous_id else None
    return snapshot_measures(
        selectors.snapshot_domain(snapshot), selectors.snapshot_domain(previous) if previous else None
    )


def test_scale_s_maps_are_in_range_carry_their_keys_and_store_their_measures(db):
    call_command("demo", scale="S", seed=3)
    people = {person.pk: person for person in Person.objects.all()}
    snapshots = list(MapSnapshot.objects.order_by("person_id", "taken_on"))
    per_person = Counter(snapshot.person_id for snapshot in snapshots)
    assert 0.5 * len(people) <= len(per_person) <= len(people)
    assert set(per_person.values()) <= {1, 2, 3} and 2 in per_person.values()
    keys = {
        snapshot.pk: set(MapEntry.objects.filter(snapshot=snapshot).values_list("key", flat=True))
        for snapshot in snapshots
    }
    sizes = [len(found) for found in keys.values()]
    assert ENTRIES_MIN <= min(sizes) and max(sizes) <= ENTRIES_MAX + 4
    assert 14 <= sum(sizes) / len(sizes) <= 24
    assert MapTie.objects.exists()

    by_pk = {snapshot.pk: snapshot for snapshot in snapshots}
    today = date.today()
    for snapshot in snapshots:
        person = people[snapshot.person_id]
        assert person.opened_on <= snapshot.taken_on <= (person.closed_on or today) <= today
        if snapshot.previous_id is None:
            assert snapshot.source == "new"
            assert not MapSnapshot.objects.filter(person=person, taken_on__lt=snapshot.taken_on).exists()
            continue
        before = by_pk[snapshot.previous_id]
        assert before.person_id == snapshot.person_id and before.taken_on < snapshot.taken_on
        kept = keys[snapshot.pk] & keys[before.pk]
        assert len(keys[before.pk] - kept) <= 3  # a few lost
        assert len(keys[snapshot.pk] - kept) <= 4  # a few gained
        assert len(kept) >= ENTRIES_MIN

    for snapshot in snapshots:  # all of them: scale S is small
        assert snapshot.measures == measured_as_stored(snapshot), snapshot
    for label, kind in MapEntry.objects.values_list("label", "kind"):
        assert len(label) <= LABEL_MAX_LENGTH
        assert minimal_label(label, kind=Kind(kind)) == (label, [])


def test_demo_gives_practitioner_a_people_two_maps_to_compare(client, db):
    call_command("demo")
    practitioner = User.objects.get(username="practitioner.a")
    open_people = Person.objects.filter(allocated_worker=practitioner, status=Person.Status.OPEN)
    assert open_people.exists()
    for person in open_people:
        assert MapSnapshot.objects.filter(person=person).count() >= 2
    client.force_login(practitioner)
    person = open_people.first()
    page = client.get(f"/people/{person.pk}/map/compare/")
    assert page.status_code == 200 and "What changed" in page.content.decode()


def signature(people) -> list:
    """Everything generated for these people, in a form that does not depend on database ids."""
    result = []
    for snapshot in MapSnapshot.objects.filter(person__in=people).order_by("person_id", "taken_on"):
        entries = MapEntry.objects.filter(snapshot=snapshot).order_by("key")
        key_of = dict(entries.values_list("pk", "key"))
        result.append(
            (
                snapshot.person_id,
                snapshot.taken_on,
                snapshot.source,
                list(
                    entries.values_list(
                        "key", "label", "kind", "category", "ring", "supports", "frequency", "wish"
                    )
                ),
                sorted(
                    tuple(sorted((key_of[a], key_of[b])))
                    for a, b in MapTie.objects.filter(snapshot=snapshot).values_list("a_id", "b_id")
                ),
                snapshot.measures,
            )
        )
    return result


def test_same_seed_same_maps_other_seed_other_maps(org):
    people = [
        PersonFactory(team=org.team, allocated_worker=org.practitioner, opened_on=date(2024, 1, 1))
        for _ in range(8)
    ]
    workers = {org.team.pk: [org.practitioner.pk]}
    today = date(2025, 6, 1)

    def generated(seed: int) -> list:
        MapTie.objects.all().delete()
        MapEntry.objects.all().delete()
        MapSnapshot.objects.update(previous=None)  # `previous` protects the earlier snapshot
        MapSnapshot.objects.all().delete()
        counts = generate_maps(
            people=people, workers_by_team=workers, seed=seed, today=today, at_least_two=[people[0].pk]
        )
        found = signature(people)
        assert counts.snapshots == len(found)
        return found

    first = generated(11)
    assert first and first == generated(11)
    assert first != generated(12)
    assert MapSnapshot.objects.filter(person=people[0]).count() >= 2


def test_snapshots_each_gives_every_person_that_many_maps_even_when_opened_lately(org):
    opened, closed = date(2025, 5, 20), date(2025, 5, 30)
    people = [PersonFactory(team=org.team, allocated_worker=None, opened_on=opened) for _ in range(2)]
    people.append(
        PersonFactory(
            team=org.team,
            opened_on=opened,
            status=Person.Status.CLOSED,
            closed_on=closed,
            closure_reason=Person.ClosureReason.values[0],
        )
    )
    counts = generate_maps(
        people=people,
        workers_by_team={org.team.pk: [org.practitioner.pk]},
        seed=5,
        today=date(2025, 6, 1),
        snapshots_each=3,
    )
    assert counts.snapshots == 9
    for person in people:
        dates = list(MapSnapshot.objects.filter(person=person).values_list("taken_on", flat=True))
        assert len(set(dates)) == 3 and min(dates) >= person.opened_on
        assert max(dates) <= (person.closed_on or date(2025, 6, 1))


@pytest.mark.parametrize("seed", [1, 2])
def test_first_maps_have_realistic_proportions(seed):
    drawer = MapDrawer(random.Random(seed), Faker("en_GB"))
    maps = [drawer.first_map(date(2025, 1, 1)) for _ in range(2_000)]
    entries = [entry for drawn in maps for entry in drawn.entries]
    assert 17 <= len(entries) / len(maps) <= 19
    shares = Counter(entry.category for entry in entries)
    total = sum(CATEGORY_SHARE.values())
    for category, share in CATEGORY_SHARE.items():
        if category is not Category.PARTNER:  # one partner a map at most: fewer than the raw share
            assert abs(shares[category] / len(entries) - share / total) < 0.02, category
    assert all(sum(e.category is Category.PARTNER for e in drawn.entries) <= 1 for drawn in maps)
    with_ties = sum(bool(drawn.ties) for drawn in maps) / len(maps)
    assert 0.6 <= with_ties <= 0.75
    assert 0.4 <= sum(bool(entry.supports) for entry in entries) / len(entries) < 1

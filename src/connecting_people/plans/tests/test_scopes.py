"""Every personal-data model of measures, connections and plans has a scope rule, and a rule reaches only the
records of the people the actor reaches."""

import pytest
from django.apps import apps

from connecting_people.accounts.actor import as_actor
from connecting_people.core.personal_data import PERSONAL_DATA_MODELS
from connecting_people.core.scoping import registered_labels, scoped

OURS = sorted(
    label for label in PERSONAL_DATA_MODELS if label.split(".")[0] in {"measures", "connections", "plans"}
)


def test_every_model_of_these_apps_has_a_rule():
    assert set(OURS) <= registered_labels()


@pytest.mark.django_db
@pytest.mark.parametrize("label", OURS)
def test_nobody_reaches_nothing(label, django_user_model):
    outsider = django_user_model.objects.create_user(username="outsider", password="x")
    assert list(scoped(as_actor(outsider), apps.get_model(label))) == []


@pytest.mark.django_db
def test_a_practitioner_reaches_the_records_of_their_own_people_only(org):
    from datetime import timedelta

    from django.utils import timezone

    from connecting_people.connections import services as map_services
    from connecting_people.connections.models import MapEntry, MapSnapshot
    from connecting_people.people.tests.factories import PersonFactory
    from connecting_people.plans import services as plan_services
    from connecting_people.plans.models import Goal

    today = timezone.localdate()
    mine = PersonFactory(
        team=org.team, allocated_worker=org.practitioner, opened_on=today - timedelta(days=30)
    )
    theirs = PersonFactory(
        team=org.team, allocated_worker=org.colleague, opened_on=today - timedelta(days=30)
    )
    for person, worker in ((mine, org.practitioner), (theirs, org.colleague)):
        actor = as_actor(worker)
        snapshot = map_services.snapshot_start(actor=actor, person_id=person.pk, taken_on=today)
        map_services.entry_add(
            actor=actor,
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            data=map_services.EntryData(label="Sam", kind="person", category="friend", ring="close"),
        )
        plan_services.goal_create(
            actor=actor,
            person_id=person.pk,
            data=plan_services.GoalData(text="Walk", levels={0: "Walking weekly"}),
        )
    practitioner, lead = as_actor(org.practitioner), as_actor(org.lead)
    for model, path in ((MapSnapshot, "person"), (MapEntry, "snapshot__person"), (Goal, "person")):
        reached = set(scoped(practitioner, model).values_list(path, flat=True))
        assert reached == {mine.pk}
        assert set(scoped(lead, model).values_list(path, flat=True)) == {mine.pk, theirs.pk}

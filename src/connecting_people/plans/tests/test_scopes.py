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

"""Domain errors: a refusal carries a code and its values; "not found" stays a 404 wherever it is raised."""

import pytest
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import Http404
from django.test import RequestFactory

from connecting_people.core.errors import DomainError, NotFoundError, ServiceError, StaleRecordError
from connecting_people.core.forms import form_saved
from connecting_people.core.scoping import acting_user, takes_actor


def test_not_found_is_a_404_and_never_a_refusal_shown_on_a_form():
    error = NotFoundError("No such person", params={"person_id": 7})
    assert isinstance(error, Http404) and isinstance(error, DomainError)
    assert not isinstance(error, ServiceError)
    assert (error.code, error.params, error.message) == ("not_found", {"person_id": 7}, "No such person")


def test_a_refusal_carries_its_code_and_values():
    error = ServiceError(
        "The end date must not be in the past.", "ends_on", code="ends_in_past", params={"a": 1}
    )
    assert (error.code, error.field, error.params) == ("ends_in_past", "ends_on", {"a": 1})
    assert ServiceError("Anything").code == "invalid" and StaleRecordError().code == "stale_record"


class NameForm(forms.Form):
    name = forms.CharField()


def _post():
    request = RequestFactory().post("/here/", {"name": "x"})
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_form_saved_lets_not_found_through_as_a_404():
    request = _post()

    def save():
        raise NotFoundError()

    with pytest.raises(Http404):
        form_saved(request, NameForm(request.POST), save, then="/there/")


def test_form_saved_puts_a_refusal_on_the_form():
    request = _post()
    form = NameForm(request.POST)

    def save():
        raise ServiceError("Not like that", field="name", code="not_like_that")

    assert form_saved(request, form, save, then="/there/") is None
    assert form.errors == {"name": ["Not like that"]}


def test_a_caller_not_yet_changed_may_still_pass_user():
    @takes_actor
    def read(*, actor, person_id):
        return actor, person_id

    assert read(user="u", person_id=1) == ("u", 1)
    assert read(actor="a", person_id=2) == ("a", 2)


def test_the_user_behind_an_actor():
    class Actor:
        kind = "staff"
        audit_id = "staff:1"
        user = "the user"

    assert acting_user(Actor()) == "the user"
    assert acting_user("a user") == "a user" and acting_user(None) is None

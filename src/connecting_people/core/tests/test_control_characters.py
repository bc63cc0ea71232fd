"""Control characters (BEL, ESC and the other C0 and C1 controls; tab and line breaks excepted) never reach a
record from a form: every form of ours takes them out of what was typed before its fields see it."""

import importlib
import inspect
import pkgutil
from datetime import timedelta

import pytest
from django import forms
from django.utils import timezone

import connecting_people
from connecting_people.accounts.forms import SignInForm
from connecting_people.core.forms import ControlCharactersRemoved, without_control_characters
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans.models import Activity, Goal

TODAY = timezone.localdate()
BEL, ESC, DEL, NEXT_LINE = "\x07", "\x1b", "\x7f", "\x85"


def test_controls_go_and_tabs_and_line_breaks_stay():
    text = f"Ann{BEL} {ESC}[31mred{ESC}[0m\tand\r\nmore{DEL}{NEXT_LINE}\x00\x0b\x0c\x1f\x9f é\u00a0"
    assert without_control_characters(text) == "Ann [31mred[0m\tand\r\nmore é\u00a0"


@pytest.fixture
def person(org):
    return PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        opened_on=TODAY - timedelta(days=30),
        practice_consent=True,
    )


@pytest.fixture
def signed_in(client, org):
    client.force_login(org.practitioner)
    return client


def date_fields(name, when):
    return {f"{name}_day": when.day, f"{name}_month": when.month, f"{name}_year": when.year}


def test_a_name_typed_with_a_bell_is_saved_without_it(signed_in, person):
    response = signed_in.post(
        f"/people/{person.pk}/edit/",
        {
            "given_name": f"Ann{BEL}",
            "family_name": f"{ESC}[1mBrook",
            "preferred_name": f"Annie{NEXT_LINE}",
            **date_fields("date_of_birth", person.date_of_birth),
            **date_fields("opened_on", person.opened_on),
            "practice_consent": "unknown",
            "research_consent": "unknown",
            "version": person.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Person.objects.get(pk=person.pk)
    assert (saved.given_name, saved.family_name, saved.preferred_name) == ("Ann", "[1mBrook", "Annie")


def test_a_goal_typed_with_escape_sequences_is_saved_without_them(signed_in, person):
    levels = {
        "level_minus_2": f"Stays in{BEL}",
        "level_minus_1": "Goes out once",
        "level_0": "Goes to the choir",
        "level_plus_1": "Choir and café",
        "level_plus_2": "Sings a solo",
    }
    response = signed_in.post(
        f"/people/{person.pk}/plan/goals/new/", {"text": f"Sing{ESC} again{DEL}", **levels}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    goal = Goal.objects.get(person=person)
    assert (goal.text, goal.level_minus_2) == ("Sing again", "Stays in")


def test_a_note_keeps_its_line_breaks_and_loses_its_controls(signed_in, person):
    response = signed_in.post(
        f"/people/{person.pk}/plan/activities/new/",
        {
            "kind": "contact_phone",
            **date_fields("occurred_on", TODAY),
            "notes": f"Rang Ann{BEL}.\r\nShe will go\tnext week{ESC}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Activity.objects.get(person=person).notes == "Rang Ann.\r\nShe will go\tnext week"


def test_a_form_shown_again_with_errors_shows_the_text_without_controls(signed_in, person):
    response = signed_in.post(f"/people/{person.pk}/plan/goals/new/", {"text": f"Walk{BEL} more"})
    page = response.content.decode()
    assert response.status_code == 200 and 'value="Walk more"' in page and BEL not in page


class SignIn(ControlCharactersRemoved, forms.Form):
    username = forms.CharField()
    password = forms.CharField(strip=False, widget=forms.PasswordInput)


def test_a_password_is_compared_as_typed():
    form = SignIn(data={"username": f"ann{BEL}", "password": f"pass{BEL}word"})
    assert form.is_valid()
    assert form.cleaned_data == {"username": "ann", "password": f"pass{BEL}word"}
    assert isinstance(
        SignInForm().fields["password"].widget, forms.PasswordInput
    )  # the real one is skipped too


def _project_modules():
    for module in pkgutil.walk_packages(connecting_people.__path__, "connecting_people."):
        name = module.name
        if ".tests" in name or ".migrations" in name or name.startswith("connecting_people.config"):
            continue
        yield importlib.import_module(name)


def _project_form_classes() -> set[type]:
    found = set()
    for module in _project_modules():
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, forms.BaseForm)
                and value.__module__.startswith("connecting_people.")
                and ".tests" not in value.__module__
            ):
                found.add(value)
    return found


def test_no_form_class_of_ours_lets_control_characters_through():
    classes = _project_form_classes()
    assert len(classes) >= 45, sorted(cls.__qualname__ for cls in classes)  # the walk found them all
    escaping = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in classes
        if not issubclass(cls, ControlCharactersRemoved)
    )
    assert escaping == [], f"Forms without ControlCharactersRemoved: {escaping}"

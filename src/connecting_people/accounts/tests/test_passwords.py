"""Weak passwords are refused wherever a password is set, offline."""

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from connecting_people.accounts import password_rules
from connecting_people.accounts.tests.factories import UserFactory


def refusals(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaaaa", "one short piece repeated"),
        ("abcabcabcabc", "one short piece repeated"),
        ("zzzzzzzzzzzy", "at least 5 different characters"),
        ("qwertyuiop12", "run of keys or letters"),
        ("abc123xyz789", "run of keys or letters"),
        ("9876543210ab", "run of keys or letters"),
        ("ConnectingPeople1", "must not contain the name Connecting People"),
        ("c0nnecting-pe0ple!", "must not contain the name Connecting People"),
        ("Passw0rd2026!", "common password with a few changes"),
        ("Liverpool2024!", "common password with a few changes"),
        ("iloveyou-2024", "common password with a few changes"),
        ("monkeymonkey12", "common password repeated"),
        ("123456789012", "entirely numeric"),
        ("password1234", "common password with a few changes"),
    ],
)
def test_easy_to_guess_passwords_are_refused(db, password, why):
    messages = refusals(password)
    assert any(why in message for message in messages), messages


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "Tr4in-Sofa-Lantern", "blue kettle orbit 94", "R7#kq2!Lm9vX"]
)
def test_good_passwords_pass(db, password):
    assert refusals(password) == []


def test_the_password_set_in_the_administration_pages_is_checked(client, db):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    target = UserFactory(username="target")
    client.force_login(admin)
    response = client.post(
        f"/admin/accounts/user/{target.pk}/password/",
        {"password1": "aaaaaaaaaaaa", "password2": "aaaaaaaaaaaa", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "one short piece repeated" in response.content.decode()
    target.refresh_from_db()
    assert not target.check_password("aaaaaaaaaaaa")


def test_the_rules_are_explained(db):
    texts = " ".join(password_validators_help_texts())
    assert "one short piece repeated" in texts and "qwerty" in texts and "name of this service" in texts


def test_sequence_share_counts_runs_either_way_along_keyboard_and_alphabet():
    assert password_rules.sequence_share("qwerty") == 1
    assert password_rules.sequence_share("ytrewq") == 1
    assert password_rules.sequence_share("lkjhgf") == 1
    assert password_rules.sequence_share("ab") == 0  # two in a row is not a run
    assert password_rules.sequence_share("correct horse") == 0
    assert password_rules.sequence_share("") == 0


@given(st.text(min_size=1, max_size=40))
def test_the_checks_never_fail_on_any_text(text):
    password_rules.repetition_problem(text)
    password_rules.variety_problem(text)
    password_rules.name_problem(text, ["Connecting People"])
    password_rules.common_problem(text, {"password"})
    assert 0 <= password_rules.sequence_share(text) <= 1

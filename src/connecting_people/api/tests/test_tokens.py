"""Tokens: made on the tokens page only after the security code, shown once, listed, revoked; service accounts made
and given tokens on the server's command line, refused at sign-in."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from connecting_people.accounts.actor import actor_for
from connecting_people.accounts.models import Role, User
from connecting_people.api import services
from connecting_people.api.models import ApiToken
from connecting_people.audit.models import AuditEvent
from connecting_people.core.errors import NotAllowedError, ServiceError
from connecting_people.people.tests.factories import PersonFactory


def test_a_token_is_stored_only_as_a_hash_and_shown_once(org):
    token, secret = services.token_create(
        actor=actor_for(org.practitioner), name="report", scopes=["people:read"], days=30, mfa_verified=True
    )
    assert secret.startswith(f"cp_{token.prefix}_")
    stored = ApiToken.objects.values_list(flat=True).filter(pk=token.pk)
    assert secret not in repr(list(ApiToken.objects.filter(pk=token.pk).values()))
    assert stored.exists()
    assert AuditEvent.objects.filter(action="api_token.created", object_id=str(token.pk)).exists()


@override_settings(CONNECTING_PEOPLE_REQUIRE_MFA=True)
def test_no_token_without_the_security_code(org):
    with pytest.raises(NotAllowedError) as refused:
        services.token_create(
            actor=actor_for(org.practitioner), name="x", scopes=["people:read"], days=30, mfa_verified=False
        )
    assert refused.value.code == "mfa_required"
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"scopes": []}, "scopes_missing"),
        ({"scopes": ["everything"]}, "scope_unknown"),
        ({"days": 400}, "token_days"),
        ({"name": " "}, "token_name"),
    ],
)
def test_bad_token_requests_are_refused_and_change_nothing(org, changes, code):
    asked = {"name": "report", "scopes": ["people:read"], "days": 30} | changes
    with pytest.raises(ServiceError) as refused:
        services.token_create(actor=actor_for(org.practitioner), mfa_verified=True, **asked)
    assert refused.value.code == code
    assert not ApiToken.objects.exists()


def test_the_tokens_page_makes_lists_and_revokes(org):
    client = Client()
    client.force_login(org.practitioner)
    page = client.post(
        "/accounts/tokens/", {"name": "Weekly report", "scopes": ["people:read"], "days": "30"}
    )
    assert page.status_code == 200
    text = page.content.decode()
    token = ApiToken.objects.get(user=org.practitioner)
    assert f"cp_{token.prefix}_" in text and "only time the token is shown" in text
    again = client.get("/accounts/tokens/").content.decode()
    assert "Weekly report" in again and f"cp_{token.prefix}_" not in again
    # Someone else's token cannot be revoked from here: 404, and it still works.
    other = Client()
    other.force_login(org.colleague)
    assert other.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_tokens_page_shows_errors_in_a_summary(org):
    client = Client()
    client.force_login(org.practitioner)
    page = client.post("/accounts/tokens/", {"name": "", "days": "30"}).content.decode()
    assert "nhsuk-error-summary" in page and "Enter what is the token for" in page
    assert not ApiToken.objects.exists()


def test_a_service_account_reaches_the_api_with_its_role_and_cannot_sign_in(org, capsys):
    call_command(
        "api",
        "service-account",
        "epr-feed",
        "--role",
        "team_lead",
        "--trust",
        org.trust.ods_code,
        "--team",
        org.team.name,
    )
    account = User.objects.get(username="epr-feed")
    assert account.is_service_account and not account.has_usable_password()
    assert actor_for(account).scope.lead_team_ids == {org.team.pk}
    assert account.memberships.get().role == Role.TEAM_LEAD
    capsys.readouterr()
    call_command("api", "token", "epr-feed", "--scopes", "people:read", "--days", "30")
    secret = capsys.readouterr().out.strip()
    person = PersonFactory(team=org.team)
    answer = Client().get("/api/v1/people", headers={"Authorization": f"Bearer {secret}"})
    assert [row["id"] for row in answer.json()["items"]] == [person.pk]
    sign_in = Client().post("/accounts/sign-in/", {"username": "epr-feed", "password": "anything"})
    assert sign_in.status_code == 200 and "_auth_user_id" not in Client().session


def test_the_command_makes_no_token_for_a_person_and_says_why(org):
    with pytest.raises(CommandError) as refused:
        call_command("api", "token", org.practitioner.username, "--scopes", "people:read")
    assert refused.value.returncode == 2 and "service account" in str(refused.value)
    with pytest.raises(CommandError) as refused:
        call_command("api", "service-account", "x", "--role", "administrator", "--trust", org.trust.ods_code)
    assert refused.value.returncode == 2
    assert not ApiToken.objects.exists() and not User.objects.filter(username="x").exists()


def test_the_command_lists_and_revokes(org, capsys):
    call_command("api", "service-account", "stats", "--role", "researcher", "--trust", org.trust.ods_code)
    call_command("api", "token", "stats", "--scopes", "study:read")
    capsys.readouterr()
    token = ApiToken.objects.get()
    call_command("api", "tokens")
    listed = capsys.readouterr().out
    assert f"cp_{token.prefix}" in listed and "works" in listed
    call_command("api", "revoke", f"cp_{token.prefix}")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_token_notes_when_it_was_last_used_at_most_once_a_minute(org):
    from datetime import timedelta

    from django.utils import timezone

    token, secret = services.token_create(
        actor=actor_for(org.practitioner), name="x", scopes=["people:read"], days=30, mfa_verified=True
    )
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get("/api/v1/people").status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/people")
    token.refresh_from_db()
    assert token.last_used_at == first  # not again within the minute
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/people")
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=1) and token.last_used_at <= timezone.now()

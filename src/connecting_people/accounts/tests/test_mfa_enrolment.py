"""Setting up MFA needs a one-time set-up code from an administrator: the password alone is not enough."""

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from connecting_people.accounts import mfa
from connecting_people.accounts.models import EnrolmentCode
from connecting_people.accounts.tests.test_security import MFA, current_code
from connecting_people.audit.models import AuditEvent

CODES = "/accounts/set-up-codes/"


@pytest.fixture
def mfa_required(settings):
    settings.CONNECTING_PEOPLE_REQUIRE_MFA = True
    return settings


def actions(**filters) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True))


def issue(user, actor=None) -> str:
    code, _ = mfa.enrolment_code_issue(actor=actor, user=user, via="command line")
    return code


# --- the password alone does not set up a second factor ------------------------------------------------------


def test_with_only_a_password_the_page_asks_for_a_set_up_code_and_shows_no_secret(client, org, mfa_required):
    client.force_login(org.practitioner)
    response = client.get(MFA)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Set up your security code" in html and "Set-up code" in html
    assert "app-qr" not in html and "Setup key" not in html
    assert not TOTPDevice.objects.filter(user=org.practitioner).exists()


def test_a_half_set_up_device_cannot_be_confirmed_without_a_set_up_code(client, org, mfa_required):
    """An app scanned before set-up codes existed, or by someone else, is not confirmed by its 6-digit code."""
    device = TOTPDevice.objects.create(user=org.practitioner, name="Authenticator app", confirmed=False)
    client.force_login(org.practitioner)
    response = client.post(MFA, {"token": current_code(device)})
    assert response.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/help/")["Location"].startswith(MFA)


def test_the_whole_enrolment_with_a_set_up_code(client, org, mfa_required):
    code = issue(org.practitioner)
    client.force_login(org.practitioner)
    response = client.post(MFA, {"code": code.lower().replace("-", " "), "next": "/help/"})
    assert response.status_code == 302 and response["Location"] == f"{MFA}?next=%2Fhelp%2F"
    page = client.get(response["Location"]).content.decode()
    assert "Scan the QR code" in page and "app-qr" in page
    device = TOTPDevice.objects.get(user=org.practitioner)
    response = client.post(MFA, {"token": current_code(device), "next": "/help/"})
    assert response["Location"] == "/help/"
    device.refresh_from_db()
    assert device.confirmed
    assert actions(object_id=str(org.practitioner.pk)) == [
        "mfa.enrolment_code_issued",
        "mfa.enrolment_code_used",
        "mfa.enrolled",
    ]
    record = EnrolmentCode.objects.get(user=org.practitioner)
    assert record.used_at is not None


def test_a_set_up_code_works_once(org, mfa_required):
    code = issue(org.practitioner)
    first = Client()
    first.force_login(org.practitioner)
    assert first.post(MFA, {"code": code}).status_code == 302
    second = Client()
    second.force_login(org.practitioner)
    response = second.post(MFA, {"code": code})
    assert "You do not have a set-up code that still works" in response.content.decode()
    assert "app-qr" not in second.get(MFA).content.decode()


def test_a_set_up_code_expires(client, org, mfa_required, settings):
    code = issue(org.practitioner)
    record = EnrolmentCode.objects.get(user=org.practitioner)
    assert record.expires_at - record.issued_at == timedelta(hours=72)
    EnrolmentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(org.practitioner)
    assert (
        "You do not have a set-up code that still works" in client.post(MFA, {"code": code}).content.decode()
    )


def test_a_code_works_only_for_the_account_it_was_made_for(client, org, mfa_required):
    code = issue(org.colleague)
    client.force_login(org.practitioner)
    assert "You do not have a set-up code" in client.post(MFA, {"code": code}).content.decode()
    issue(org.practitioner)
    assert "The set-up code is not right" in client.post(MFA, {"code": code}).content.decode()


def test_too_many_wrong_codes_cancel_the_code(client, org, mfa_required):
    code = issue(org.practitioner)
    client.force_login(org.practitioner)
    for _ in range(mfa.MAX_CODE_ATTEMPTS - 1):
        assert "The set-up code is not right" in client.post(MFA, {"code": "AAAA-BBBB-CCCC"}).content.decode()
    last = client.post(MFA, {"code": "AAAA-BBBB-CCCC"}).content.decode()
    assert "it has now been cancelled" in last
    assert "You do not have a set-up code" in client.post(MFA, {"code": code}).content.decode()
    failed = AuditEvent.objects.filter(action="mfa.enrolment_code_failed").order_by("id")
    assert [event.summary["reason"] for event in failed] == ["wrong"] * 4 + ["cancelled", "none_waiting"]


def test_a_new_code_cancels_the_one_before(client, org, mfa_required):
    old = issue(org.practitioner)
    new = issue(org.practitioner)
    client.force_login(org.practitioner)
    assert "not right" in client.post(MFA, {"code": old}).content.decode()
    assert client.post(MFA, {"code": new}).status_code == 302


def test_only_a_hash_of_the_code_is_kept(org):
    code = issue(org.practitioner)
    record = EnrolmentCode.objects.get(user=org.practitioner)
    plain = code.replace("-", "")
    assert record.code_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert len(plain) == 12 and set(plain) <= set(mfa.CODE_ALPHABET)
    stored = json.dumps(list(AuditEvent.objects.values("summary", "object_id")), default=str)
    assert plain not in stored and code not in stored


# --- the administrators' page -----------------------------------------------------------------------------------


def test_an_administrator_makes_a_code_and_sees_it_once(client, org):
    client.force_login(org.administrator)
    response = client.post(CODES, {"username": "practitioner"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    record = EnrolmentCode.objects.get(user=org.practitioner)
    shown = html.split('id="set-up-code">', 1)[1].split("<", 1)[0].strip()
    assert hashlib.sha256(shown.replace("-", "").encode()).hexdigest() == record.code_hash
    again = client.get(CODES).content.decode()
    assert shown not in again
    assert "Waiting, until" in again  # listed, without the code
    (event,) = AuditEvent.objects.filter(action="mfa.enrolment_code_issued")
    assert event.actor_id == org.administrator.pk and event.object_id == str(org.practitioner.pk)
    assert event.summary["via"] == "web"


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Enter the username of the person who needs a set-up code"),
        ("nobody", "There is no account with the username nobody"),
        ("administrator", "You cannot make a set-up code for yourself"),
    ],
)
def test_the_page_refuses_with_a_message_and_makes_nothing(client, org, username, message):
    client.force_login(org.administrator)
    html = client.post(CODES, {"username": username}).content.decode()
    assert message in html and "nhsuk-error-summary" in html
    assert not EnrolmentCode.objects.exists()


def test_no_code_for_someone_whose_security_code_is_set_up(client, org):
    TOTPDevice.objects.create(user=org.practitioner, name="Authenticator app", confirmed=True)
    client.force_login(org.administrator)
    html = client.post(CODES, {"username": "practitioner"}).content.decode()
    assert "already has a security code set up" in html
    assert not EnrolmentCode.objects.exists()


@pytest.mark.parametrize("who", ["practitioner", "lead", "implementation_lead", "researcher", "no_role"])
def test_only_administrators_reach_the_page(client, org, who):
    client.force_login(getattr(org, who))
    assert client.get(CODES).status_code == 404
    assert client.post(CODES, {"username": "colleague"}).status_code == 404
    assert not EnrolmentCode.objects.exists()


def test_an_administrator_without_their_own_second_factor_cannot_reach_the_page(client, org, mfa_required):
    client.force_login(org.administrator)
    response = client.post(CODES, {"username": "practitioner"})
    assert response.status_code == 302 and response["Location"].startswith(MFA)
    assert not EnrolmentCode.objects.exists()


# --- the command line, for the first administrator ------------------------------------------------------


def test_the_command_makes_a_code_that_works(client, org, mfa_required):
    out = StringIO()
    call_command("mfa", "enrolment-code", "administrator", stdout=out)
    printed = out.getvalue()
    assert printed.startswith("Set-up code for administrator: ")
    code = printed.split(": ", 1)[1].split()[0]
    client.force_login(org.administrator)
    assert client.post(MFA, {"code": code}).status_code == 302
    (event,) = AuditEvent.objects.filter(action="mfa.enrolment_code_issued")
    assert event.actor_id is None and event.summary["via"] == "command line"


def test_the_command_refuses_an_unknown_user_with_exit_code_2(org):
    with pytest.raises(CommandError) as raised:
        call_command("mfa", "enrolment-code", "nobody", stdout=StringIO())
    assert raised.value.returncode == 2
    assert "There is no account with the username nobody" in str(raised.value)
    assert not EnrolmentCode.objects.exists()

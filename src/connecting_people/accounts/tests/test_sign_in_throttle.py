"""Sign-in throttling as deployed: per username and address, per address across usernames, forwarded addresses
believed only from trusted proxies, and every failure in the audit trail."""

import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from connecting_people.accounts.models import SignInFailure
from connecting_people.accounts.services import attempted_username_hash
from connecting_people.audit.models import AuditEvent

PASSWORD = "test-password-123"
SIGN_IN = "/accounts/sign-in/"
SRC_DIR = Path(__file__).resolve().parents[3]

# Settings that decide which address a sign-in is counted against, as production ends up with them.
_DUMP_ADDRESS_SETTINGS = """
import json
from django.conf import settings
names = [name for name in dir(settings) if name.startswith(("AXES_", "CONNECTING_PEOPLE_TRUSTED_PROXIES"))]
values = {}
for name in names:
    try:
        values[name] = json.loads(json.dumps(getattr(settings, name)))
    except TypeError:
        pass  # timedeltas and the like: the same in every environment
print(json.dumps(values))
"""


@pytest.fixture(scope="module")
def production_address_values(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("production")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CONNECTING_PEOPLE_", "AXES_"))
    }
    env |= {
        "CONNECTING_PEOPLE_ENV": "production",
        "CONNECTING_PEOPLE_HOME": str(tmp),
        "DJANGO_SETTINGS_MODULE": "connecting_people.config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC_DIR), os.environ.get("PYTHONPATH")])),
    }
    code = "import django; django.setup()\n" + _DUMP_ADDRESS_SETTINGS
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def production_addresses(settings, production_address_values):
    """This test's settings take production's address and lockout settings (with no proxy configured)."""
    for name, value in production_address_values.items():
        setattr(settings, name, value)
    settings.AXES_ENABLED = True
    return settings


def sign_in(client: Client, username: str, password: str = "wrong-password", **meta):
    return client.post(SIGN_IN, {"username": username, "password": password}, **meta)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- the lockout bypass, as production was configured -------------------------------------------------------


def test_rotating_x_forwarded_for_gives_no_fresh_tries(client, org, production_addresses):
    """A client changing the header on every try used to get five new tries per value."""
    for n in range(1, 5):
        response = sign_in(client, "practitioner", HTTP_X_FORWARDED_FOR=f"198.18.0.{n}, 10.0.0.1")
        assert response.status_code == 200, n
    assert sign_in(client, "practitioner", HTTP_X_FORWARDED_FOR="198.18.0.5, 10.0.0.1").status_code == 429
    rotated = sign_in(client, "practitioner", PASSWORD, HTTP_X_FORWARDED_FOR="198.18.0.6, 10.0.0.1")
    assert rotated.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_forged_header_cannot_lock_someone_else_out(org, production_addresses):
    """A single-value header used to count against a NULL address that every such client shared, so anyone
    could lock any user out everywhere."""
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    for _ in range(6):
        sign_in(attacker, "practitioner", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert sign_in(attacker, "practitioner", PASSWORD).status_code == 429
    victim = Client(REMOTE_ADDR="198.51.100.7")
    assert sign_in(victim, "practitioner", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}


# --- behind a trusted proxy ------------------------------------------------------------------------------


@pytest.fixture
def behind_proxy(production_addresses):
    production_addresses.CONNECTING_PEOPLE_TRUSTED_PROXIES = ["127.0.0.1"]
    return production_addresses


def test_behind_a_trusted_proxy_each_client_counts_separately(org, behind_proxy):
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    # The proxy appends what it saw to whatever the attacker sent: the spoofed part changes nothing.
    for n in range(5):
        sign_in(proxy, "practitioner", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.5")
    assert sign_in(proxy, "practitioner", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    colleague = Client(REMOTE_ADDR="127.0.0.1")
    response = sign_in(colleague, "practitioner", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


def test_a_client_that_is_not_the_proxy_cannot_use_the_header(org, behind_proxy):
    direct = Client(REMOTE_ADDR="198.51.100.66")
    for n in range(5):
        sign_in(direct, "practitioner", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}
    assert sign_in(direct, "practitioner", PASSWORD).status_code == 429


# --- per address, across usernames ---------------------------------------------------------------------------


@pytest.fixture
def address_limit(settings):
    settings.AXES_ENABLED = True
    settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT = 30
    settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_MINUTES = 15
    return settings


def test_credential_stuffing_from_one_address_is_blocked(org, address_limit):
    """40 usernames, one password each, from one address: the 31st try is refused without being checked."""
    stuffer = Client(REMOTE_ADDR="203.0.113.50")
    statuses = [sign_in(stuffer, f"someone{n}", "Summer2026!").status_code for n in range(40)]
    assert statuses[:30] == [200] * 30
    assert statuses[30:] == [429] * 10
    blocked = sign_in(stuffer, "practitioner", PASSWORD)
    html = blocked.content.decode()
    assert blocked.status_code == 429
    assert "Too many failed sign-ins from your network" in html
    assert "You can try again after" in html
    assert "_auth_user_id" not in stuffer.session
    # Refused tries are not counted or checked: 30 failures stored, 30 audited.
    assert SignInFailure.objects.filter(address="203.0.113.50").count() == 30
    assert len(events("sign_in.failed")) == 30
    (block,) = events("sign_in.address_blocked")
    assert block.summary == {"address": "203.0.113.50", "failures": 30, "minutes": 15}
    # Someone on another network is not affected.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), "practitioner", PASSWORD).status_code == 302


def test_the_address_opens_again_when_its_failures_leave_the_window(org, address_limit):
    address_limit.CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT = 3
    stuffer = Client(REMOTE_ADDR="203.0.113.50")
    for n in range(3):
        sign_in(stuffer, f"someone{n}")
    assert sign_in(stuffer, "practitioner", PASSWORD).status_code == 429
    SignInFailure.objects.update(occurred_at=timezone.now() - timedelta(minutes=16))
    assert sign_in(stuffer, "practitioner", PASSWORD).status_code == 302


def test_the_per_address_limit_is_far_above_the_per_username_one(settings):
    assert settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT >= 5 * settings.AXES_FAILURE_LIMIT


# --- the audit trail ---------------------------------------------------------------------------------------


def test_a_wrong_password_is_audited_with_who_where_and_why(org, address_limit):
    sign_in(Client(REMOTE_ADDR="203.0.113.5"), "practitioner")
    (event,) = events("sign_in.failed")
    assert event.actor_id is None
    assert event.object_type == "user" and event.object_id == str(org.practitioner.pk)
    assert event.summary == {"username": "practitioner", "address": "203.0.113.5", "reason": "wrong_password"}


def test_an_unknown_username_is_stored_only_as_a_keyed_hash(org, address_limit):
    typed = "MyS3cret-password!"  # a password typed into the username box
    sign_in(Client(REMOTE_ADDR="203.0.113.5"), typed)
    sign_in(Client(REMOTE_ADDR="203.0.113.5"), typed)
    first, second = events("sign_in.failed")
    assert first.summary["reason"] == "unknown_username"
    assert first.object_id == ""
    assert typed not in json.dumps(first.summary) and typed.lower() not in json.dumps(first.summary).lower()
    assert first.summary["username_hash"] == second.summary["username_hash"] == attempted_username_hash(typed)
    assert attempted_username_hash(typed) != attempted_username_hash(typed + "x")


def test_a_username_longer_than_any_account_is_refused_before_anything_is_tried(org, address_limit):
    """Found by fuzzing: a 300-character username went on to be tried, and django-axes stored it in a
    255-character column (a server error on PostgreSQL). No account has a username over 150 characters."""
    response = sign_in(Client(REMOTE_ADDR="203.0.113.5"), "u" * 300)
    assert response.status_code == 200
    assert "Enter a username of 150 characters or fewer" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert not SignInFailure.objects.exists()
    assert events("sign_in.failed") == []
    # The longest username an account can have is still tried, counted and audited.
    assert sign_in(Client(REMOTE_ADDR="203.0.113.5"), "u" * 150).status_code == 200
    assert AccessAttempt.objects.get().username == "u" * 150
    assert len(events("sign_in.failed")) == 1


def test_an_inactive_account_is_audited_as_such(org, address_limit):
    org.colleague.is_active = False
    org.colleague.save()
    sign_in(Client(), "colleague", PASSWORD)
    assert events("sign_in.failed")[0].summary["reason"] == "inactive_account"


def test_the_lockout_and_tries_while_locked_are_audited(org, address_limit):
    client = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(5):
        sign_in(client, "practitioner")
    (lockout,) = events("sign_in.locked_out")
    assert lockout.object_id == str(org.practitioner.pk)
    assert lockout.summary == {
        "username": "practitioner",
        "address": "203.0.113.5",
        "failures": 5,
        "minutes": 30,
    }
    sign_in(client, "practitioner", PASSWORD)
    reasons = [event.summary["reason"] for event in events("sign_in.failed")]
    assert reasons == ["wrong_password"] * 5 + ["account_locked"]
    assert len(events("sign_in.locked_out")) == 1


def test_a_successful_sign_in_records_the_address(org, address_limit):
    sign_in(Client(REMOTE_ADDR="203.0.113.5"), "practitioner", PASSWORD)
    (event,) = events("user.signed_in")
    assert event.summary == {"address": "203.0.113.5"}


def test_a_blank_form_is_not_a_failed_sign_in(org, address_limit):
    Client().post(SIGN_IN, {"username": "", "password": ""})
    assert events("sign_in.failed") == []
    assert SignInFailure.objects.count() == 0


# --- configuration -----------------------------------------------------------------------------------------


def _production(tmp_path, *args, **env_overrides):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CONNECTING_PEOPLE_", "AXES_"))
    }
    env |= {
        "CONNECTING_PEOPLE_ENV": "production",
        "CONNECTING_PEOPLE_HOME": str(tmp_path),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC_DIR), os.environ.get("PYTHONPATH")])),
        **env_overrides,
    }
    return subprocess.run(
        [sys.executable, "-m", "connecting_people.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_warns_when_no_proxy_is_trusted(tmp_path):
    result = _production(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "accounts.W001" in result.stderr and "CONNECTING_PEOPLE_TRUSTED_PROXIES is empty" in result.stderr
    configured = _production(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        CONNECTING_PEOPLE_TRUSTED_PROXIES="127.0.0.1",
    )
    assert "accounts.W001" not in configured.stderr


def test_a_proxy_setting_that_is_not_an_address_stops_the_service_starting(tmp_path):
    result = _production(tmp_path, "check", CONNECTING_PEOPLE_TRUSTED_PROXIES="127.0.0.1,nginx")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CONNECTING_PEOPLE_TRUSTED_PROXIES: 'nginx' is not an IP address" in result.stderr

"""Security of signing in: MFA, login throttling, Content-Security-Policy and CSRF."""

import base64
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from connecting_people.accounts import mfa
from connecting_people.audit.models import AuditEvent

PASSWORD = "test-password-123"
SIGN_IN = "/accounts/sign-in/"
MFA = "/accounts/security-code/"


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(SIGN_IN, {"username": username, "password": password, **extra})


def current_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now for `device` (or `offset_steps` periods away)."""
    code = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0 - offset_steps * device.step,
        digits=device.digits,
        drift=device.drift,
    )
    return f"{code:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A six-digit code that matches none of the codes the device would accept now."""
    accepted = {current_code(device, offset_steps=steps) for steps in range(-2, 3)}
    return next(
        code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in accepted
    )


def next_param(response) -> str:
    return parse_qs(urlsplit(response["Location"]).query).get("next", [""])[0]


def audit_actions(user) -> list[str]:
    return list(AuditEvent.objects.filter(actor_id=user.pk).order_by("id").values_list("action", flat=True))


# --- Multi-factor authentication ----------------------------------------------------------------------------


@pytest.fixture
def mfa_required(settings):
    settings.CONNECTING_PEOPLE_REQUIRE_MFA = True
    return settings


@pytest.fixture
def enrolled(org):
    """The practitioner with a confirmed authenticator app."""
    return TOTPDevice.objects.create(user=org.practitioner, name="Authenticator app", confirmed=True)


@pytest.mark.parametrize("path", ["/", "/help/", "/people/", "/team/cover/", "/admin/", "/no-such-page/"])
def test_mfa_required_sends_a_signed_in_user_to_the_security_code_page(client, org, mfa_required, path):
    client.force_login(org.practitioner)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(MFA)
    assert next_param(response) == path


def test_mfa_redirect_keeps_the_query_string(client, org, mfa_required):
    client.force_login(org.practitioner)
    response = client.get("/help/?section=maps&x=1")
    assert next_param(response) == "/help/?section=maps&x=1"


def test_password_sign_in_goes_on_to_the_security_code_page(client, org, mfa_required, enrolled):
    response = sign_in(client, "practitioner", next="/help/")
    assert response.status_code == 302 and response["Location"] == "/help/"
    response = client.get("/help/")
    assert response["Location"].startswith(MFA)


def test_mfa_off_means_no_redirect(client, org, settings):
    settings.CONNECTING_PEOPLE_REQUIRE_MFA = False
    client.force_login(org.practitioner)
    assert client.get("/").status_code == 200
    assert client.get("/help/").status_code == 200


def test_sign_in_sign_out_and_health_stay_open_before_mfa(client, org, mfa_required):
    client.force_login(org.practitioner)
    assert client.get(MFA).status_code == 200
    assert client.get("/accounts/sign-out/").status_code == 200
    assert client.get("/healthz").status_code == 200


def enter_set_up_code(client: Client, user) -> TOTPDevice:
    """An administrator made a set-up code (on the command line here); the user enters it on the MFA page."""
    code, _ = mfa.enrolment_code_issue(actor=None, user=user, via="command line")
    response = client.post(MFA, {"code": code, "next": "/help/"})
    assert response.status_code == 302, response.content.decode()
    return TOTPDevice.objects.get(user=user, confirmed=False)


def test_setup_page_shows_a_qr_code_and_setup_key(client, org, mfa_required):
    client.force_login(org.practitioner)
    enter_set_up_code(client, org.practitioner)
    response = client.get(MFA)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Scan the QR code" in html
    assert re.search(r'<div class="app-qr"[^>]*>\s*<svg[^>]*>.*?<path d="M', html, re.S)
    assert "<?xml" not in html, "the SVG is embedded in HTML, not a separate XML document"
    device = TOTPDevice.objects.get(user=org.practitioner, confirmed=False)
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = re.search(r"Setup key: <code>([A-Z2-7 ]+)</code>", html).group(1)
    assert shown.replace(" ", "") == key
    # Visiting again shows the same key: the app the person already scanned keeps working.
    again = client.get(MFA).content.decode()
    assert re.search(r"Setup key: <code>([A-Z2-7 ]+)</code>", again).group(1) == shown
    assert TOTPDevice.objects.filter(user=org.practitioner).count() == 1


def test_enrolling_with_the_right_code_confirms_the_app_and_lets_them_through(client, org, mfa_required):
    client.force_login(org.practitioner)
    device = enter_set_up_code(client, org.practitioner)
    response = client.post(MFA, {"token": current_code(device), "next": "/help/"})
    assert response.status_code == 302 and response["Location"] == "/help/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/help/").status_code == 200
    assert client.get("/").status_code == 200
    assert audit_actions(org.practitioner)[-1] == "mfa.enrolled"


def test_a_wrong_code_shows_an_error_and_keeps_them_out(client, org, mfa_required, enrolled):
    client.force_login(org.practitioner)
    response = client.post(MFA, {"token": wrong_code(enrolled), "next": "/help/"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter your security code" in html
    assert "The code is not right" in html
    assert "nhsuk-error-summary" in html
    assert client.get("/help/")["Location"].startswith(MFA)
    assert audit_actions(org.practitioner) == ["mfa.failed"]


def test_a_malformed_code_is_refused_without_trying_it(client, org, mfa_required, enrolled):
    client.force_login(org.practitioner)
    response = client.post(MFA, {"token": "12ab"})
    assert "Enter the 6-digit code" in response.content.decode()
    enrolled.refresh_from_db()
    assert enrolled.throttling_failure_count == 0


def test_the_right_code_verifies_and_lets_them_through(client, org, mfa_required, enrolled):
    client.force_login(org.practitioner)
    response = client.post(MFA, {"token": current_code(enrolled), "next": "/help/"})
    assert response.status_code == 302 and response["Location"] == "/help/"
    assert client.get("/help/").status_code == 200
    assert audit_actions(org.practitioner) == ["mfa.verified"]
    event = AuditEvent.objects.get(action="mfa.verified")
    assert event.object_type == "user" and event.object_id == str(org.practitioner.pk)
    assert current_code(enrolled) not in str(event.summary)


def test_a_code_cannot_be_used_twice(client, org, mfa_required, enrolled):
    code = current_code(enrolled)
    client.force_login(org.practitioner)
    assert client.post(MFA, {"token": code})["Location"] == "/"
    other = Client()
    other.force_login(org.practitioner)
    response = other.post(MFA, {"token": code})
    assert response.status_code == 200
    assert audit_actions(org.practitioner) == ["mfa.verified", "mfa.failed"]


def test_a_quick_retry_after_a_wrong_code_is_held_back_with_a_clear_message(
    client, org, mfa_required, enrolled
):
    """django-otp throttles guesses (1 s, 2 s, 4 s ...): the page says to wait, not that the code is wrong."""
    client.force_login(org.practitioner)
    client.post(MFA, {"token": wrong_code(enrolled)})
    response = client.post(MFA, {"token": current_code(enrolled)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Too many wrong codes" in html
    assert client.get("/help/")["Location"].startswith(MFA)
    assert audit_actions(org.practitioner) == ["mfa.failed", "mfa.throttled"]


def test_a_wrong_code_then_the_right_one_after_the_wait(client, org, mfa_required, enrolled, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    client.force_login(org.practitioner)
    client.post(MFA, {"token": wrong_code(enrolled)})
    response = client.post(MFA, {"token": current_code(enrolled), "next": "/help/"})
    assert response["Location"] == "/help/"
    assert audit_actions(org.practitioner) == ["mfa.failed", "mfa.verified"]


def test_verification_does_not_follow_an_offsite_next(client, org, mfa_required, enrolled):
    client.force_login(org.practitioner)
    response = client.post(MFA, {"token": current_code(enrolled), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_mfa_page_needs_a_password_sign_in_first(client, db, mfa_required):
    response = client.get(MFA)
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)


# --- Login throttling (django-axes) -------------------------------------------------------------------------


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    return settings


def test_five_wrong_passwords_lock_the_account(client, org, axes_on):
    for attempt in range(1, 5):
        response = sign_in(client, "practitioner", "wrong-password")
        assert response.status_code == 200, attempt
        assert "Enter a correct username and password" in response.content.decode()
    fifth = sign_in(client, "practitioner", "wrong-password")
    assert fifth.status_code == 429
    # The sixth attempt, with the right password, is refused too.
    sixth = sign_in(client, "practitioner", PASSWORD)
    html = sixth.content.decode()
    assert sixth.status_code == 429
    assert "Your account is locked for now" in html
    assert "_auth_user_id" not in client.session
    assert client.get("/")["Location"].startswith(SIGN_IN)


def test_a_successful_sign_in_resets_the_count(client, org, axes_on):
    for _ in range(4):
        assert sign_in(client, "practitioner", "wrong-password").status_code == 200
    assert sign_in(client, "practitioner", PASSWORD).status_code == 302
    client.post("/accounts/sign-out/")
    for _ in range(4):
        assert sign_in(client, "practitioner", "wrong-password").status_code == 200
    # Nine failures in all, but never five in a row: the right password still works.
    response = sign_in(client, "practitioner", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(org.practitioner.pk)


def test_one_locked_account_does_not_lock_out_a_colleague(client, org, axes_on):
    for _ in range(5):
        sign_in(client, "practitioner", "wrong-password")
    assert sign_in(client, "practitioner", PASSWORD).status_code == 429
    assert sign_in(Client(), "colleague", PASSWORD).status_code == 302


def test_lockout_ends_after_the_cool_off(client, org, axes_on):
    for _ in range(5):
        sign_in(client, "practitioner", "wrong-password")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert sign_in(client, "practitioner", PASSWORD).status_code == 302


# --- Content-Security-Policy --------------------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_csp_with_nonce(response) -> None:
    assert response.status_code in {200, 404, 429}, response.status_code
    assert response["Content-Type"].startswith("text/html")
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    directives = csp_directives(response)
    nonces = [source for source in directives["script-src"] if source.startswith("'nonce-")]
    assert len(nonces) == 1, directives["script-src"]
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    assert len(nonce) >= 16
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts, "the NHS.UK template's inline script is on every page"
    inline = [attrs for attrs in scripts if "src=" not in attrs]
    assert inline, "the inline js-enabled script is there"
    for attrs in inline:
        assert f'nonce="{nonce}"' in attrs, attrs
    assert " on" + "click=" not in html and "javascript:" not in html
    assert not re.search(r"\sstyle=\"", html), "style-src 'self' would block inline style attributes"


def test_csp_on_the_sign_in_page(client, db):
    assert_csp_with_nonce(client.get(SIGN_IN))


def test_csp_nonce_changes_on_every_response(client, db):
    first = csp_directives(client.get(SIGN_IN))["script-src"]
    second = csp_directives(client.get(SIGN_IN))["script-src"]
    assert first != second


@pytest.mark.parametrize("path", ["/", "/help/", "/people/", "/accounts/sign-out/", "/no-such-page/"])
def test_csp_on_pages_for_a_signed_in_practitioner(client, org, path):
    client.force_login(org.practitioner)
    assert_csp_with_nonce(client.get(path))


def test_csp_on_the_team_lead_cover_page(client, org):
    client.force_login(org.lead)
    assert_csp_with_nonce(client.get("/team/cover/"))


def test_csp_on_the_security_code_page(client, org, mfa_required):
    client.force_login(org.practitioner)
    assert_csp_with_nonce(client.get(MFA))  # asks for the set-up code
    enter_set_up_code(client, org.practitioner)
    assert_csp_with_nonce(client.get(MFA))  # the QR code


def test_csp_on_a_form_with_errors(client, db):
    response = sign_in(client, "nobody", "wrong-password")
    assert_csp_with_nonce(response)


def test_csp_on_the_locked_out_page(client, org, axes_on):
    for _ in range(5):
        sign_in(client, "practitioner", "wrong-password")
    response = sign_in(client, "practitioner", PASSWORD)
    assert response.status_code == 429
    assert_csp_with_nonce(response)


# --- CSRF ---------------------------------------------------------------------------------------------------


def test_sign_in_without_a_csrf_token_is_refused(org):
    client = Client(enforce_csrf_checks=True)
    response = client.post(SIGN_IN, {"username": "practitioner", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_sign_in_with_a_forged_csrf_token_is_refused(org):
    client = Client(enforce_csrf_checks=True)
    client.get(SIGN_IN)
    response = client.post(
        SIGN_IN, {"username": "practitioner", "password": PASSWORD, "csrfmiddlewaretoken": "x" * 64}
    )
    assert response.status_code == 403


def test_sign_in_with_the_page_csrf_token_works(org):
    client = Client(enforce_csrf_checks=True)
    page = client.get(SIGN_IN).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        SIGN_IN, {"username": "practitioner", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_security_code_post_without_a_csrf_token_is_refused(org, mfa_required, enrolled):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.practitioner)
    response = client.post(MFA, {"token": current_code(enrolled)})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action__startswith="mfa.").count() == 0


def test_sign_out_without_a_csrf_token_is_refused(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.practitioner)
    assert client.post("/accounts/sign-out/").status_code == 403
    assert client.session["_auth_user_id"] == str(org.practitioner.pk)


# --- Cookies ------------------------------------------------------------------------------------------------


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, org):
    client.get(SIGN_IN)
    sign_in(client, "practitioner")
    session_cookie = client.cookies["sessionid"]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["httponly"]

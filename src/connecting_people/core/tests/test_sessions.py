"""Signed-in sessions end after 15 minutes without a request and after 12 hours in all."""

from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from connecting_people.core.middleware import SESSION_LAST_SEEN, SESSION_STARTED

APP_PAGE = "/help/"


def set_session_times(client, *, started, last_seen) -> None:
    session = client.session
    session[SESSION_STARTED] = started.isoformat()
    session[SESSION_LAST_SEEN] = last_seen.isoformat()
    session.save()


def assert_signed_out_to_sign_in(client, response, next_path: str = APP_PAGE) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [next_path]
    assert "_auth_user_id" not in client.session
    # The next request is anonymous: the home page asks them to sign in.
    follow = client.get("/")
    assert follow.status_code == 302 and follow["Location"].startswith("/accounts/sign-in/")


@pytest.fixture
def signed_in(client, org):
    client.force_login(org.practitioner)
    return client


def test_an_active_session_carries_on_and_records_when_it_was_last_seen(signed_in):
    now = timezone.now()
    set_session_times(signed_in, started=now - timedelta(hours=1), last_seen=now - timedelta(minutes=14))
    assert signed_in.get(APP_PAGE).status_code == 200
    last_seen = signed_in.session[SESSION_LAST_SEEN]
    assert timezone.datetime.fromisoformat(last_seen) >= now


def test_first_request_after_sign_in_starts_the_clock(signed_in):
    assert signed_in.get(APP_PAGE).status_code == 200
    assert SESSION_STARTED in signed_in.session
    assert SESSION_LAST_SEEN in signed_in.session


def test_idle_for_more_than_15_minutes_signs_out(signed_in):
    now = timezone.now()
    set_session_times(
        signed_in, started=now - timedelta(minutes=30), last_seen=now - timedelta(minutes=15, seconds=1)
    )
    response = signed_in.get(APP_PAGE)
    assert_signed_out_to_sign_in(signed_in, response)


def test_older_than_12_hours_signs_out_even_when_active(signed_in):
    now = timezone.now()
    set_session_times(
        signed_in, started=now - timedelta(hours=12, seconds=1), last_seen=now - timedelta(minutes=1)
    )
    response = signed_in.get(APP_PAGE)
    assert_signed_out_to_sign_in(signed_in, response)


def test_the_sign_in_page_says_why_they_were_signed_out(signed_in):
    now = timezone.now()
    set_session_times(signed_in, started=now - timedelta(hours=1), last_seen=now - timedelta(minutes=20))
    response = signed_in.get(APP_PAGE, follow=True)
    assert response.status_code == 200
    assert "You were signed out to protect people" in response.content.decode()


def test_idle_timeout_with_a_frozen_clock(signed_in):
    """Walk the clock forward instead of editing the session: 14 minutes idle is fine, 16 minutes is not."""
    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start):
        assert signed_in.get(APP_PAGE).status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(minutes=14)):
        assert signed_in.get(APP_PAGE).status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(minutes=30)):
        response = signed_in.get(APP_PAGE)
    assert_signed_out_to_sign_in(signed_in, response)


def test_absolute_timeout_with_a_frozen_clock(signed_in):
    """Active every 10 minutes, still signed out once 12 hours have passed since sign-in."""
    start = timezone.now()
    for minutes in range(0, 12 * 60 + 1, 10):
        with mock.patch("django.utils.timezone.now", return_value=start + timedelta(minutes=minutes)):
            assert signed_in.get(APP_PAGE).status_code == 200, minutes
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(hours=12, minutes=5)):
        response = signed_in.get(APP_PAGE)
    assert_signed_out_to_sign_in(signed_in, response)


def test_signing_in_with_a_password_restarts_the_clock(client, org):
    """A fresh password sign-in starts a new 12-hour session, whatever an earlier session recorded."""
    client.force_login(org.practitioner)
    now = timezone.now()
    set_session_times(
        client, started=now - timedelta(hours=11, minutes=59), last_seen=now - timedelta(minutes=1)
    )
    response = client.post(
        "/accounts/sign-in/", {"username": "practitioner", "password": "test-password-123"}
    )
    assert response.status_code == 302
    started = timezone.datetime.fromisoformat(client.session[SESSION_STARTED])
    assert started >= now
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(minutes=5)):
        assert client.get(APP_PAGE).status_code == 200


def test_the_way_back_keeps_the_query_string(signed_in):
    now = timezone.now()
    set_session_times(signed_in, started=now - timedelta(hours=1), last_seen=now - timedelta(minutes=20))
    response = signed_in.get("/help/?topic=maps&page=2")
    assert_signed_out_to_sign_in(signed_in, response, next_path="/help/?topic=maps&page=2")


def test_an_unreadable_timestamp_ends_the_session_rather_than_restarting_the_clock(signed_in):
    session = signed_in.session
    session[SESSION_STARTED] = "not a time"
    session[SESSION_LAST_SEEN] = timezone.now().isoformat()
    session.save()
    assert_signed_out_to_sign_in(signed_in, signed_in.get(APP_PAGE))


def test_a_post_after_the_idle_limit_changes_nothing(signed_in, org):
    """Signed out before the view runs: a form left open for an hour is not submitted."""
    now = timezone.now()
    set_session_times(signed_in, started=now - timedelta(hours=1), last_seen=now - timedelta(minutes=16))
    response = signed_in.post("/accounts/sign-out/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/sign-in/")


def test_anonymous_requests_are_untouched(client, db):
    assert client.get(APP_PAGE).status_code == 200
    assert SESSION_STARTED not in client.session

"""/healthz answers 200 when the database answers and 503 when it does not, without signing in."""

from unittest import mock

import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_needs_no_sign_in_even_when_mfa_is_required(client, settings):
    settings.CONNECTING_PEOPLE_REQUIRE_MFA = True
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_healthz_is_unavailable_when_the_query_fails(client):
    cursor = mock.MagicMock()
    cursor.__enter__.return_value.execute.side_effect = OperationalError("connection refused")
    with mock.patch("connecting_people.core.views.connection") as fake_connection:
        fake_connection.cursor.return_value = cursor
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "error"}
    assert "connection refused" not in response.content.decode(), "says nothing about the failure"


@pytest.mark.django_db
def test_healthz_is_unavailable_when_no_connection_can_be_made(client):
    """A database that is down fails before any cursor exists: the request's own transaction must not turn
    that into a 500 before the health check runs."""
    with mock.patch.object(
        connection, "ensure_connection", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"

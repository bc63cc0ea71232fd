from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from connecting_people.accounts.actor import actor_for
from connecting_people.api import services
from connecting_people.api.tokens import SCOPES


def make_token(user, scopes=None, days: int = 30) -> str:
    """A token for `user` as they would make it on their tokens page (after their security code)."""
    token, secret = services.token_create(
        actor=actor_for(user), name="tests", scopes=list(scopes or SCOPES), days=days, mfa_verified=True
    )
    # Noted as used a moment from now, so the "last used" write (at most once a minute) never lands inside a
    # test's query count when a slow machine takes over a minute between requests. test_tokens.py checks the write.
    token.__class__.objects.filter(pk=token.pk).update(last_used_at=timezone.now() + timedelta(hours=1))
    return secret


class ApiClient:
    """Django's test client, sending a token and JSON."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def _headers(self, headers):
        sent = dict(headers or {})
        if self.token:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        return sent

    def get(self, path, data=None, headers=None):
        return self.client.get(path, data, headers=self._headers(headers))

    def post(self, path, body=None, headers=None, raw=None):
        import json

        return self.client.post(
            path,
            raw if raw is not None else json.dumps(body),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def patch(self, path, body=None, headers=None):
        import json

        return self.client.patch(
            path, json.dumps(body), content_type="application/json", headers=self._headers(headers)
        )


@pytest.fixture
def api_as():
    def client_for(user, scopes=None) -> ApiClient:
        return ApiClient(make_token(user, scopes) if user is not None else None)

    return client_for

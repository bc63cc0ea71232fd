"""The world of `url_matrix.py`, made once for this package (per test process: the access matrix and the fuzzing
share it) with a signed-in session for every role and the forms each page holds. It lives in a transaction that is
rolled back when the package's tests are done, so no test elsewhere sees it; each test here runs in a savepoint
inside it, rolled back after the test."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from connecting_people.accounts.actor import as_actor
from connecting_people.core.tests.matrix import url_matrix

PRODUCTION_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    files = tmp_path_factory.mktemp("study-files")
    # Thousands of refusals are expected here: log only errors (server errors still show).
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(max(level, logging.ERROR))
    try:
        with (
            django_db_blocker.unblock(),
            # Study files in a directory of this run; background tasks queued in the database, as in
            # production (the test settings' immediate backend cannot show queued tasks in the admin).
            override_settings(CONNECTING_PEOPLE_STUDY_FILES=files, TASKS=PRODUCTION_TASKS),
            transaction.atomic(),
        ):
            cast = url_matrix.build_world()
            sessions = {}
            for role, user in cast.users.items():
                client = Client()
                client.force_login(user)
                sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
            from connecting_people.api import services as api_services
            from connecting_people.api.tokens import SCOPES

            tokens = {
                role: api_services.token_create(
                    actor=as_actor(user), name="matrix", scopes=list(SCOPES), days=30, mfa_verified=True
                )[1]
                for role, user in cast.users.items()
            }
            # The matrix sends each role's token thousands of requests a minute: it tests reach, not rate limits.
            from connecting_people.api.models import ApiToken

            ApiToken.objects.update(rate_limit=1_000_000)
            built = url_matrix.World(cast, sessions, {}, {}, {}, tokens=tokens)
            _crawl(built)
            yield built
            transaction.set_rollback(True)
    finally:
        request_log.setLevel(level)


def _crawl(world: url_matrix.World) -> None:
    """Every pattern's in-scope page as a role that reaches it; keep the forms found, by the pattern they go to."""
    client = world.client()
    for pattern in url_matrix.url_patterns():
        access = url_matrix.access_for(pattern)
        owner = url_matrix.owner_of(access) if access else None
        if owner is None:
            continue
        url = url_matrix.addresses(pattern, world.cast)[0].url
        with transaction.atomic():  # whatever reading the page writes is undone: the world stays as made
            response = client.as_role(owner).get(url)
            transaction.set_rollback(True)
        world.owner_pages[url] = (owner, response.status_code)
        if response.streaming:  # a download
            url_matrix.finish(response)
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        forms, links = url_matrix.forms_in(response.content.decode(), url)
        for link in links:
            parts = urlsplit(link)
            target = url_matrix.pattern_of(parts.path or url)
            if target is not None:
                world.query_names.setdefault(target, set()).update(parse_qs(parts.query, True))
        for form in forms:
            target = url_matrix.pattern_of(form.action)
            if target is None:
                continue
            found = world.forms if form.method == "post" else world.get_forms
            # A page's own form first: it is the one filled in for that page's objects.
            if target not in found or form.action == url:
                found[target] = form

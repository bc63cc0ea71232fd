"""The world of `url_matrix.py`, made once per test module (each test runs in a savepoint inside it, rolled back
after the test) with a signed-in session for every role and the forms each page holds."""

import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from connecting_people.core.tests import url_matrix

PRODUCTION_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@dataclass
class World:
    cast: url_matrix.Cast
    sessions: dict[str, str]  # role → session key
    forms: dict[str, url_matrix.Form]  # pattern key → the first form found that posts to it
    get_forms: dict[str, url_matrix.Form]  # pattern key → the first GET form (search) found that goes to it
    owner_pages: dict[str, tuple[str, int]]  # in-scope URL of each pattern → (role that read it, status)
    query_names: dict[str, set[str]] = field(default_factory=dict)  # pattern key → query names its links use

    def client(self) -> "RoleClient":
        return RoleClient(self.sessions)


class RoleClient:
    """A test client that sends each request as one role (by its session cookie), so no test signs anyone in
    and a sign-out by one request does not carry over to the next."""

    def __init__(self, sessions: dict[str, str], **kwargs):
        self.client = Client(raise_request_exception=False, **kwargs)
        self.sessions = sessions

    def as_role(self, role: str) -> Client:
        self.client.cookies.clear()
        if role != "anonymous":
            self.client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return self.client


def owner_of(access: url_matrix.Access) -> str | None:
    """The role whose view of a page is crawled for its forms: the most ordinary role that reaches it."""
    for role in ("practitioner", "lead", "study_lead", "implementation_lead", "administrator", "colleague"):
        if role in access.roles:
            return role
    return next(iter(sorted(access.roles)), None)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    files = tmp_path_factory.mktemp("study-files")
    # Thousands of refusals are expected here: log only errors (server errors still show).
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
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
            built = World(cast, sessions, {}, {}, {})
            _crawl(built)
            yield built
            transaction.set_rollback(True)
    finally:
        request_log.setLevel(level)


def _crawl(world: World) -> None:
    """Every pattern's in-scope page as a role that reaches it; keep the forms found, by the pattern they go to."""
    client = world.client()
    for pattern in url_matrix.url_patterns():
        access = url_matrix.access_for(pattern)
        owner = owner_of(access) if access else None
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

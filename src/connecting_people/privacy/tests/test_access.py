"""Who reaches the data-protection pages: the officer of trust A reaches trust A's people there and nothing else
(404 for trust B's people, and for every page of the service that is not a data-protection page, generated from
the URL resolver); every other role gets 404 on every data-protection page; anonymous visitors are sent to
sign in."""

import pytest
from django.urls import get_resolver, reverse

from connecting_people.accounts.tests.factories import UserFactory
from connecting_people.audit.models import AuditEvent
from connecting_people.core.tests.roles import ORG_ROLES as ROLES
from connecting_people.people.models import Person

# Pages every signed-in user may open whatever their role: home, help, health, the practice guidance (general
# help on the way of working, no one's data), and their own account's pages (accounts:...).
EVERYONE = {
    "core:home",
    "core:help",
    "core:healthz",
    "implementation:guidance_index",
    "implementation:guidance_page",
    "implementation:guidance_print",
    "study:list",  # by design open to anyone signed in: it lists the user's own studies (none here)
}


def url_names(namespace: str | None = None) -> list[str]:
    names = []
    for name_space, (_prefix, resolver) in get_resolver().namespace_dict.items():
        if name_space == "admin" or (namespace and name_space != namespace):
            continue
        names += [f"{name_space}:{name}" for name in resolver.reverse_dict if isinstance(name, str)]
    return sorted(names)


def arguments_for(name: str) -> list[str]:
    """The keyword arguments a URL name takes (the first pattern's)."""
    namespace, short = name.split(":")
    resolver = get_resolver().namespace_dict[namespace][1]
    possibilities = resolver.reverse_dict.getlist(short)
    return list(possibilities[0][0][0][1])


def url_for(name: str, values: dict) -> str:
    return reverse(name, kwargs={key: values.get(key, 1) for key in arguments_for(name)})


@pytest.fixture
def values(org, full) -> dict:
    """Real objects of trust A for every kind of id a URL takes, so that a 404 means "not yours"."""
    snapshot = full.review.snapshot
    return {
        "person_id": full.person.pk,
        "snapshot_id": snapshot.pk,
        "entry_id": snapshot.entries.first().pk,
        "goal_id": full.goal.pk,
        "step_id": full.goal.steps.first().pk,
        "link_id": full.link.pk,
        "review_id": full.review.pk,
        "opportunity_id": full.link.opportunity_id,
        "study_id": full.study.study.pk,
        "participant_id": full.participant.pk,
        "timepoint_id": full.study.study.timepoints.first().pk,
        "worker_id": org.practitioner.pk,
        "format": "json",
        "instrument_id": "ucla3",
    }


def test_the_officer_reaches_nothing_but_the_data_protection_pages(client, org, officers, full, values):
    client.force_login(officers.a)
    reached = {}
    for name in url_names():
        # openreferral: the public Open Referral API (no one's data), open to anyone signed in or not.
        # api-v1, fhir: reached only with a token, never a session (401 here); what each role's token reaches is
        # the access matrix's (core/tests/matrix), the officer's included. api: their own tokens page.
        if name in EVERYONE or name.startswith(
            ("privacy:", "accounts:", "openreferral:", "api:", "api-v1:", "fhir:", "api-fallback:")
        ):
            continue
        url = url_for(name, values)
        got = client.get(url).status_code
        if got == 405:  # a page that only takes a POST: the POST must be refused as out of reach too
            got = client.post(url).status_code
        if got != 404:
            reached[name] = got
        assert client.post(url).status_code in (404, 405), name
    assert reached == {}
    assert len(url_names()) > 100  # the resolver gave the whole service
    assert Person.objects.get(pk=full.person.pk).version == full.person.version


def test_the_officer_of_another_trust_gets_404_for_every_page_about_this_trusts_person(
    client, org, officers, full, values
):
    client.force_login(officers.b)
    events = AuditEvent.objects.count()
    for name in url_names("privacy"):
        if "person_id" not in arguments_for(name):
            continue
        url = url_for(name, values)
        data = {"ground": "legal_claims", "lawful_basis": "made_in_error", "confirm": "yes"}
        assert client.get(url).status_code == (405 if name == "privacy:erase_confirm" else 404), name
        assert client.post(url, data).status_code == 404, name
    assert AuditEvent.objects.count() == events
    assert Person.objects.filter(pk=full.person.pk, processing_restricted=False).exists()


def test_the_officer_reaches_every_data_protection_page_for_their_trust(client, org, officers, full, values):
    client.force_login(officers.a)
    for name in url_names("privacy"):
        if name == "privacy:erase_confirm":
            assert client.get(url_for(name, values)).status_code == 405
            continue
        expected = 302 if name == "privacy:lift" else 200  # lifting: nothing restricted, back to the person
        assert client.get(url_for(name, values)).status_code == expected, name


@pytest.mark.parametrize("role", [*ROLES, "superuser", "anonymous"])
def test_every_other_role_gets_404_on_every_data_protection_page(client, org, officers, full, values, role):
    if role == "superuser":
        client.force_login(UserFactory(is_superuser=True, is_staff=True))
    elif role != "anonymous":
        client.force_login(getattr(org, role))
    events = AuditEvent.objects.count()
    for name in url_names("privacy"):
        url = url_for(name, values)
        for response in (
            client.get(url),
            client.post(url, {"lawful_basis": "made_in_error", "confirm": "yes"}),
        ):
            if role == "anonymous":
                assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"], name
            else:
                assert response.status_code in (404, 405) and response.status_code != 200, name
                if response.request["REQUEST_METHOD"] == "POST":
                    assert response.status_code == 404, name
    assert AuditEvent.objects.count() == events
    assert Person.objects.filter(pk=full.person.pk).exists()


def test_the_home_page_and_navigation_lead_the_officer_to_their_pages(client, org, officers):
    client.force_login(officers.a)
    page = client.get("/").content.decode()
    assert 'href="/data-protection/"' in page and "Data protection" in page
    assert "Your account has no role yet" not in page
    client.force_login(org.practitioner)
    assert "/data-protection/" not in client.get("/").content.decode()

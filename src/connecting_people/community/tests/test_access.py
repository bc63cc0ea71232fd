"""Every directory page as every role of the `org` fixture: who reads, who edits, and 404 (never 403) for the
rest; anonymous users go to sign in."""

import pytest

from connecting_people.audit.models import AuditEvent
from connecting_people.community.models import Opportunity
from connecting_people.community.tests.factories import OpportunityFactory
from connecting_people.core.tests.roles import ROLES

READERS = {"practitioner", "colleague", "lead", "other_lead", "implementation_lead", "administrator"}
EDITORS = {"practitioner", "colleague", "lead", "other_lead", "administrator"}


@pytest.fixture
def opportunity(db):
    return OpportunityFactory(
        name="Riverside Walking Group", interests=["walking"], sessions=[(1, "10:00", "12:00")]
    )


def pages(opportunity) -> dict[str, set[str]]:
    return {
        "/community/": READERS,
        "/community/?interest=walking&day=tuesday": READERS,
        f"/community/{opportunity.pk}/": READERS,
        "/community/new/": EDITORS,
        f"/community/{opportunity.pk}/edit/": EDITORS,
    }


def client_for(client, org, role):
    if role != "anonymous":
        client.force_login(getattr(org, role))
    return client


@pytest.mark.parametrize("role", ROLES)
def test_directory_pages(client, org, opportunity, role):
    client = client_for(client, org, role)
    for url, allowed in pages(opportunity).items():
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"], url
        else:
            assert response.status_code == (200 if role in allowed else 404), f"{role} {url}"


@pytest.mark.parametrize("role", sorted(READERS))
def test_an_opportunity_that_does_not_exist_is_not_found(client, org, role):
    client.force_login(getattr(org, role))
    assert client.get("/community/999999/").status_code == 404
    if role in EDITORS:
        assert client.get("/community/999999/edit/").status_code == 404


@pytest.mark.parametrize("role", ["implementation_lead", "researcher", "no_role"])
def test_writes_by_roles_that_do_not_edit_are_404_and_change_nothing(client, org, opportunity, role):
    before = list(Opportunity.objects.values())
    events = AuditEvent.objects.count()
    client.force_login(getattr(org, role))
    data = {"name": "Changed", "category": "sport", "cost": "free", "active": "yes", "version": "1"}
    assert client.post("/community/new/", data).status_code == 404
    assert client.post(f"/community/{opportunity.pk}/edit/", data).status_code == 404
    assert list(Opportunity.objects.values()) == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("role", ROLES[:-1])
def test_the_header_links_to_the_directory_for_those_who_can_use_it(client, org, role):
    client.force_login(getattr(org, role))
    content = client.get("/help/").content.decode()
    assert ('href="/community/"' in content) == (role in READERS)


@pytest.mark.parametrize("role", sorted(READERS))
def test_the_add_link_shows_only_to_editors(client, org, opportunity, role):
    client.force_login(getattr(org, role))
    for url in ("/community/", f"/community/{opportunity.pk}/"):
        content = client.get(url).content.decode()
        assert ("/community/new/" in content or f"/community/{opportunity.pk}/edit/" in content) == (
            role in EDITORS
        ), url

"""/api/v1/community/opportunities: the directory search as on the pages, cursor paging, reach by role."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.community.models import Opportunity
from connecting_people.community.tests.factories import OpportunityFactory, OrganisationFactory

PROBLEM = "application/problem+json"


@pytest.fixture
def directory(db):
    club = OrganisationFactory(name="Riverside Trust")
    walking = OpportunityFactory(
        name="Tuesday walking group",
        organisation=club,
        category=Opportunity.Category.SPORT,
        cost=Opportunity.Cost.FREE,
        interests=["walking"],
        sessions=[(1, "10:00", "12:00")],
    )
    choir = OpportunityFactory(
        name="Community choir", category=Opportunity.Category.ARTS, interests=["singing"]
    )
    closed = OpportunityFactory(name="Old walking club", category=Opportunity.Category.SPORT, active=False)
    return walking, choir, closed


def test_search_filters_as_the_directory_page(org, api_as, directory):
    walking, choir, closed = directory
    client = api_as(org.practitioner)
    everything = client.get("/api/v1/community/opportunities").json()
    assert [row["id"] for row in everything["items"]] == sorted([walking.pk, choir.pk])
    assert [row["id"] for row in client.get("/api/v1/community/opportunities?q=WALKING").json()["items"]] == [
        walking.pk
    ]
    assert [
        row["id"] for row in client.get("/api/v1/community/opportunities?category=arts").json()["items"]
    ] == [choir.pk]
    found = client.get(
        "/api/v1/community/opportunities?day=tuesday&time=morning&cost=free&interest=Walking"
    ).json()
    assert [row["id"] for row in found["items"]] == [walking.pk]
    row = found["items"][0]
    assert row["organisation"]["name"] == "Riverside Trust"
    assert row["interests"] == ["walking"] and row["sessions"][0]["weekday"] == 1
    assert client.get("/api/v1/community/opportunities?category=nonsense").status_code == 422


def test_one_opportunity_with_etag_and_404_for_none(org, api_as, directory):
    walking, choir, closed = directory
    client = api_as(org.implementation_lead)
    response = client.get(f"/api/v1/community/opportunities/{closed.pk}")
    assert response.status_code == 200 and response.json()["active"] is False
    assert response["ETag"] == f'"v{closed.version}"'
    missing = client.get("/api/v1/community/opportunities/999999")
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM


def test_roles_that_do_not_search_the_directory_get_404(org, api_as, directory):
    walking = directory[0]
    for user in (org.researcher, org.no_role):
        client = api_as(user)
        assert client.get("/api/v1/community/opportunities").status_code == 404
        assert client.get(f"/api/v1/community/opportunities/{walking.pk}").status_code == 404
    assert (
        api_as(org.practitioner, scopes=["people:read"]).get("/api/v1/community/opportunities").status_code
        == 403
    )


def test_pages_follow_next_and_cost_the_same_queries_whatever_their_length(org, api_as, db):
    made = [OpportunityFactory(interests=["a", "b"], sessions=[(0, "09:00", None)]).pk for _ in range(21)]
    client = api_as(org.practitioner)
    seen, url = [], "/api/v1/community/opportunities?limit=5"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["items"]]
        url = page["next"]
    assert seen == sorted(made)

    def queries(limit):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/community/opportunities?limit={limit}").status_code == 200
        return len(captured)

    assert queries(1) == queries(20)

"""/api/v1/indicators: the dashboards' numbers (aggregates only), reach as on the pages, small numbers hidden for
the trust, the same queries whatever the number of people."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.implementation.tests.test_dashboards import person_with_practice

PROBLEM = "application/problem+json"


def by_key(team: dict) -> dict:
    return {row["key"]: row for row in team["indicators"]}


def test_a_team_lead_reads_the_team_dashboard_numbers(org, api_as):
    person_with_practice(org, mapped=True, goal=True)
    person_with_practice(org, mapped=True, goal=False)
    person_with_practice(org, mapped=False, goal=False)
    response = api_as(org.lead).get(f"/api/v1/indicators/teams/{org.team.pk}")
    assert response.status_code == 200, response.content
    team = response.json()
    assert team["caseload"] == 3
    found = by_key(team)
    assert (found["map_within_28_days"]["numerator"], found["map_within_28_days"]["denominator"]) == (2, 3)
    assert found["with_goal"]["numerator"] == 1
    assert found["reviewed_on_time"]["value"] is None and found["reviewed_on_time"]["denominator"] == 0
    assert team["overdue"]["open_people"] == 3


def test_a_period_can_be_asked_and_a_bad_one_is_a_422(org, api_as):
    client = api_as(org.lead)
    url = f"/api/v1/indicators/teams/{org.team.pk}"
    assert client.get(url, {"start": "2026-01-01", "end": "2026-01-31"}).json()["end"] == "2026-01-31"
    bad = client.get(url, {"start": "2026-03-01", "end": "2026-02-01"})
    assert bad.status_code == 422 and bad["Content-Type"] == PROBLEM
    assert client.get(url, {"end": "2999-01-01"}).status_code == 422


def test_a_team_is_reached_by_its_own_lead_only(org, api_as):
    for user, team in (
        (org.other_lead, org.team),
        (org.practitioner, org.team),
        (org.implementation_lead, org.team),
        (org.lead, org.other_trust_team),
        (org.researcher, org.team),
    ):
        response = api_as(user).get(f"/api/v1/indicators/teams/{team.pk}")
        assert response.status_code == 404, (user, team)
        assert response["Content-Type"] == PROBLEM
    assert (
        api_as(org.lead, scopes=["people:read"]).get(f"/api/v1/indicators/teams/{org.team.pk}").status_code
        == 403
    )


def test_the_trust_numbers_hide_small_counts_and_name_nobody(org, api_as):
    people = [
        person_with_practice(org, mapped=True, goal=n < 5, family_name=f"Qzxvwk{chr(97 + n)}")
        for n in range(10)
    ]
    person_with_practice(org, mapped=True, goal=True, team=org.other_team, worker=org.other_lead)
    client = api_as(org.implementation_lead)
    response = client.get(f"/api/v1/indicators/trusts/{org.trust.pk}")
    assert response.status_code == 200, response.content
    trust = response.json()
    teams = {team["team_id"]: team for team in trust["teams"]}
    mine, other = teams[org.team.pk], teams[org.other_team.pk]
    assert mine["caseload"] == 10 and by_key(mine)["with_goal"]["numerator"] == 5
    assert other["caseload"] is None
    assert (
        by_key(other)["with_goal"]["suppressed"] is True and by_key(other)["with_goal"]["denominator"] is None
    )
    text = response.content.decode()
    for person in people:
        assert not re.search(rf"\b{re.escape(person.family_name)}\b", text)
        assert person.nhs_number not in text and f'"id": {person.pk}' not in text
    assert (
        client.get(f"/api/v1/indicators/trusts/{org.trust.pk}?period=2025-Q1").json()["period"] == "2025-Q1"
    )
    assert client.get(f"/api/v1/indicators/trusts/{org.trust.pk}?period=2999-Q1").status_code == 422


def test_a_trust_is_reached_by_its_implementation_lead_only(org, api_as):
    other_trust = org.other_trust_team.trust
    for user, trust in (
        (org.lead, org.trust),
        (org.implementation_lead, other_trust),
        (org.researcher, org.trust),
    ):
        assert api_as(user).get(f"/api/v1/indicators/trusts/{trust.pk}").status_code == 404


def test_the_query_count_does_not_grow_with_people(org, api_as):
    person_with_practice(org, mapped=True, goal=True)
    for user, url in (
        (org.lead, f"/api/v1/indicators/teams/{org.team.pk}"),
        (org.implementation_lead, f"/api/v1/indicators/trusts/{org.trust.pk}"),
    ):
        client = api_as(user)
        client.get(url)

        def count(client=client, url=url) -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)

        few = count()
        for n in range(6):
            person_with_practice(org, mapped=n % 2 == 0, goal=n % 3 == 0)
        assert count() == few

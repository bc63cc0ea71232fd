"""Team and trust dashboards: values from recorded practice, small numbers hidden for the trust, the CSV export
holding no one's identity, and a query count that does not grow with the number of people."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from markupsafe import escape

from connecting_people.accounts.actor import as_actor
from connecting_people.connections import services as map_services
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services as plan_services

TODAY = timezone.localdate()
LEVELS = {level: f"Level {level}" for level in (-2, -1, 0, 1, 2)}


def person_with_practice(org, *, mapped: bool, goal: bool, team=None, worker=None, **names):
    person = PersonFactory(
        **names,
        team=team or org.team,
        allocated_worker=worker or org.practitioner,
        practice_consent=True,
        opened_on=TODAY - timedelta(days=200),
        allocated_on=TODAY - timedelta(days=200),
    )
    user = worker or org.practitioner
    if mapped:
        map_services.snapshot_start(
            actor=as_actor(user), person_id=person.pk, taken_on=TODAY - timedelta(days=190)
        )
    if goal:
        plan_services.goal_create(
            actor=as_actor(user),
            person_id=person.pk,
            data=plan_services.GoalData(text="x", levels=LEVELS),
            set_on=TODAY - timedelta(days=150),
        )
    return person


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_team_dashboard_counts_recorded_practice(client, org):
    person_with_practice(org, mapped=True, goal=True)
    person_with_practice(org, mapped=True, goal=False)
    person_with_practice(org, mapped=False, goal=False)
    client.force_login(org.lead)
    page = client.get(f"/implementation/teams/{org.team.pk}/dashboard/").content.decode()
    assert "3 people on the caseload at the end of the period" in page
    table = page.split('id="indicator-table"')[1].split("</table>")[0]
    assert "67%" in table and "2 of 3" in table  # a map within 28 days: two of three
    assert "33%" in table and "1 of 3" in table  # a goal: one of three
    assert "No data" in table  # no reviews due, no links
    exported = {
        row["measure"]: row
        for row in rows(client.get(f"/implementation/teams/{org.team.pk}/dashboard/?format=csv"))
    }
    assert (
        exported["map_within_28_days"]["numerator"] == "2"
        and exported["map_within_28_days"]["denominator"] == "3"
    )
    assert exported["reviewed_on_time"]["value"] == "" and exported["reviewed_on_time"]["denominator"] == "0"


def test_trust_dashboard_hides_small_numbers_and_names_nobody(client, org):
    # Names no page or CSV could contain by chance (a generated "Day" or "Marsh" could match a label or a
    # member of staff).
    people = [
        person_with_practice(org, mapped=True, goal=n < 5, family_name=f"Qzxvwk{chr(97 + n)}")
        for n in range(10)
    ]
    person_with_practice(org, mapped=True, goal=True, team=org.other_team, worker=org.other_lead)
    client.force_login(org.implementation_lead)
    response = client.get(f"/implementation/trusts/{org.trust.pk}/dashboard/")
    page = response.content.decode()
    assert response.status_code == 200
    for person in people:
        assert f"/people/{person.pk}/" not in page
    exported = rows(client.get(f"/implementation/trusts/{org.trust.pk}/dashboard/?format=csv"))
    mine = {row["measure"]: row for row in exported if row["team_id"] == str(org.team.pk)}
    other = {row["measure"]: row for row in exported if row["team_id"] == str(org.other_team.pk)}
    assert mine["caseload"]["value"] == "10" and mine["with_goal"]["numerator"] == "5"
    # 10 of 10 with a map: shown (nobody is picked out by 0 without one)
    assert mine["map_within_28_days"]["numerator"] == "10"
    # The other team has one person: every count is hidden, not shown as a value.
    assert other["caseload"]["value"] == "" and other["caseload"]["suppressed"] == "True"
    assert other["with_goal"]["suppressed"] == "True" and other["with_goal"]["denominator"] == ""
    # The page's main content and the CSV (the header names the signed-in member of staff, who may share a name).
    text = page.split("<main")[1] + "".join(str(row) for row in exported)
    for person in people:
        assert not re.search(rf"\b{re.escape(person.family_name)}\b", text), person.family_name
        assert person.nhs_number not in text


def test_a_bad_period_is_explained_and_the_default_shown(client, org):
    client.force_login(org.lead)
    page = client.get(
        f"/implementation/teams/{org.team.pk}/dashboard/",
        {
            "start_day": "1",
            "start_month": "3",
            "start_year": "2026",
            "end_day": "1",
            "end_month": "2",
            "end_year": "2026",
        },
    ).content.decode()
    assert "There is a problem" in page and "The end of the period must be on or after its start" in page


@pytest.mark.parametrize("url_name", ["team", "trust"])
def test_dashboard_query_count_does_not_grow_with_people(client, org, url_name):
    url = (
        f"/implementation/teams/{org.team.pk}/dashboard/"
        if url_name == "team"
        else f"/implementation/trusts/{org.trust.pk}/dashboard/"
    )
    client.force_login(org.lead if url_name == "team" else org.implementation_lead)
    person_with_practice(org, mapped=True, goal=True)
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    few = count()
    for n in range(8):
        person_with_practice(org, mapped=n % 2 == 0, goal=n % 3 == 0)
    assert count() == few


def test_team_dashboard_breaks_the_indicators_down_by_worker(client, org):
    person_with_practice(org, mapped=True, goal=True)
    person_with_practice(org, mapped=False, goal=False, worker=org.colleague)
    client.force_login(org.lead)
    page = client.get(f"/implementation/teams/{org.team.pk}/dashboard/").content.decode()
    workers = page.split('id="worker-table"')[1].split("</table>")[0]
    # As the page writes them: a generated name may have an apostrophe ("O'Connor"), which the page escapes.
    mine = workers.split(str(escape(org.practitioner.display_name)))[1].split("</tr>")[0]
    theirs = workers.split(str(escape(org.colleague.display_name)))[1].split("</tr>")[0]
    assert "100%" in mine and "1 of 1" in mine
    assert "0%" in theirs and "0 of 1" in theirs


def test_a_team_with_no_lead_shows_on_the_trust_dashboard_as_no_data(client, org):
    from connecting_people.accounts.tests.factories import TeamFactory

    leaderless = TeamFactory(trust=org.trust, name="Team without a lead")
    client.force_login(org.implementation_lead)
    page = client.get(f"/implementation/trusts/{org.trust.pk}/dashboard/").content.decode()
    assert "Team without a lead" in page
    exported = [
        row
        for row in rows(client.get(f"/implementation/trusts/{org.trust.pk}/dashboard/?format=csv"))
        if row["team_id"] == str(leaderless.pk)
    ]
    assert {row["measure"]: row["value"] for row in exported}["caseload"] == "0"
    assert all(
        row["value"] == "" for row in exported if row["measure"] in ("with_goal", "map_within_28_days")
    )


def test_a_csv_with_a_bad_period_shows_the_problem_instead(client, org):
    client.force_login(org.lead)
    response = client.get(
        f"/implementation/teams/{org.team.pk}/dashboard/",
        {
            "format": "csv",
            "start_day": "31",
            "start_month": "2",
            "start_year": "2025",
            "end_day": "1",
            "end_month": "3",
            "end_year": "2025",
        },
    )
    assert response["Content-Type"].startswith("text/html")
    assert "There is a problem" in response.content.decode()

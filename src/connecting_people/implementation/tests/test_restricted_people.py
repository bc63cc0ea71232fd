"""A person whose processing is restricted (UK GDPR Article 18, the privacy app) is kept, but counted in nothing:
not in the team or trust dashboards (page and CSV), not in `connecting-people fidelity indicators`, not in the
case counts an implementation lead sees on the home page. Everyone else is counted as before."""

import csv
import io
import json
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.implementation.tests.test_dashboards import person_with_practice
from connecting_people.measures.services import administration_record
from connecting_people.people.selectors import team_case_counts
from connecting_people.privacy import services as privacy_services
from connecting_people.privacy.tests.restricting import restrict_processing

TODAY = timezone.localdate()


def measured(org, person) -> None:
    """Two scored administrations of the same instrument, so the person counts in "outcome change"."""
    for days_ago, answers in ((120, [1, 1, 1, 1, 1, 1]), (20, [3, 3, 3, 3, 3, 3])):
        administration_record(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            instrument_id="lsns6",
            answers=answers,
            administered_on=TODAY - timedelta(days=days_ago),
            mode="with_person",
        )


def csv_rows(response) -> dict[str, dict]:
    return {row["measure"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}


def test_the_team_dashboard_counts_nobody_whose_processing_is_restricted(client, org):
    kept = [person_with_practice(org, mapped=True, goal=n == 0) for n in range(2)]
    restricted = person_with_practice(org, mapped=True, goal=True)
    for person in (*kept, restricted):
        measured(org, person)
    restrict_processing(restricted)
    client.force_login(org.lead)

    page = client.get(f"/implementation/teams/{org.team.pk}/dashboard/").content.decode()
    assert "2 people on the caseload at the end of the period" in page
    found = csv_rows(client.get(f"/implementation/teams/{org.team.pk}/dashboard/?format=csv"))
    assert found["caseload"]["value"] == "2"
    assert (found["map_within_28_days"]["numerator"], found["map_within_28_days"]["denominator"]) == (
        "2",
        "2",
    )
    assert (found["with_goal"]["numerator"], found["with_goal"]["denominator"]) == ("1", "2")
    assert found["overdue.open_people"]["value"] == "2"
    assert found["outcome_change.lsns6"]["denominator"] == "2"  # people with two scored administrations


def test_the_trust_dashboard_counts_nobody_whose_processing_is_restricted(client, org):
    people = [person_with_practice(org, mapped=True, goal=True) for _ in range(7)]
    restrict_processing(people[0])
    client.force_login(org.implementation_lead)
    exported = csv.DictReader(
        io.StringIO(
            client.get(f"/implementation/trusts/{org.trust.pk}/dashboard/?format=csv").content.decode()
        )
    )
    mine = {row["measure"]: row for row in exported if row["team_id"] == str(org.team.pk)}
    assert mine["caseload"]["value"] == "6"
    assert mine["with_goal"]["numerator"] == "6" and mine["with_goal"]["denominator"] == "6"
    assert mine["overdue.open_people"]["value"] == "6"


def test_the_indicator_command_counts_nobody_whose_processing_is_restricted(org):
    people = [person_with_practice(org, mapped=True, goal=False) for _ in range(3)]
    restrict_processing(people[0])
    out = io.StringIO()
    call_command("fidelity", "indicators", "--team", str(org.team.pk), stdout=out)
    result = json.loads(out.getvalue())
    assert result["caseload"] == 2
    assert result["indicators"]["map_within_28_days"]["denominator"] == 2


def test_the_home_page_case_counts_leave_out_people_whose_processing_is_restricted(org, settings):
    settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD = 1  # show every count
    people = [person_with_practice(org, mapped=False, goal=False) for _ in range(3)]
    restrict_processing(people[0])
    (row,) = [row for row in team_case_counts(user=org.implementation_lead) if row["id"] == org.team.pk]
    assert (row["open_cases"], row["practice_consented"]) == (2, 2)


def test_lifting_the_restriction_counts_the_person_again(org):
    people = [person_with_practice(org, mapped=True, goal=False) for _ in range(2)]
    restrict_processing(people[0])
    officer = UserFactory()
    member(officer, Role.DATA_PROTECTION, trust=org.trust)
    privacy_services.restriction_lift(
        user=officer, person_id=people[0].pk, reason="accuracy_checked", person_told=True
    )
    out = io.StringIO()
    call_command("fidelity", "indicators", "--team", str(org.team.pk), stdout=out)
    assert json.loads(out.getvalue())["caseload"] == 2

"""Adding someone who may already have a record: the add page warns when a record the user may see has the same
name and date of birth, links to it, and adds the person only when asked to deliberately. Records out of the
user's reach are never mentioned (no existence leak: see docs and DESIGN "Access rules")."""

from datetime import date

import pytest

from connecting_people.audit.models import AuditEvent
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.people.tests.test_records import VALID

BORN = date(1979, 11, 4)  # VALID's date of birth
WARNING = "This person may already have a record"


def add(client, org, **changes):
    data = VALID | {"team": str(org.team.pk)} | changes
    data.pop("version")
    return client.post("/people/new/", data)


@pytest.fixture
def existing(org):
    return PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        given_name="Robin",
        family_name="Ashworth",
        date_of_birth=BORN,
    )


def test_the_same_name_and_birth_date_are_not_added_twice_without_a_warning(client, org, existing):
    client.force_login(org.practitioner)
    response = add(client, org, given_name=" robin ", family_name="ASHWORTH")
    page = response.content.decode()
    assert response.status_code == 200
    assert WARNING in page
    assert f'<a href="/people/{existing.pk}/">Open Robin Ashworth\'s record</a>' in page
    assert "<title>Check for an existing record" in page
    assert Person.objects.count() == 1
    assert AuditEvent.objects.filter(action="list.viewed", summary__list="possible_duplicates").count() == 1


def test_adding_anyway_is_a_deliberate_second_choice_and_is_audited(client, org, existing):
    client.force_login(org.practitioner)
    page = add(client, org).content.decode()
    assert 'name="not_a_duplicate" value="robin|ashworth|1979-11-04">Add as a new person</button>' in page
    response = add(client, org, not_a_duplicate="robin|ashworth|1979-11-04")
    assert response.status_code == 302
    added = Person.objects.exclude(pk=existing.pk).get()
    event = AuditEvent.objects.get(action="person.created", object_id=str(added.pk))
    assert event.summary["added_despite_possible_duplicate"] is True


def test_saying_add_anyway_covers_only_the_name_and_date_it_was_said_for(client, org, existing):
    PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        given_name="Robyn",
        family_name="Ashworth",
        date_of_birth=BORN,
    )
    client.force_login(org.practitioner)
    page = add(client, org, given_name="Robyn", not_a_duplicate="robin|ashworth|1979-11-04").content.decode()
    assert WARNING in page and "Open Robyn Ashworth" in page
    assert Person.objects.count() == 2


def test_a_preferred_name_and_a_closed_case_count_as_matches(client, org):
    closed = PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        given_name="Roberta",
        preferred_name="Robin",
        family_name="Ashworth",
        date_of_birth=BORN,
        status="closed",
        closed_on=date(2026, 1, 1),
    )
    client.force_login(org.practitioner)
    page = add(client, org).content.decode()
    assert WARNING in page and f'href="/people/{closed.pk}/"' in page and "case closed" in page


def test_someone_else_with_the_same_name_or_birth_date_is_no_match(client, org, existing):
    client.force_login(org.practitioner)
    assert add(client, org, given_name="Robert").status_code == 302
    assert add(client, org, date_of_birth_day="5", nhs_number="").status_code == 302


@pytest.mark.parametrize("where", ["colleagues caseload", "other team", "other trust"])
def test_a_match_the_user_may_not_see_is_never_mentioned(client, org, where):
    team = {
        "colleagues caseload": org.team,
        "other team": org.other_team,
        "other trust": org.other_trust_team,
    }[where]
    hidden = PersonFactory(
        team=team,
        allocated_worker=org.colleague if where == "colleagues caseload" else None,
        given_name="Robin",
        family_name="Ashworth",
        date_of_birth=BORN,
    )
    client.force_login(org.practitioner)
    response = add(client, org)
    assert response.status_code == 302  # added straight away, as if nobody matched
    assert Person.objects.count() == 2
    assert not AuditEvent.objects.filter(summary__list="possible_duplicates").exists()
    assert hidden.pk not in [event.person_id for event in AuditEvent.objects.all()]


def test_a_team_lead_is_warned_about_anyone_in_their_team(client, org):
    theirs = PersonFactory(
        team=org.team,
        allocated_worker=org.colleague,
        given_name="Robin",
        family_name="Ashworth",
        date_of_birth=BORN,
    )
    client.force_login(org.lead)
    page = add(client, org).content.decode()
    assert WARNING in page and f'href="/people/{theirs.pk}/"' in page


def test_the_add_page_always_says_how_to_check_with_other_teams(client, org):
    client.force_login(org.practitioner)
    page = client.get("/people/new/").content.decode()
    assert "If they may already be known to another team, ask your team lead" in page

"""Reads that are audited: audit trails, caseload lists, dashboard CSVs, researchers' participant pages. A record
view is audited only when the page is actually shown. An administrator held to one trust reads only that trust's
people's trails."""

import pytest

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.audit.services import audit_record
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.study import services as study_services
from connecting_people.study.tests.conftest import START, days, make_study_setup


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


def latest(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


def no_free_text(summary: dict) -> bool:
    """Codes, numbers, dates and booleans only: no value with a space in it."""
    return all(not isinstance(value, str) or " " not in value for value in summary.values())


# --- record views: only when shown ----------------------------------------------------------------------------


def test_a_record_view_that_ends_in_page_not_found_is_not_audited(client, org, person):
    client.force_login(org.practitioner)
    assert client.get(f"/people/{person.pk}/map/entries/999999/").status_code == 404
    assert not AuditEvent.objects.filter(action="person.viewed").exists()


def test_a_record_view_that_is_shown_is_audited_once(client, org, person):
    client.force_login(org.practitioner)
    assert client.get(f"/people/{person.pk}/").status_code == 200
    event = AuditEvent.objects.get(action="person.viewed")
    assert (event.actor_id, event.person_id, event.summary) == (
        org.practitioner.pk,
        person.pk,
        {"page": "overview"},
    )
    assert event.request_id  # written inside the request, with its id


def test_an_out_of_scope_record_writes_no_view(client, org, person):
    client.force_login(org.colleague)
    assert client.get(f"/people/{person.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="person.viewed").exists()


def test_a_record_view_outside_a_request_is_written_at_once(org, person):
    from connecting_people.people.services import person_open

    person_open(user=org.practitioner, person_id=person.pk, page="overview")
    assert AuditEvent.objects.filter(action="person.viewed", person_id=person.pk).exists()


def test_when_the_audit_cannot_be_written_the_page_is_not_shown(client, org, person, settings):
    settings.CONNECTING_PEOPLE_AUDIT_KEY_FILE = None
    settings.CONNECTING_PEOPLE_AUDIT_KEY_MAKE = False
    client.force_login(org.practitioner)
    client.raise_request_exception = False
    assert client.get(f"/people/{person.pk}/").status_code == 500


# --- lists ----------------------------------------------------------------------------------------------------


def test_the_practitioners_caseload_is_audited_with_how_many_rows(client, org, person):
    PersonFactory(team=org.team, allocated_worker=org.practitioner)
    client.force_login(org.practitioner)
    assert client.get("/people/").status_code == 200
    event = latest("list.viewed")
    assert event.actor_id == org.practitioner.pk and event.person_id is None
    assert event.summary == {"list": "my_caseload", "rows": 2}


def test_the_team_caseload_is_audited_with_the_team_page_and_rows(client, org, person):
    PersonFactory(team=org.team, allocated_worker=None)
    client.force_login(org.lead)
    assert client.get("/people/team/", {"team": org.team.pk}).status_code == 200
    event = latest("list.viewed")
    assert (event.object_type, event.object_id) == ("team", str(org.team.pk))
    assert event.summary == {"list": "team_caseload", "rows": 2, "page": 1, "closed": False}


def test_a_list_refused_writes_nothing(client, org):
    client.force_login(org.researcher)
    assert client.get("/people/team/").status_code == 404
    assert not AuditEvent.objects.filter(action="list.viewed").exists()


# --- audit trails ---------------------------------------------------------------------------------------------


def test_reading_a_persons_audit_trail_is_audited(client, org, person):
    client.force_login(org.lead)
    assert client.get(f"/people/{person.pk}/audit/").status_code == 200
    event = latest("audit.trail_viewed")
    assert (event.actor_id, event.person_id, event.summary) == (
        org.lead.pk,
        person.pk,
        {"page": 1, "rows": 0},
    )


@pytest.fixture
def trust_administrator(org):
    """An administrator held to the organisation's own trust."""
    user = UserFactory(username="trust_administrator", is_staff=True)
    member(user, Role.ADMINISTRATOR, trust=org.trust)
    return user


def test_a_trust_administrator_reads_only_that_trusts_trails(client, org, trust_administrator, person):
    elsewhere = PersonFactory(team=org.other_trust_team)
    for someone in (person, elsewhere):
        audit_record(actor=org.lead, action="person.viewed", object_type="person", person_id=someone.pk)
    client.force_login(trust_administrator)
    assert client.get(f"/people/{person.pk}/audit/").status_code == 200
    assert client.get(f"/people/{elsewhere.pk}/audit/").status_code == 404
    # A record that no longer exists belongs to no known trust: its trail is out of reach.
    audit_record(actor=org.lead, action="person.viewed", object_type="person", person_id=987654)
    assert client.get("/people/987654/audit/").status_code == 404
    assert [e.person_id for e in AuditEvent.objects.filter(action="audit.trail_viewed")] == [person.pk]


def test_a_global_administrator_keeps_every_trust_in_reach(client, org, person):
    elsewhere = PersonFactory(team=org.other_trust_team)
    client.force_login(org.administrator)
    assert client.get(f"/people/{person.pk}/audit/").status_code == 200
    assert client.get(f"/people/{elsewhere.pk}/audit/").status_code == 200


def test_a_trust_administrator_who_also_works_in_another_trust_gets_no_trail_there(
    client, org, trust_administrator
):
    member(trust_administrator, Role.PRACTITIONER, team=org.other_trust_team)
    theirs = PersonFactory(team=org.other_trust_team, allocated_worker=trust_administrator)
    client.force_login(trust_administrator)
    assert client.get(f"/people/{theirs.pk}/").status_code == 200  # their own caseload, as a practitioner
    assert client.get(f"/people/{theirs.pk}/audit/").status_code == 404


# --- dashboard CSVs -------------------------------------------------------------------------------------------


def test_a_team_dashboard_csv_is_audited(client, org):
    client.force_login(org.lead)
    response = client.get(f"/implementation/teams/{org.team.pk}/dashboard/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    event = latest("download.made")
    rows = response.content.decode().count("\n") - 1
    assert (event.object_type, event.object_id, event.actor_id) == ("team", str(org.team.pk), org.lead.pk)
    assert event.summary["download"] == "team_dashboard_csv" and event.summary["rows"] == rows > 0
    assert {"start", "end"} <= event.summary.keys() and no_free_text(event.summary)


def test_a_trust_dashboard_csv_is_audited(client, org):
    client.force_login(org.implementation_lead)
    response = client.get(f"/implementation/trusts/{org.trust.pk}/dashboard/", {"format": "csv"})
    assert response.status_code == 200
    event = latest("download.made")
    assert (event.object_type, event.object_id) == ("trust", str(org.trust.pk))
    assert event.summary["download"] == "trust_dashboard_csv"


def test_the_dashboard_page_itself_writes_no_download(client, org):
    client.force_login(org.lead)
    assert client.get(f"/implementation/teams/{org.team.pk}/dashboard/").status_code == 200
    assert not AuditEvent.objects.filter(action="download.made").exists()


# --- researchers' participant pages ---------------------------------------------------------------------------


@pytest.fixture
def study(org):
    setup = make_study_setup(org)
    participant = study_services.participant_enrol(
        actor=setup.lead,
        access=setup.access,
        study_team_id=setup.teams["T01"].pk,
        enrolled_on=START + days(3),
        consented_on=START + days(3),
    )
    return setup, participant


def test_a_participants_page_is_audited_by_study_number(client, study):
    setup, participant = study
    client.force_login(setup.lead)
    assert client.get(f"/study/{setup.study.pk}/participants/{participant.pk}/").status_code == 200
    event = latest("study.participant_viewed")
    assert (event.object_type, event.object_id) == ("study_participant", str(participant.pk))
    assert event.summary == {"study": setup.study.code, "number": participant.number}


def test_the_participant_list_is_audited_with_its_filters_and_rows(client, study):
    setup, _participant = study
    client.force_login(setup.lead)
    assert client.get(f"/study/{setup.study.pk}/participants/", {"arm": "intervention"}).status_code == 200
    event = latest("list.viewed")
    assert (event.object_type, event.object_id) == ("study", str(setup.study.pk))
    assert event.summary == {
        "list": "study_participants",
        "rows": 1,
        "page": 1,
        "site_code": "",
        "arm": "intervention",
        "status": "",
    }


def test_the_study_to_do_list_is_audited(client, study):
    setup, _participant = study
    client.force_login(setup.lead)
    assert client.get(f"/study/{setup.study.pk}/to-do/").status_code == 200
    assert latest("list.viewed").summary["list"] == "study_to_do"


def test_a_participant_out_of_reach_writes_no_view(client, study):
    setup, participant = study
    client.force_login(setup.outsider)
    assert client.get(f"/study/{setup.study.pk}/participants/{participant.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="study.participant_viewed").exists()

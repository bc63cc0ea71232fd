"""A study set up by `org.researcher`: two sites (the org's trust and another), four teams, two per arm."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import TeamFactory, UserFactory, member
from connecting_people.study import selectors, services
from connecting_people.study.models import Study


@dataclass
class StudySetUp:
    study: object
    access: object  # the lead's StudyAccess
    lead: object  # org.researcher
    teams: dict  # code -> StudyTeam
    other_site_team: object  # a team of the second trust (in the study)
    outsider: object  # a researcher who is not a member


START = date(2026, 1, 5)


@pytest.fixture
def study_setup(org) -> StudySetUp:
    return make_study_setup(org)


def make_study_setup(org) -> StudySetUp:
    lead = org.researcher
    study = services.study_create(
        actor=lead,
        data=services.StudyData(code="cpis", title="Connecting People study", starts_on=START, consent_version="v1.0"),
    )
    access = selectors.study_access(actor=lead, study_id=study.pk)
    site_one = services.site_add(actor=lead, access=access, trust_id=org.trust.pk)
    second_trust_team = org.other_trust_team
    # The lead is a researcher in the first trust only: the second is invited, and joins when one of its own
    # researchers accepts.
    invited = services.site_add(actor=lead, access=access, trust_id=second_trust_team.trust_id)
    their_researcher = UserFactory(username="trust_two_researcher")
    member(their_researcher, Role.RESEARCHER, trust=second_trust_team.trust)
    services.site_decide(actor=their_researcher, site_id=invited.pk, accept=True)
    extra = TeamFactory(trust=second_trust_team.trust)
    services.team_allocate(actor=lead, access=access, team_id=org.team.pk, arm="intervention")
    services.team_allocate(actor=lead, access=access, team_id=org.other_team.pk, arm="control")
    services.team_allocate(actor=lead, access=access, team_id=second_trust_team.pk, arm="intervention")
    services.team_allocate(actor=lead, access=access, team_id=extra.pk, arm="control")
    services.study_status_set(
        actor=lead, access=access, expected_version=study.version, status=Study.Status.RECRUITING
    )
    outsider = UserFactory(username="outsider")
    member(outsider, Role.RESEARCHER, trust=org.trust)
    assert site_one.code == "site01"
    return StudySetUp(
        study=study,
        access=selectors.study_access(actor=lead, study_id=study.pk),
        lead=lead,
        teams={team.code: team for team in study.teams.all()},
        other_site_team=second_trust_team,
        outsider=outsider,
    )


def days(n: int) -> timedelta:
    return timedelta(days=n)

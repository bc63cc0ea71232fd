"""Shared fixtures: a small organisation with every role, in and out of scope."""

from dataclasses import dataclass

import pytest

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import TeamFactory, TrustFactory, UserFactory, member


@dataclass
class Organisation:
    trust: object
    team: object
    other_team: object
    other_trust_team: object
    practitioner: object
    colleague: object  # same team, separate caseload
    lead: object
    other_lead: object  # leads other_team
    implementation_lead: object
    researcher: object
    administrator: object
    no_role: object


@pytest.fixture
def org(db) -> Organisation:
    trust = TrustFactory()
    team, other_team = TeamFactory(trust=trust), TeamFactory(trust=trust)
    other_trust_team = TeamFactory()
    users = {
        name: UserFactory(username=name)
        for name in (
            "practitioner",
            "colleague",
            "lead",
            "other_lead",
            "implementation_lead",
            "researcher",
            "administrator",
            "no_role",
        )
    }
    member(users["practitioner"], Role.PRACTITIONER, team=team)
    member(users["colleague"], Role.PRACTITIONER, team=team)
    member(users["lead"], Role.TEAM_LEAD, team=team)
    member(users["other_lead"], Role.TEAM_LEAD, team=other_team)
    member(users["implementation_lead"], Role.IMPLEMENTATION_LEAD, trust=trust)
    member(users["researcher"], Role.RESEARCHER, trust=trust)
    member(users["administrator"], Role.ADMINISTRATOR)
    users["administrator"].is_staff = True
    users["administrator"].save()
    return Organisation(
        trust=trust, team=team, other_team=other_team, other_trust_team=other_trust_team, **users
    )

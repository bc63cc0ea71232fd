"""Shared fixtures: a small organisation with every role, in and out of scope."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connection

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import TeamFactory, TrustFactory, UserFactory, member
from connecting_people.audit import triggers
from connecting_people.core.tests.roles import ORG_ROLES


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
    users = {name: UserFactory(username=name) for name in ORG_ROLES}
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


# --- transactional tests (browser journeys, the background worker) -----------------------------------


@pytest.fixture
def _audit_triggers_back_after_flush(django_db_blocker) -> Iterator[None]:
    """Put the append-only triggers back once the flush below has emptied the tables, so tests that run
    after a journey in the same process find the audit table as the migrations left it."""
    yield
    with django_db_blocker.unblock():
        triggers.install(connection)


@pytest.fixture
def transactional_db(_audit_triggers_back_after_flush, transactional_db) -> Iterator[None]:
    """pytest-django's transactional_db, made to work with the append-only audit table.

    The live server and the background worker need real commits, so pytest-django empties the tables after each such test with a
    flush (DELETE on SQLite, TRUNCATE on PostgreSQL), which the audit triggers rightly refuse. The test runs
    with the triggers installed (as in production); they are lifted just before the flush and installed again
    after it (and at the next such test's set-up). Fixture order makes that sequence: teardown runs this
    fixture's code first, then pytest-django's flush, then `_audit_triggers_back_after_flush`.
    """
    triggers.install(connection)
    yield
    triggers.remove(connection)

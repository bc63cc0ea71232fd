"""Implementation records for the `org` fixture's teams: one of each kind, made through the services."""

import importlib
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from connecting_people.implementation import services
from connecting_people.implementation.models import FidelityRating

TODAY = timezone.localdate()
SCALE = "cp_practice_fidelity"
# One score per item of our checklist, in its order (3 + 4 + 6 + 3 items).
ANSWERS = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 4]
# Hand-computed: individual 0+1+2, worker 3+4+0+1, practice 2+3+4+0+1+2, agency 3+4+4.
EXPECTED_DOMAINS = {"individual": 3, "worker": 8, "practice": 12, "agency": 11}
EXPECTED_TOTAL = 34


@pytest.fixture(autouse=True)
def _guidance_pages(request):
    """The guidance pages come from a data migration. A browser journey's flush in the same process empties
    them, so tests with a database put them back first (the seed skips pages that exist)."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    from django.apps import apps

    importlib.import_module("connecting_people.implementation.migrations.0002_guidance_pages").seed(
        apps, None
    )


def rate(user, kind, team, worker=None, answers=ANSWERS, rated_on=TODAY, **changes):
    arguments = {
        "actor": user,
        "kind": kind,
        "scale_id": SCALE,
        "answers": list(answers),
        "rated_on": rated_on,
        "period_start": rated_on - timedelta(days=90),
        "period_end": rated_on,
        "team_id": team.pk,
        "worker_id": worker.pk if worker else None,
    }
    return services.fidelity_rating_record(**(arguments | changes))


@dataclass
class Records:
    self_rating: FidelityRating
    supervisor_rating: FidelityRating
    team_rating: FidelityRating
    session: object
    trust_session: object
    link: object


@pytest.fixture
def records(org) -> Records:
    self_rating = rate(org.practitioner, FidelityRating.Kind.SELF, org.team)
    supervisor_rating = rate(org.lead, FidelityRating.Kind.SUPERVISOR, org.team, org.practitioner)
    team_rating = rate(org.lead, FidelityRating.Kind.TEAM, org.team)
    session = services.training_session_create(
        actor=org.lead,
        data=services.TrainingData(
            title="Connecting People day 1",
            held_on=TODAY - timedelta(days=10),
            level="worker",
            trainer="Trainer",
            trust_id=org.trust.pk,
            team_id=org.team.pk,
        ),
        attendee_ids=[org.practitioner.pk],
    )
    trust_session = services.training_session_create(
        actor=org.implementation_lead,
        data=services.TrainingData(
            title="Supervisor training",
            held_on=TODAY - timedelta(days=5),
            level="supervisor",
            trainer="Trainer",
            trust_id=org.trust.pk,
        ),
        attendee_ids=[org.lead.pk, org.other_lead.pk],
    )
    link = services.community_link_create(
        actor=org.lead,
        team_id=org.team.pk,
        data=services.CommunityLinkData(since=TODAY - timedelta(days=30), name="Riverside Allotments"),
    )
    return Records(self_rating, supervisor_rating, team_rating, session, trust_session, link)

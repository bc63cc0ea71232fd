"""Synthetic implementation records: made for every generated team, the same from the same seed, scored by the
measures engine, and valid by the same rules the services apply."""

import pytest
from django.core.management import call_command

from connecting_people.accounts.models import Membership, Role
from connecting_people.accounts.tests.factories import TeamFactory, TrustFactory, UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.implementation.models import (
    ChecklistStatus,
    FidelityRating,
    SupervisionRecord,
    TeamChampion,
    TeamCommunityLink,
    TrainingAttendance,
    TrainingSession,
)
from connecting_people.implementation.registry import scale
from connecting_people.implementation.tests.conftest import TODAY
from connecting_people.measures import scoring
from connecting_people.synthetic.implementation import generate_implementation

MODELS = (
    FidelityRating,
    TrainingSession,
    TrainingAttendance,
    TeamChampion,
    SupervisionRecord,
    TeamCommunityLink,
    ChecklistStatus,
)
IGNORED = {"id", "created_at", "updated_at", "session_id"}


@pytest.fixture
def teams(db):
    trust = TrustFactory()
    made, workers_by_team = [], {}
    for index in range(6):
        team = TeamFactory(trust=trust)
        if index != 5:  # the last team has no lead
            member(UserFactory(), Role.TEAM_LEAD, team=team)
        workers = [UserFactory() for _ in range(4)]
        for worker in workers:
            member(worker, Role.PRACTITIONER, team=team)
        made.append(team)
        workers_by_team[team.pk] = [worker.pk for worker in workers]
    return made, workers_by_team


def snapshot() -> list:
    return [
        sorted(
            (
                tuple(sorted((k, str(v)) for k, v in row.items() if k not in IGNORED))
                for row in model.objects.values()
            ),
        )
        for model in MODELS
    ]


def test_the_same_seed_gives_the_same_records(teams):
    made, workers_by_team = teams
    first = generate_implementation(teams=made, workers_by_team=workers_by_team, seed=7, today=TODAY)
    records = snapshot()
    for model in MODELS:
        model.objects.all().delete()
    again = generate_implementation(teams=made, workers_by_team=workers_by_team, seed=7, today=TODAY)
    assert again == first and snapshot() == records
    for model in MODELS:
        model.objects.all().delete()
    generate_implementation(teams=made, workers_by_team=workers_by_team, seed=8, today=TODAY)
    assert snapshot() != records


def test_records_for_every_kind_and_valid_by_the_services_rules(teams):
    made, workers_by_team = teams
    counts = generate_implementation(teams=made, workers_by_team=workers_by_team, seed=2026, today=TODAY)
    assert counts.ratings == FidelityRating.objects.count() > 0
    assert counts.supervision > 0 and counts.training_sessions == 5 + 1 and counts.attendances > 0
    assert counts.checklist_statuses > 0 and counts.community_links > 0
    assert set(FidelityRating.objects.values_list("kind", flat=True)) == {"self", "supervisor", "team"}
    ours = scale("cp_practice_fidelity")
    for rating in FidelityRating.objects.all()[:50]:
        assert scoring.score_one(ours, rating.answers)["total"] == rating.total
        assert rating.period_start <= rating.period_end <= rating.rated_on <= TODAY
    for team in made:
        assert TeamChampion.objects.filter(team=team, until__isnull=True).count() <= 1
    leadless = made[5]
    assert set(FidelityRating.objects.filter(team=leadless).values_list("kind", flat=True)) <= {"self"}
    assert not SupervisionRecord.objects.filter(team=leadless).exists()
    assert not SupervisionRecord.objects.filter(held_on__gt=TODAY).exists()
    assert not TeamCommunityLink.objects.filter(since__gt=TODAY).exists()


def test_a_scale_has_an_implementation_lead_and_records_for_its_teams(db):
    call_command("demo", scale="S", seed=5)
    lead = Membership.objects.get(user__username="s5.impl1")
    assert lead.role == Role.IMPLEMENTATION_LEAD and lead.team is None and lead.trust.ods_code == "s5t1"
    rated = set(FidelityRating.objects.values_list("team_id", flat=True))
    assert rated == set(lead.trust.teams.values_list("pk", flat=True))
    summary = AuditEvent.objects.get(action="synthetic.generated").summary
    assert summary["fidelity_ratings"] == FidelityRating.objects.count()


def test_the_demo_leads_record_their_teams_implementation(db):
    call_command("demo")
    by_lead = set(SupervisionRecord.objects.values_list("supervisor__username", "team__name"))
    assert by_lead == {
        ("lead.a", "Riverside Community Mental Health Team"),
        ("lead.b", "Hillside Community Mental Health Team"),
    }
    assert FidelityRating.objects.filter(kind="team", rated_by__username="lead.a").exists()

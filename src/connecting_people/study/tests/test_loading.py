"""A simulated study written into the database: the same participants, answers, scores, drop-out and fidelity as
the simulation, placed in the study's timepoints, with one audit event; refusals write nothing."""

import dataclasses
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from connecting_people.accounts.models import Role, User
from connecting_people.accounts.selectors import scope_for
from connecting_people.accounts.tests.factories import TeamFactory
from connecting_people.audit.models import AuditEvent
from connecting_people.core.errors import NotAllowedError, ServiceError
from connecting_people.implementation.models import FidelityRating
from connecting_people.measures import registry
from connecting_people.measures.recording import derived_scores
from connecting_people.measures.scoring import score_batch
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.study import simulation
from connecting_people.study.models import Assessment, Participant, Study, StudyTeam
from connecting_people.study.simulation.db import (
    SIMULATOR_USERNAME,
    fidelity_answers,
    load_simulated,
    simulator_account,
    stored_scores,
)

TODAY = timezone.localdate()
SAMPLE = simulation.simulate(sites=1, teams_per_site=2, participants_per_team=40, effect=1.0, seed=5)


@pytest.fixture(scope="module")
def sim():
    return simulation.simulate(
        sites=2, teams_per_site=2, participants_per_team=8, effect=1.5, seed=11, drop_out=0.3
    )


def sim_numbers(study, sim) -> dict[str, str]:
    """Simulated participant id -> study number (numbered in the simulation's order)."""
    return {row["participant"]: f"{study.code.upper()}-{i:04d}" for i, row in enumerate(sim.participants, 1)}


def test_participants_assessments_and_drop_out_match_the_simulation(org, sim):
    study = load_simulated(sim, actor=org.researcher, code="simtest")

    participants = {p.number: p for p in study.participants.all()}
    numbers = sim_numbers(study, sim)
    assert len(participants) == len(sim.participants) == 32
    assert all(p.research_only and p.date_of_birth < p.enrolled_on for p in participants.values())
    assert study.teams.count() == 4 and study.sites.count() == 2
    assert study.status == Study.Status.FOLLOW_UP and study.created_by == org.researcher
    assert Assessment.objects.filter(participant__study=study).count() == len(sim.answers)

    withdrew = {numbers[r["participant"]] for r in sim.participants if r["missing_reason"] == "withdrew"}
    lost = {numbers[r["participant"]] for r in sim.participants if r["missing_reason"] == "lost to follow-up"}
    assert withdrew and lost
    withdrawn = {n for n, p in participants.items() if p.withdrawn}
    assert withdrawn == withdrew
    for number in withdrew:
        participant = participants[number]
        assert participant.withdrawal_choice == Participant.DataChoice.KEEP
        assert participant.baseline_on < participant.withdrawn_on <= TODAY
    followed_up = set(
        Assessment.objects.filter(participant__study=study, timepoint__code="m6").values_list(
            "participant__number", flat=True
        )
    )
    assert followed_up == set(participants) - withdrew - lost
    for participant in participants.values():
        assert participant.consents.get().consented_on == participant.enrolled_on
        assert (
            participant.enrolled_on <= participant.baseline_on <= participant.enrolled_on + timedelta(days=7)
        )
        assert study.starts_on <= participant.enrolled_on
    assert not Assessment.objects.filter(participant__study=study, administered_on__gt=TODAY).exists()


def test_stored_scores_equal_the_simulation_scores(org, sim):
    study = load_simulated(sim, actor=org.researcher, code="simscores")
    numbers = sim_numbers(study, sim)
    expected = {
        (numbers[r["participant"]], r["timepoint"], r["measure"]): (r["value"], r["day"]) for r in sim.scores
    }
    labels = {"baseline": simulation.BASELINE, "m6": simulation.FOLLOW_UP}
    stored = {}
    for assessment in Assessment.objects.filter(participant__study=study).select_related(
        "participant", "timepoint"
    ):
        score = simulation.MEASURES.get(assessment.instrument_id)
        if score is None:  # service use: compared below
            continue
        value = assessment.total if score == "total" else assessment.derived.get(score)
        key = (
            assessment.participant.number,
            labels[assessment.timepoint.code],
            f"{assessment.instrument_id}.{score}",
        )
        stored[key] = (value, assessment.day)
        assert assessment.administered_on == assessment.participant.baseline_on + timedelta(
            days=assessment.day
        )
    assert stored.keys() == expected.keys()
    for key, (value, day) in expected.items():
        assert stored[key][1] == day
        assert stored[key][0] == pytest.approx(value, abs=1e-12), key

    service_use = {
        (numbers[r["participant"]], r["timepoint"], r["service"]): r["units"] for r in sim.service_use
    }
    csri = Assessment.objects.filter(participant__study=study, instrument_id="csri_example").select_related(
        "participant", "timepoint"
    )
    items = simulation.load_shipped().get("csri_example").item_ids
    for assessment in csri:
        for item, units in zip(items, assessment.answers, strict=True):
            key = (assessment.participant.number, labels[assessment.timepoint.code], item)
            assert service_use[key] == units
    assert csri.count() * len(items) == len(service_use)


def test_set_up_allocation_costs_fidelity_and_one_audit_event(org, sim):
    before = AuditEvent.objects.count()
    study = load_simulated(sim, actor=org.researcher, code="simsetup")

    teams = list(study.teams.select_related("team__trust", "site").order_by("code"))
    assert [(t.arm, t.method, t.allocated_by_id) for t in teams] == [
        (row["arm"], StudyTeam.Method.CHOSEN, org.researcher.pk) for row in sim.teams
    ]
    assert [t.team.name for t in teams][:2] == [
        "Simulated team 1A (simsetup)",
        "Simulated team 1B (simsetup)",
    ]
    assert {t.team.trust.name for t in teams} == {"Simulated trust 1", "Simulated trust 2"}
    assert {t.site.code for t in teams} == {"site01", "site02"}

    costs = {row.service: float(row.cost) for row in study.unit_costs.all()}
    assert costs == {service: entry.cost for service, entry in sim.unit_costs.costs.items()}
    assert study.price_year == sim.unit_costs.price_year == "2024/25" and study.unit_costs_illustrative

    schedule = {
        point.code: list(point.schedule.order_by("position").values_list("instrument_id", flat=True))
        for point in study.timepoints.all()
    }
    assert schedule["m6"][-1] == "gas" and "gas" not in schedule["baseline"]

    ratings = FidelityRating.objects.filter(team__in=[t.team for t in teams]).select_related("rated_by")
    assert ratings.count() == len(sim.fidelity) == 4
    by_team = {rating.team_id: rating for rating in ratings}
    for team, row in zip(teams, sim.fidelity, strict=True):
        rating = by_team[team.team_id]
        assert rating.kind == FidelityRating.Kind.TEAM and rating.scale_id == row["scale"]
        assert rating.total == row["score"] and sum(rating.answers) == row["score"]
        assert rating.rated_on == study.starts_on + timedelta(days=182)
        assert rating.rated_by.memberships.filter(role=Role.TEAM_LEAD, team=team.team).exists()
        assert not rating.rated_by.has_usable_password()

    events = list(AuditEvent.objects.order_by("id")[before:].values_list("action", flat=True))
    assert events == ["study.created", "study.simulated"]
    summary = AuditEvent.objects.get(action="study.simulated").summary
    assert summary["parameters"]["seed"] == 11 and summary["truth"]["effect"] == 1.5
    assert summary["counts"]["participants"] == 32
    assert summary["counts"]["assessments"] == len(sim.answers)
    assert summary["counts"]["fidelity_ratings"] == 4


def test_a_second_study_reuses_the_trusts_with_teams_of_its_own(org, sim):
    first = load_simulated(sim, actor=org.researcher, code="simone")
    second = load_simulated(sim, actor=org.researcher, code="simtwo")
    trusts = lambda study: set(study.sites.values_list("trust_id", flat=True))  # noqa: E731
    teams = lambda study: set(study.teams.values_list("team_id", flat=True))  # noqa: E731
    assert trusts(first) == trusts(second)
    assert not teams(first) & teams(second)


def test_in_window_follows_the_timepoint_window(org, sim):
    follow_up = next(i for i, row in enumerate(sim.answers) if row["timepoint"] == simulation.FOLLOW_UP)
    late = dict(sim.answers[follow_up], day=182 + 57)  # the 6-month window closes on day 238
    edge = next(
        i
        for i, row in enumerate(sim.answers)
        if row["timepoint"] == simulation.FOLLOW_UP and row["participant"] != late["participant"]
    )
    on_edge = dict(sim.answers[edge], day=182 - 28)  # opens on day 154
    answers = list(sim.answers)
    answers[follow_up], answers[edge] = late, on_edge
    study = load_simulated(
        dataclasses.replace(sim, answers=answers),
        actor=org.researcher,
        code="simwindow",
        starts_on=TODAY - timedelta(days=400),  # so that a day-239 follow-up is in the past
    )

    assessments = Assessment.objects.filter(participant__study=study)
    outside = assessments.filter(in_window=False)
    assert list(outside.values_list("instrument_id", "day")) == [(late["instrument"], 239)]
    assert assessments.get(day=154, instrument_id=on_edge["instrument"]).in_window
    assert AuditEvent.objects.get(action="study.simulated").summary["counts"]["out_of_window"] == 1


def test_data_after_today_is_left_out(org, sim):
    starts_on = TODAY - timedelta(days=120)
    study = load_simulated(
        sim, actor=org.researcher, code="simrecent", starts_on=starts_on, recruitment_days=60
    )

    assessments = Assessment.objects.filter(participant__study=study)
    assert not assessments.filter(timepoint__code="m6").exists()  # nobody has reached six months
    assert assessments.count() == sum(1 for row in sim.answers if row["timepoint"] == simulation.BASELINE)
    counts = AuditEvent.objects.get(action="study.simulated").summary["counts"]
    assert counts["not_yet_due"] == len(sim.answers) - assessments.count()
    assert not study.participants.filter(withdrawn_on__gt=TODAY).exists()


def test_real_teams_and_people_are_linked_and_keep_their_own_ratings(org):
    sim = simulation.simulate(sites=1, teams_per_site=2, participants_per_team=3, effect=1.0, seed=2)
    team_of = {"S01-T01": org.team, "S01-T02": org.other_team}
    teams = [team_of[row["team"]] for row in sim.teams]
    first = next(row["participant"] for row in sim.participants if row["team"] == "S01-T01")
    person = PersonFactory(team=org.team, trust=org.trust)
    study = load_simulated(sim, actor=org.researcher, code="simreal", teams=teams, people={first: person.pk})

    assert set(study.teams.values_list("team_id", flat=True)) == {org.team.pk, org.other_team.pk}
    assert list(study.sites.values_list("trust_id", flat=True)) == [org.trust.pk]
    linked = study.participants.get(person=person)
    assert linked.number == "SIMREAL-0001" and linked.date_of_birth is None
    assert study.participants.filter(person__isnull=True).count() == 5
    assert not FidelityRating.objects.exists()


def test_refusals_write_nothing(org, sim):
    load_simulated(sim, actor=org.researcher, code="taken")
    counts = (Study.objects.count(), Participant.objects.count(), Assessment.objects.count())
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="already exists"):
        load_simulated(sim, actor=org.researcher, code="taken")
    with pytest.raises(ServiceError, match="1 to 20 letters"):
        load_simulated(sim, actor=org.researcher, code="not a code")
    with pytest.raises((ServiceError, NotAllowedError), match="researcher role"):
        load_simulated(sim, actor=org.practitioner, code="fresh")
    with pytest.raises(ServiceError, match="earlier start"):
        load_simulated(sim, actor=org.researcher, code="fresh", starts_on=TODAY - timedelta(days=30))
    with pytest.raises(ServiceError, match="different teams"):
        load_simulated(sim, actor=org.researcher, code="fresh", teams=[org.team] * 4)
    stranger = PersonFactory(team=org.other_trust_team, trust=org.other_trust_team.trust)
    first = sim.participants[0]["participant"]
    with pytest.raises(ServiceError, match="only in a study laid onto real teams"):
        load_simulated(sim, actor=org.researcher, code="fresh", people={first: stranger.pk})
    teams = [org.team, org.other_team, org.other_trust_team, TeamFactory(trust=org.trust)]
    with pytest.raises(ServiceError, match="1 of the people to link are unknown or not of their"):
        load_simulated(sim, actor=org.researcher, code="fresh", teams=teams, people={first: stranger.pk})
    assert counts == (Study.objects.count(), Participant.objects.count(), Assessment.objects.count())
    assert AuditEvent.objects.count() == events


def test_the_simulator_account_is_a_researcher_who_cannot_sign_in(db):
    user = simulator_account()
    assert user.username == SIMULATOR_USERNAME and not user.has_usable_password()
    assert user.memberships.get().role == Role.RESEARCHER
    assert scope_for(user=User.objects.get(pk=user.pk)).is_researcher
    assert simulator_account() == user and user.memberships.count() == 1


@pytest.mark.parametrize("total", [0, 1, 17, 41, 63, 64])
def test_fidelity_answers_add_up_to_the_total(total):
    answers = fidelity_answers(total, 16, 4)
    assert sum(answers) == total and len(answers) == 16 and max(answers) - min(answers) <= 1


def test_fidelity_answers_refuse_an_impossible_total():
    with pytest.raises(ValueError, match="cannot be made"):
        fidelity_answers(65, 16, 4)


@pytest.mark.parametrize("instrument_id", sorted({row["instrument"] for row in SAMPLE.answers}))
def test_stored_scores_are_what_score_one_gives(instrument_id):
    """The column-at-a-time scores stored are those of `BatchResult.row` (what assessment_record stores)."""
    instrument = registry.instrument(instrument_id)
    rows = [row["answers"] for row in SAMPLE.answers if row["instrument"] == instrument_id]
    width = max(len(answers) for answers in rows)
    rows = [answers for answers in rows if len(answers) == width]
    result = score_batch(instrument, np.array(rows, dtype=np.float64), **registry.scoring_options(instrument))
    for index, stored in enumerate(stored_scores(result)):
        row = result.row(index)
        assert stored == (
            row["total"],
            row["subscales"],
            derived_scores(row),
            row["band"] or "",
            row["missing"],
            row["missing_rule"]["outcome"],
        )


def test_stored_scores_name_the_missing_items():
    instrument = registry.instrument("swemwbs")
    result = score_batch(instrument, np.array([[1, 2, 3, 4, 5, 4, np.nan], [3] * 7], dtype=np.float64))
    stored = stored_scores(result)
    assert stored[0][4] == result.row(0)["missing"] == [instrument.item_ids[6]]
    assert stored[0][5] == result.row(0)["missing_rule"]["outcome"] and stored[1][4] == []

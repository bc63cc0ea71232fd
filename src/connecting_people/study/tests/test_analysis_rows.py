"""The analysis's rows read from the database (`analysis_rows`): the exact rows of a small study recorded through
the services, the plan made from the study, what is left out for withdrawal (all of a participant who asked
for their data to be removed; data dated after a withdrawal), why follow-up is missing, a constant number of
queries, and the same numbers as the pure analysis of the same data.

`populate` (also used by the command-line and web tests) fills the `study_setup` study with a simulated study's
participants, assessments (scored by the measures engine) and team fidelity ratings."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.implementation.models import FidelityRating
from connecting_people.measures import registry
from connecting_people.measures.recording import derived_scores
from connecting_people.measures.scoring import score_one
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.privacy.tests.restricting import restrict_processing
from connecting_people.study import services
from connecting_people.study.analysis import PRIMARY, SECONDARY, AnalysisPlan, Outcome, analyse
from connecting_people.study.analysis.db import analysis_inputs, analysis_plan, study_analysis
from connecting_people.study.analysis.errors import StudyDataError
from connecting_people.study.models import Assessment, Participant, Study
from connecting_people.study.simulation import simulate

from .conftest import START, days

TODAY = date(2026, 11, 1)  # after every follow-up window below has closed
BASELINE_ON = START + days(7)
FOLLOW_UP_ON = BASELINE_ON + days(180)


# --- a simulated study in the database ---------------------------------------------------------------------

SIMULATED_TIMEPOINTS = {"baseline": "baseline", "6 months": "m6"}


def populate(s, *, per_team: int = 6, seed: int = 5, effect: float = 1.0) -> dict:
    """Fills the study with `simulate(sites=2, teams_per_site=2, participants_per_team=per_team)`: participants
    at T01-T04 (the simulated site's intervention team at the site's intervention team), their assessments
    scored by the measures engine (goal attainment is not in the study's schedule, so it is left out), team
    fidelity ratings, and withdrawal (keeping the data) for those the simulation says withdrew.

    Returns {"simulated", "participants": simulated id -> Participant, "teams": simulated team -> StudyTeam}.
    """
    simulated = simulate(sites=2, teams_per_site=2, participants_per_team=per_team, effect=effect, seed=seed)
    sites = {"S01": "site01", "S02": "site02"}
    by_site_arm = {(team.site.code, team.arm): team for team in s.teams.values()}
    teams = {row["team"]: by_site_arm[(sites[row["site"]], row["arm"])] for row in simulated.teams}
    people = []
    for index, row in enumerate(simulated.participants, start=1):
        team = teams[row["team"]]
        baseline = START + days(7 + index % 20)
        withdrew = row["missing_reason"] == "withdrew"
        people.append(
            Participant(
                study=s.study,
                number=f"CPIS-{index:04d}",
                site=team.site,
                study_team=team,
                enrolled_on=baseline,
                enrolled_by=s.lead,
                baseline_on=baseline,
                status=Participant.Status.WITHDRAWN if withdrew else Participant.Status.ACTIVE,
                withdrawn_on=baseline + days(90) if withdrew else None,
                withdrawal_reason=Participant.WithdrawalReason.PARTICIPANT if withdrew else "",
                withdrawal_choice=Participant.DataChoice.KEEP if withdrew else "",
            )
        )
    Participant.objects.bulk_create(people)
    participants = {
        row["participant"]: person for row, person in zip(simulated.participants, people, strict=True)
    }
    points = {name: s.study.timepoints.get(code=code) for name, code in SIMULATED_TIMEPOINTS.items()}
    assessments = []
    for row in simulated.answers:
        if row["instrument"] == "gas":
            continue
        instrument = registry.instrument(row["instrument"])
        scored = score_one(instrument, row["answers"], **registry.scoring_options(instrument))
        person = participants[row["participant"]]
        assessments.append(
            Assessment(
                participant=person,
                timepoint=points[row["timepoint"]],
                instrument_id=instrument.id,
                instrument_version=instrument.version,
                administered_on=person.baseline_on + days(row["day"]),
                day=row["day"],
                in_window=True,
                answers=list(row["answers"]),
                total=scored["total"],
                subscales=scored["subscales"],
                derived=derived_scores(scored),
                band=scored["band"] or "",
                missing_items=scored["missing"],
                missing_rule=scored["missing_rule"]["outcome"],
                recorded_by=s.lead,
            )
        )
    Assessment.objects.bulk_create(assessments)
    for row in simulated.fidelity:
        rate_team(s, teams[row["team"]], row["score"])
    return {"simulated": simulated, "participants": participants, "teams": teams}


RATED_ON = START + days(200)


def rate_team(s, study_team, total, rated_on=RATED_ON, scale_id="cp_practice_fidelity", kind="team"):
    return FidelityRating.objects.create(
        kind=kind,
        team=study_team.team,
        worker=None if kind == "team" else s.lead,
        rated_by=s.lead,
        scale_id=scale_id,
        scale_version="1",
        rated_on=rated_on,
        period_start=rated_on - days(90),
        period_end=rated_on,
        answers=[],
        total=total,
    )


# --- a small study recorded through the services -----------------------------------------------------------


def enrol(s, team):
    return services.participant_enrol(
        actor=s.lead,
        access=s.access,
        study_team_id=s.teams[team].pk,
        enrolled_on=BASELINE_ON,
        consented_on=BASELINE_ON,
        today=TODAY,
    )


def record(s, participant, code, instrument, answers, on):
    return services.assessment_record(
        actor=s.lead,
        access=s.access,
        participant=participant,
        timepoint_id=s.study.timepoints.get(code=code).pk,
        instrument_id=instrument,
        answers=list(answers),
        administered_on=on,
    )


def score_rows(inputs, participant=None):
    rows = [row for row in inputs["scores"] if participant is None or row["participant"] == participant]
    return sorted(rows, key=lambda row: (row["participant"], row["timepoint"], row["measure"]))


def test_the_rows_of_two_participants(study_setup):
    s = study_setup
    first, second = enrol(s, "T01"), enrol(s, "T02")
    record(s, first, "baseline", "resource_generator_example", [1, 1, 0, 1, 2, 0, 1, 1], BASELINE_ON)
    record(s, first, "baseline", "eq5d5l", [1, 1, 2, 1, 2, 80], BASELINE_ON)
    record(s, first, "baseline", "csri_example", [2, 0, 1, 0, 6, 0, 0, 0, 3], BASELINE_ON)
    record(s, first, "m6", "resource_generator_example", [1, 1, 1, 1, 2, 1, 1, 1], FOLLOW_UP_ON)
    record(s, first, "m6", "swemwbs", [3, 4, 3, 3, 4, 3, 3], FOLLOW_UP_ON)
    record(s, second, "baseline", "ucla3", [1, 2, 3], BASELINE_ON + days(2))
    record(s, second, "baseline", "eq5d5l", [1, 1, 1, 1, 1, 90], BASELINE_ON + days(2))
    rate_team(s, s.teams["T01"], 41.0)
    rate_team(s, s.teams["T02"], 22.0, rated_on=START + days(100))
    rate_team(s, s.teams["T03"], 30.0, rated_on=START - days(1))  # before the study started: not used
    rate_team(s, s.teams["T04"], 30.0, scale_id="another_scale")  # not the practice fidelity scale

    inputs = analysis_inputs(s.study, today=TODAY)

    assert set(inputs) == {
        "participants",
        "scores",
        "service_use",
        "fidelity",
        "unit_costs",
        "plan",
        "delivery",
    }
    assert inputs["participants"] == [
        {
            "participant": "CPIS-0001",
            "site": "site01",
            "team": "T01",
            "arm": "intervention",
            "missing_reason": None,
        },
        {
            "participant": "CPIS-0002",
            "site": "site01",
            "team": "T02",
            "arm": "control",
            "missing_reason": "lost to follow-up",
        },
    ]
    assert score_rows(inputs) == [
        {
            "participant": "CPIS-0001",
            "timepoint": "baseline",
            "day": 0,
            "measure": "eq5d5l.index",
            "value": 0.837,
        },
        {
            "participant": "CPIS-0001",
            "timepoint": "baseline",
            "day": 0,
            "measure": "resource_generator_example.total",
            "value": 6,
        },
        {
            "participant": "CPIS-0001",
            "timepoint": "m6",
            "day": 180,
            "measure": "resource_generator_example.total",
            "value": 8,
        },
        {
            "participant": "CPIS-0001",
            "timepoint": "m6",
            "day": 180,
            "measure": "swemwbs.metric",
            "value": 20.73,
        },
        {
            "participant": "CPIS-0002",
            "timepoint": "baseline",
            "day": 0,
            "measure": "eq5d5l.index",
            "value": 1.0,
        },
        {"participant": "CPIS-0002", "timepoint": "baseline", "day": 0, "measure": "ucla3.total", "value": 6},
    ]
    assert inputs["service_use"] == [
        {"participant": "CPIS-0001", "timepoint": "baseline", "service": service, "units": units}
        for service, units in zip(
            (
                "gp_appointment",
                "practice_nurse",
                "emergency_department",
                "mental_health_inpatient",
                "community_team",
                "talking_therapy",
                "social_worker",
                "day_centre",
                "peer_support",
            ),
            (2, 0, 1, 0, 6, 0, 0, 0, 3),
            strict=True,
        )
    ]
    assert inputs["fidelity"] == [
        {
            "team": "T01",
            "scale": "cp_practice_fidelity",
            "timepoint": None,
            "rated_on": START + days(200),
            "score": 41.0,
        },
        {
            "team": "T02",
            "scale": "cp_practice_fidelity",
            "timepoint": None,
            "rated_on": START + days(100),
            "score": 22.0,
        },
    ]
    table = inputs["unit_costs"]
    assert (table.id, table.price_year, table.currency, table.illustrative) == (
        "cpis 2024/25",
        "2024/25",
        "GBP",
        True,
    )
    assert table.costs["gp_appointment"].cost == 40.0 and table.costs["community_team"].cost == 100.0
    plan = inputs["plan"]
    assert (plan.baseline, plan.follow_up, plan.follow_up_days) == ("baseline", "m6", 182)
    assert plan.primary == PRIMARY and plan.utility == "eq5d5l.index"
    # Goal attainment is not in the study's schedule, so it is not an outcome of this study's plan.
    assert plan.secondary == tuple(o for o in SECONDARY if not o.measure.startswith("gas."))


def test_the_plan_follows_the_study(study_setup):
    s = study_setup
    study = s.study
    services.timepoint_save(
        actor=s.lead,
        access=s.access,
        data=services.TimepointData(
            code="m12", label="12 months", target_day=365, window_before=28, window_after=56
        ),
    )
    services.schedule_set(
        actor=s.lead,
        access=s.access,
        timepoint_id=study.timepoints.get(code="m12").pk,
        expected_version=1,
        instrument_ids=["swemwbs", "gas"],
    )
    study.primary_instrument = "lsns6"
    study.save()
    plan = analysis_plan(Study.objects.get(pk=study.pk))
    assert (plan.baseline, plan.follow_up, plan.follow_up_days) == ("baseline", "m12", 365)
    assert plan.primary == Outcome("lsns6.total", registry.instrument("lsns6").title)
    assert [o.measure for o in plan.secondary] == ["swemwbs.metric", "ucla3.total", "gas.t_score"]

    study.timepoints.exclude(target_day=0).delete()
    with pytest.raises(StudyDataError, match="no follow-up timepoint"):
        analysis_plan(study)
    study.timepoints.all().delete()
    with pytest.raises(StudyDataError, match="no baseline timepoint"):
        analysis_plan(study)


def test_a_participant_who_asked_for_their_data_to_be_removed_is_left_out_entirely(study_setup):
    s = study_setup
    kept, removed = enrol(s, "T01"), enrol(s, "T02")
    for person in (kept, removed):
        record(s, person, "baseline", "resource_generator_example", [1, 1, 0, 1, 2, 0, 1, 1], BASELINE_ON)
        record(s, person, "baseline", "csri_example", [2, 0, 1, 0, 6, 0, 0, 0, 3], BASELINE_ON)
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=removed,
        withdrawn_on=BASELINE_ON + days(10),
        reason=Participant.WithdrawalReason.PARTICIPANT,
        choice=Participant.DataChoice.REMOVE,
    )
    notes: list[str] = []
    inputs = analysis_inputs(s.study, today=TODAY, notes=notes)
    assert [row["participant"] for row in inputs["participants"]] == [kept.number]
    assert {row["participant"] for row in inputs["scores"]} == {kept.number}
    assert {row["participant"] for row in inputs["service_use"]} == {kept.number}
    assert notes == ["Left out entirely: 1 participant who withdrew and asked for their data to be removed."]


def test_a_participant_whose_processing_is_restricted_is_left_out_entirely(study_setup, org):
    """Restriction of processing (UK GDPR Article 18, privacy app): none of the participant's rows is analysed,
    and the notes say how many were left out for it."""
    s = study_setup
    kept = enrol(s, "T01")
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    restricted = services.person_enrol(
        actor=org.lead,
        person_id=person.pk,
        study_team_id=s.teams["T01"].pk,
        enrolled_on=BASELINE_ON,
        consented_on=BASELINE_ON,
        today=TODAY,
    )
    for participant in (kept, restricted):
        record(
            s, participant, "baseline", "resource_generator_example", [1, 1, 0, 1, 2, 0, 1, 1], BASELINE_ON
        )
        record(s, participant, "baseline", "csri_example", [2, 0, 1, 0, 6, 0, 0, 0, 3], BASELINE_ON)
        record(s, participant, "m6", "resource_generator_example", [1, 1, 1, 1, 2, 0, 1, 1], FOLLOW_UP_ON)
    restrict_processing(person)
    notes: list[str] = []
    inputs = analysis_inputs(s.study, today=TODAY, notes=notes)
    assert [row["participant"] for row in inputs["participants"]] == [kept.number]
    assert {row["participant"] for row in inputs["scores"]} == {kept.number}
    assert {row["participant"] for row in inputs["service_use"]} == {kept.number}
    assert notes == [
        "Left out entirely: 1 participant whose processing is restricted (their data are not used while the "
        "restriction lasts)."
    ]


def test_only_data_collected_up_to_a_withdrawal_is_kept(study_setup):
    s = study_setup
    person = enrol(s, "T01")
    record(s, person, "baseline", "resource_generator_example", [1, 1, 0, 1, 2, 0, 1, 1], BASELINE_ON)
    withdrawn_on = BASELINE_ON + days(100)
    record(s, person, "baseline", "ucla3", [1, 2, 3], withdrawn_on)  # on the day itself: kept
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=person,
        withdrawn_on=withdrawn_on,
        reason=Participant.WithdrawalReason.UNWELL,
        choice=Participant.DataChoice.KEEP,
    )
    # A follow-up dated after the withdrawal (the services refuse one; an import or a repair could leave one).
    baseline = Assessment.objects.get(participant=person, instrument_id="resource_generator_example")
    Assessment.objects.create(
        participant=person,
        timepoint=s.study.timepoints.get(code="m6"),
        instrument_id="resource_generator_example",
        instrument_version="1",
        administered_on=FOLLOW_UP_ON,
        day=180,
        in_window=True,
        answers=baseline.answers,
        total=6,
        recorded_by=s.lead,
    )
    notes: list[str] = []
    inputs = analysis_inputs(s.study, today=TODAY, notes=notes)
    assert [(row["timepoint"], row["measure"]) for row in score_rows(inputs)] == [
        ("baseline", "resource_generator_example.total"),
        ("baseline", "ucla3.total"),
    ]
    assert inputs["participants"][0]["missing_reason"] == "withdrew"
    assert notes == [
        "Not used: 1 assessment dated after the participant withdrew (only data collected up to withdrawal is kept)."
    ]


def test_why_a_follow_up_is_missing(study_setup):
    s = study_setup
    followed, lost, withdrew, late_withdrawal = (enrol(s, team) for team in ("T01", "T02", "T03", "T04"))
    record(s, followed, "m6", "resource_generator_example", [1, 1, 0, 1, 2, 0, 1, 1], FOLLOW_UP_ON)
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=withdrew,
        withdrawn_on=BASELINE_ON + days(60),
        reason=Participant.WithdrawalReason.MOVED,
        choice=Participant.DataChoice.KEEP,
    )
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=late_withdrawal,
        withdrawn_on=BASELINE_ON + days(182 + 56 + 1),  # after the follow-up window closed
        reason=Participant.WithdrawalReason.PARTICIPANT,
        choice=Participant.DataChoice.KEEP,
    )
    closes = BASELINE_ON + days(182 + 56)

    def reasons(today):
        rows = analysis_inputs(s.study, today=today)["participants"]
        return {row["participant"]: row["missing_reason"] for row in rows}

    assert reasons(TODAY) == {
        followed.number: None,
        lost.number: "lost to follow-up",
        withdrew.number: "withdrew",
        late_withdrawal.number: "lost to follow-up",
    }
    assert reasons(closes)[lost.number] == "follow-up window still open"
    assert reasons(closes + days(1))[lost.number] == "lost to follow-up"


def test_the_queries_do_not_grow_with_the_study(study_setup):
    s = study_setup
    populate(s, per_team=3, seed=2)
    with CaptureQueriesContext(connection) as small:
        analysis_inputs(s.study, today=TODAY)
    # Four times the participants: each one copied three times, with their assessments.
    originals = list(Participant.objects.filter(study=s.study))
    for copy in range(1, 4):
        for person in originals:
            twin = Participant.objects.create(
                study=s.study,
                number=f"{person.number}-{copy}",
                site=person.site,
                study_team=person.study_team,
                enrolled_on=person.enrolled_on,
                enrolled_by=s.lead,
                baseline_on=person.baseline_on,
            )
            rows = list(person.assessments.all())
            for row in rows:
                row.pk, row.participant = None, twin
            Assessment.objects.bulk_create(rows)
    with CaptureQueriesContext(connection) as large:
        inputs = analysis_inputs(s.study, today=TODAY)
    assert len(inputs["participants"]) == 4 * len(originals) == 48
    assert (
        len(large) == len(small) <= 18
    )  # 12, and 6 for the intervention's delivery (`delivery_of_teams`...)


def test_the_database_rows_give_the_numbers_of_the_pure_analysis_of_the_same_data(study_setup):
    s = study_setup
    made = populate(s, per_team=8, seed=11)
    simulated = made["simulated"]
    number = {key: person.number for key, person in made["participants"].items()}
    team = {key: study_team.code for key, study_team in made["teams"].items()}
    plan = AnalysisPlan(
        secondary=tuple(o for o in SECONDARY if not o.measure.startswith("gas.")),
        baseline="baseline",
        follow_up="m6",
        bootstrap_replicates=200,
        seed=4,
    )
    expected = analyse(
        participants=[
            {**row, "participant": number[row["participant"]], "team": team[row["team"]], "site": "x"}
            for row in simulated.participants
        ],
        scores=[
            {
                **row,
                "participant": number[row["participant"]],
                "timepoint": SIMULATED_TIMEPOINTS[row["timepoint"]],
            }
            for row in simulated.scores
        ],
        service_use=[
            {
                **row,
                "participant": number[row["participant"]],
                "timepoint": SIMULATED_TIMEPOINTS[row["timepoint"]],
            }
            for row in simulated.service_use
        ],
        fidelity=[{**row, "team": team[row["team"]]} for row in simulated.fidelity],
        unit_costs=simulated.unit_costs,
        plan=plan,
    )
    found = study_analysis(s.study, seed=4, replicates=200, today=TODAY)
    for key in ("estimate", "ci_low", "ci_high", "p"):
        assert found["primary"][key] == pytest.approx(expected["primary"][key], rel=1e-9)
    assert found["primary"]["n"] == expected["primary"]["n"]
    assert found["missing"]["not_followed_up_reasons"] == expected["missing"]["not_followed_up_reasons"]
    ours, theirs = found["cost_effectiveness"], expected["cost_effectiveness"]
    assert ours["incremental_cost"] == pytest.approx(theirs["incremental_cost"], rel=1e-9)
    assert ours["incremental_qaly"] == pytest.approx(theirs["incremental_qaly"], rel=1e-9)
    assert ours["unit_costs"] == "cpis 2024/25" and ours["price_year"] == "2024/25"
    assert [t["score"] for t in found["fidelity"]["teams"]] == [
        t["score"] for t in expected["fidelity"]["teams"]
    ]
    assert found["plan"]["seed"] == 4 and found["plan"]["bootstrap_replicates"] == 200

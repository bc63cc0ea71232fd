"""`connecting-people study analyse STUDY_ID [--json] [--seed N] [--replicates N]`: the analysis result as JSON
(the same seed gives the same output), a summary in words, and exit 2 with the message for a study the
analysis refuses (too few participants, a service without a unit cost), an unknown study or a bad option."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connecting_people.study.management.commands.study import Command
from connecting_people.study.models import UnitCost
from connecting_people.study.report import format as fmt

from .test_analysis_rows import BASELINE_ON, enrol, populate, record


def analyse(*args) -> str:
    out = io.StringIO()
    call_command("study", "analyse", *map(str, args), stdout=out)
    return out.getvalue()


def fails(*args) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("study", "analyse", *map(str, args), stdout=io.StringIO(), stderr=io.StringIO())
    assert caught.value.returncode == 2
    return str(caught.value)


def test_too_few_participants_is_refused_with_the_reason_on_stderr_and_exit_2(study_setup, capsys):
    s = study_setup
    for team in ("T01", "T02"):
        person = enrol(s, team)
        record(s, person, "baseline", "resource_generator_example", [1, 1, 0, 1, 2, 0, 1, 1], BASELINE_ON)
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["connecting-people", "study", "analyse", str(s.study.pk), "--json"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Too few to analyse" in captured.err
    assert "each arm needs at least 2 teams and 10 participants" in captured.err


@pytest.fixture
def analysed_study(study_setup):
    populate(study_setup, per_team=8, seed=7)
    return study_setup


def test_the_result_as_json_and_the_same_seed_gives_the_same_output(analysed_study):
    s = analysed_study
    first = analyse(s.study.pk, "--json", "--seed", 3, "--replicates", 200)
    result = json.loads(first)
    primary = result["primary"]
    assert primary["measure"] == "resource_generator_example.total"
    assert primary["ci_low"] < primary["estimate"] < primary["ci_high"]
    assert primary["n"]["intervention"] >= 10 and primary["n"]["control"] >= 10
    economic = result["cost_effectiveness"]
    assert economic["price_year"] == "2024/25" and economic["unit_costs"] == "cpis 2024/25"
    assert economic["bootstrap_replicates"] == 200 and economic["bootstrap_seed"] == 3
    assert len(economic["plane"]["points"]) == 200
    assert {row["willingness_to_pay"] for row in economic["net_monetary_benefit"]} == {20000.0, 30000.0}
    assert result["study"]["participants"] == {"intervention": 16, "control": 16}
    assert analyse(s.study.pk, "--json", "--seed", 3, "--replicates", 200) == first
    other = json.loads(analyse(s.study.pk, "--json", "--seed", 4, "--replicates", 200))
    assert other["primary"]["estimate"] == primary["estimate"]  # the models do not depend on the seed
    assert other["cost_effectiveness"]["plane"]["points"] != economic["plane"]["points"]


def test_the_defaults_are_seed_1_and_2000_replicates_and_without_json_a_summary(analysed_study):
    s = analysed_study
    result = json.loads(analyse(s.study.pk, "--json"))
    assert (result["plan"]["seed"], result["plan"]["bootstrap_replicates"]) == (1, 2000)
    text = analyse(s.study.pk, "--replicates", 200)
    primary = result["primary"]
    assert text.splitlines()[0] == "cpis: Connecting People study"
    assert "Participants: 16 intervention, 16 control, in 4 teams at 2 sites." in text
    assert (
        f"Primary, {primary['label']}: {fmt.number(primary['estimate'])} (95% CI "
        f"{fmt.interval(primary['ci_low'], primary['ci_high'])}), {fmt.p_phrase(primary['p'])}; "
    ) in text
    assert "Probability cost-effective at £20,000 per QALY:" in text
    assert text.strip().endswith("For every number: --json.")


def test_a_service_without_a_unit_cost_is_named_and_nothing_is_printed(analysed_study):
    s = analysed_study
    UnitCost.objects.filter(study=s.study, service="day_centre").delete()
    message = fails(s.study.pk, "--json", "--replicates", 200)
    assert "has no unit cost for day_centre" in message and "cpis 2024/25" in message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("999999",), "No study 999999"),
        (("abc",), "A study id is a whole number from 1 up, not 'abc'"),
        (("{study}", "--replicates", "50"), "--replicates '50': expected a whole number from 200 to 10,000"),
        (("{study}", "--seed", "-1"), "--seed '-1': expected a whole number from 0 to 999,999,999"),
    ],
)
def test_bad_input_exits_2_with_a_message(study_setup, args, message):
    args = [arg.format(study=study_setup.study.pk) for arg in args]
    assert fails(*args) == message


def test_the_intervention_is_costed_from_its_recorded_delivery(analysed_study, org):
    """Training, supervision and a champion recorded for the intervention teams, costed from the study's table:
    no longer £0 (which made every cheaper-or-equal result "the intervention dominates")."""
    from datetime import timedelta
    from decimal import Decimal

    from connecting_people.accounts.models import Role
    from connecting_people.accounts.tests.factories import UserFactory, member
    from connecting_people.implementation.models import (
        SupervisionRecord,
        TeamChampion,
        TrainingAttendance,
        TrainingSession,
    )

    from .conftest import START

    s = analysed_study
    team = org.team  # allocated to the intervention arm
    workers = [UserFactory(username=f"worker{n}") for n in range(3)]
    for worker in workers:
        member(worker, Role.PRACTITIONER, team=team)
    outsider = UserFactory(username="control_worker")
    member(outsider, Role.PRACTITIONER, team=org.other_team)  # a control team's
    own = TrainingSession.objects.create(
        trust=team.trust,
        team=team,
        title="Mapping",
        held_on=START,
        level="worker",
        trainer="T",
        recorded_by=s.lead,
    )
    wide = TrainingSession.objects.create(
        trust=team.trust, title="Trust day", held_on=START, level="worker", trainer="T", recorded_by=s.lead
    )
    for session, people in ((own, workers), (wide, [workers[0], outsider])):
        for person in people:
            TrainingAttendance.objects.create(session=session, attendee=person, recorded_by=s.lead)
    for discussed in (True, True, True, False):
        SupervisionRecord.objects.create(
            team=team,
            worker=workers[0],
            supervisor=s.lead,
            held_on=START + timedelta(days=30),
            connection_work_discussed=discussed,
        )
    TeamChampion.objects.create(
        team=team, champion=workers[1], since=START, until=START + timedelta(days=60), named_by=s.lead
    )
    for key, cost in (
        ("intervention_training_session", "400"),
        ("intervention_training_attendance", "100"),
        ("intervention_supervision_session", "50"),
        ("intervention_champion_month", "304.40"),
    ):
        UnitCost.objects.update_or_create(study=s.study, service=key, defaults={"unit": "unit", "cost": Decimal(cost)})
    result = json.loads(analyse(s.study.pk, "--json", "--replicates", 200))
    costing = result["cost_effectiveness"]["intervention_costing"]
    # 1.5 sessions (own + half the trust day) × 400 = 600; 4 attendances × 100 = 400; 3 supervisions × 50 =
    # 150; 61 days / 30.44 × 304.40 = 610: 1,760 over 16 intervention participants = 110 each.
    assert costing["total"] == 1760.0 and costing["participants"] == 16
    assert costing["per_participant"] == 110.0
    assert result["plan"]["intervention_cost"] == 110.0
    assert "Practitioners' contacts in person (no data recorded)" in costing["not_costed"]
    assert "1760.0 over 16 intervention participants" in result["methods"]["costs"]

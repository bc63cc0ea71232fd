"""`connecting-people study simulate`: one JSON line describing the study it loaded; bad input exits 2 with the
reason on stderr and writes nothing."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connecting_people.accounts.models import Membership, Trust, User
from connecting_people.audit.models import AuditEvent
from connecting_people.study.models import Assessment, Participant, Study, StudyMember
from connecting_people.study.simulation.db import SIMULATOR_USERNAME

SMALL = ["--sites", "2", "--teams-per-site", "2", "--participants-per-team", "5"]


@pytest.fixture(autouse=True)
def no_acting_user_in_the_environment(monkeypatch):
    monkeypatch.delenv("CONNECTING_PEOPLE_USER", raising=False)


def simulate(capsys, *args) -> dict:
    call_command("study", "simulate", *args)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_prints_one_json_line_about_the_study_it_loaded(org, capsys):
    out = simulate(
        capsys, *SMALL, "--effect", "1.5", "--seed", "4", "--user", "researcher", "--code", "demo1"
    )

    study = Study.objects.get(pk=out["study"])
    assert out["code"] == study.code == "demo1" and out["lead"] == "researcher"
    assert "lead_note" not in out
    assert study.members.get().user == org.researcher
    assert out["participants"] == 20 == Participant.objects.filter(study=study).count()
    assert out["teams"] == 4 == study.teams.count() and out["sites"] == 2
    assert out["assessments"] == Assessment.objects.filter(participant__study=study).count() > 20
    assert out["truth"]["effect"] == 1.5 and 0 < out["truth"]["realised_effect"] <= 1.5
    assert out["truth"]["primary_measure"] == "resource_generator_example.total"
    assert out["parameters"]["seed"] == 4 and out["parameters"]["drop_out"] == 0.15
    assert out["withdrawn"] == study.participants.filter(status="withdrawn").count()
    assert out["next"] == f"connecting-people study analyse {study.pk} --json"


def test_the_same_seed_gives_the_same_study(org, capsys):
    first = simulate(capsys, *SMALL, "--seed", "9", "--user", "researcher")
    second = simulate(capsys, *SMALL, "--seed", "9", "--user", "researcher")
    assert (first["code"], second["code"]) == ("sim9", "sim9-2")  # the default code, then the next free one
    answers = [
        list(
            Assessment.objects.filter(participant__study_id=out["study"])
            .order_by("participant__number", "timepoint__target_day", "instrument_id")
            .values_list("participant__number", "instrument_id", "day", "total", "answers")
        )
        for out in (first, second)
    ]
    assert [(n.split("-", 1)[1], *rest) for n, *rest in answers[0]] == [
        (n.split("-", 2)[2], *rest) for n, *rest in answers[1]
    ]
    assert first["truth"] == second["truth"]


def test_without_a_user_the_synthetic_researcher_leads(db, capsys):
    out = simulate(capsys, *SMALL)
    assert out["lead"] == SIMULATOR_USERNAME and SIMULATOR_USERNAME in out["lead_note"]
    simulator = User.objects.get(username=SIMULATOR_USERNAME)
    assert not simulator.has_usable_password()
    assert StudyMember.objects.get(study_id=out["study"]).user == simulator
    again = simulate(capsys, *SMALL, "--seed", "2")
    assert (
        again["lead"] == SIMULATOR_USERNAME and User.objects.filter(username=SIMULATOR_USERNAME).count() == 1
    )


def test_the_user_can_come_from_the_environment(org, capsys, monkeypatch):
    monkeypatch.setenv("CONNECTING_PEOPLE_USER", "researcher")
    out = simulate(capsys, *SMALL)
    assert out["lead"] == "researcher" and "lead_note" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sites", "-1"], "--sites must be 1 or more"),
        (["--sites", "0"], "--sites must be 1 or more"),
        (["--teams-per-site", "1"], "--teams-per-site must be 2 or more"),
        (["--participants-per-team", "-3"], "--participants-per-team must be 1 or more"),
        (["--drop-out", "0.95"], "--drop-out must be between 0 and 0.9"),
        (["--drop-out", "-0.1"], "--drop-out must be between 0 and 0.9"),
        (["--cost-effect", "-1"], "--cost-effect must be more than -1"),
        (["--code", "taken"], "already exists"),
        (["--code", "Not a code!"], "1 to 20 letters"),
        (["--user", "nobody"], "No user named nobody"),
        (["--user", "practitioner"], "practitioner does not have the researcher role"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(org, capsys, args, message):
    simulate(capsys, *SMALL, "--code", "taken", "--user", "researcher")
    before = (
        Study.objects.count(),
        Participant.objects.count(),
        Assessment.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Trust.objects.count(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(CommandError, match=message) as raised:  # no --user: the synthetic researcher's case
        call_command("study", "simulate", *SMALL, *args)
    assert raised.value.returncode == 2
    assert capsys.readouterr().out == ""
    assert before == (
        Study.objects.count(),
        Participant.objects.count(),
        Assessment.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Trust.objects.count(),
        AuditEvent.objects.count(),
    )
    assert not User.objects.filter(username=SIMULATOR_USERNAME).exists()


def test_a_failed_load_leaves_no_synthetic_researcher_behind(db, capsys, monkeypatch):
    from connecting_people.study.simulation import db as loading

    def broken(*args, **kwargs):
        raise loading.ServiceError("The database said no.")

    monkeypatch.setattr(loading, "load_simulated", broken)
    with pytest.raises(CommandError, match="The database said no") as raised:
        call_command("study", "simulate", *SMALL)
    assert raised.value.returncode == 2
    assert not User.objects.filter(username=SIMULATOR_USERNAME).exists()
    assert not Trust.objects.exists()


def test_the_analysis_of_a_simulated_study_recovers_its_effect(db, capsys):
    """The issue's demonstration: simulate with a known effect, analyse, and the interval covers it."""
    out = simulate(capsys, "--effect", "1.0", "--seed", "3")
    call_command("study", "analyse", str(out["study"]), "--json")
    primary = json.loads(capsys.readouterr().out)["primary"]
    assert primary["ci_low"] < out["truth"]["effect"] < primary["ci_high"]
    assert primary["ci_low"] > 0  # and the effect is found: 160 participants in 10 teams

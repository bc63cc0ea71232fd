"""`connecting-people study export`: a lead's export written into a new folder, recorded and audited as a job;
anything the user can put right exits 2 with the reason on stderr, nothing on stdout and nothing written."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connecting_people.audit.models import AuditEvent
from connecting_people.study import services
from connecting_people.study.keys import study_key
from connecting_people.study.models import Job, StudyMember

from .conftest import START, days


@pytest.fixture(autouse=True)
def no_acting_user_in_the_environment(monkeypatch):
    monkeypatch.delenv("CONNECTING_PEOPLE_USER", raising=False)


@pytest.fixture
def study(study_setup, settings, tmp_path):
    """The study with two research-only participants, one assessed at baseline."""
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path / "study-files"
    s = study_setup
    for team in ("T01", "T02"):
        participant = services.participant_enrol(
            actor=s.lead, access=s.access, study_team_id=s.teams[team].pk, enrolled_on=START + days(2),
            consented_on=START + days(2), eligibility_notes="Met at the Tuesday drop-in with her neighbour",
        )  # fmt: skip
    services.assessment_record(
        actor=s.lead, access=s.access, participant=participant,
        timepoint_id=s.study.timepoints.get(code="baseline").pk, instrument_id="ucla3", answers=[1, 2, 1],
        administered_on=START + days(4),
    )  # fmt: skip
    return s


def export(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("study", "export", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        export(*args)
    assert caught.value.returncode == 2
    return str(caught.value)


def test_a_lead_exports_into_a_new_folder(study, tmp_path):
    out = tmp_path / "cpis-export"
    printed, _ = export(
        str(study.study.pk), "--out", str(out), "--purpose", "analysis", "--reason", "Interim analysis for the DMC",
        "--user", study.lead.username,
    )  # fmt: skip
    result = json.loads(printed)
    assert list(result) == ["directory", "files", "participants", "fingerprint", "job"]
    assert result["directory"] == str(out.absolute())
    assert result["participants"] == 2
    assert result["fingerprint"] == study_key().fingerprint
    assert result["files"]["participants.csv"] == 2
    assert result["files"]["measures_long.csv"] == 4  # three items and the total of one ucla3
    with open(out / "participants.csv", encoding="utf-8", newline="") as file:
        assert len(list(csv.DictReader(file))) == 2
    assert (out / "manifest.json").is_file() and not Path(f"{out}.zip").exists()  # a folder, not zipped
    job = Job.objects.get(pk=result["job"])
    assert (job.state, job.kind, job.purpose, job.requested_by) == ("done", "export", "analysis", study.lead)
    assert job.reason == "Interim analysis for the DMC"
    events = {e.action: e for e in AuditEvent.objects.filter(object_type="study_job", object_id=str(job.pk))}
    assert set(events) == {"study.export_requested", "study.export_made"}
    assert all(e.actor_id == study.lead.pk for e in events.values())
    assert events["study.export_requested"].summary["purpose"] == "analysis"
    assert events["study.export_made"].summary["participants"] == 2
    assert "Interim" not in json.dumps([e.summary for e in events.values()])
    assert str(tmp_path) not in json.dumps([e.summary for e in events.values()])


def test_shifted_dates_and_one_format(study, tmp_path):
    out = tmp_path / "shifted"
    printed, _ = export(
        str(study.study.pk), "--out", str(out), "--purpose", "sharing", "--dates", "shifted",
        "--format", "wide_csv", "long_csv", "--user", study.lead.username,
    )  # fmt: skip
    files = json.loads(printed)["files"]
    assert (
        "measures_wide.csv" in files and "measures_long.csv" in files and "measures_wide.parquet" not in files
    )
    assert (out / "measures_wide.csv").read_text().startswith("study_id,site,team,arm,timepoint,")
    assert "ucla3_shifted_date" in (out / "measures_wide.csv").read_text().splitlines()[0]


def test_an_unknown_study_exits_2(study, tmp_path):
    message = refused(
        "999999", "--out", str(tmp_path / "x"), "--purpose", "analysis", "--user", study.lead.username
    )
    assert message == f"No study 999999 that {study.lead.username} is a member of"
    assert (
        refused("abc", "--out", str(tmp_path / "x"), "--purpose", "analysis", "--user", study.lead.username)
        == "A study id is a whole number from 1 up, not 'abc'"
    )
    assert not Job.objects.exists()


def test_a_user_who_is_not_a_member_exits_2_as_for_an_unknown_study(study, tmp_path):
    message = refused(
        str(study.study.pk),
        "--out",
        str(tmp_path / "x"),
        "--purpose",
        "analysis",
        "--user",
        study.outsider.username,
    )
    assert message == f"No study {study.study.pk} that outsider is a member of"
    assert not (tmp_path / "x").exists() and not Job.objects.exists()


def test_a_researcher_who_is_not_a_lead_exits_2(study, org, tmp_path):
    StudyMember.objects.create(study=study.study, user=study.outsider, role="researcher", added_by=study.lead)
    message = refused(
        str(study.study.pk),
        "--out",
        str(tmp_path / "x"),
        "--purpose",
        "analysis",
        "--user",
        study.outsider.username,
    )
    assert message == "Only a lead of the whole study can export it: outsider is not one for CPIS"
    assert not Job.objects.exists()


def test_a_missing_user_exits_2(study, tmp_path):
    message = refused(str(study.study.pk), "--out", str(tmp_path / "x"), "--purpose", "analysis")
    assert message.startswith("Say who is acting: --user USERNAME")
    assert "No user named nobody" == refused(
        str(study.study.pk), "--out", str(tmp_path / "x"), "--purpose", "analysis", "--user", "nobody"
    )


def test_an_existing_folder_exits_2_and_is_left_alone(study, tmp_path):
    out = tmp_path / "already"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    message = refused(
        str(study.study.pk), "--out", str(out), "--purpose", "analysis", "--user", study.lead.username
    )
    assert message == f"{out.absolute()} already exists: an export is written into a new folder."
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not Job.objects.exists()
    missing_parent = tmp_path / "no" / "such"
    assert (
        refused(
            str(study.study.pk),
            "--out",
            str(missing_parent),
            "--purpose",
            "analysis",
            "--user",
            study.lead.username,
        )
        == f"{missing_parent.parent.absolute()} is not a folder."
    )


def test_a_missing_key_exits_2_and_writes_nothing(study, settings, tmp_path):
    settings.CONNECTING_PEOPLE_STUDY_KEY_FILE = str(tmp_path / "no-such.key")
    settings.CONNECTING_PEOPLE_STUDY_KEY_MAKE = False
    out = tmp_path / "x"
    message = refused(
        str(study.study.pk), "--out", str(out), "--purpose", "analysis", "--user", study.lead.username
    )
    job = Job.objects.get()
    assert message == (
        f"Export {job.pk} failed: No usable study key, so nothing was exported: no study key: the key file "
        f"{tmp_path / 'no-such.key'} does not exist"
    )
    assert not out.exists() and not list(tmp_path.glob(".x.partial-*"))
    assert job.state == Job.State.FAILED
    assert AuditEvent.objects.filter(action="study.export_failed", object_id=str(job.pk)).exists()


def test_a_purpose_is_required(study, tmp_path):
    with pytest.raises(CommandError) as caught:
        export(str(study.study.pk), "--out", str(tmp_path / "x"), "--user", study.lead.username)
    assert "--purpose" in str(caught.value)
    assert not Job.objects.exists()

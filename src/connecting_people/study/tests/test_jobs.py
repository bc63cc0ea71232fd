"""Background jobs: who may ask, how the outcome is recorded and audited, and the database worker's path."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from connecting_people.audit.models import AuditEvent
from connecting_people.core.errors import NotAllowedError
from connecting_people.study import jobs, selectors
from connecting_people.study.models import Job, StudyMember

from .conftest import make_study_setup


def _maker_writing(text: str):
    def make(job):
        directory = jobs.job_directory(job)
        directory.mkdir(parents=True)
        path = directory / "result.txt"
        path.write_text(text)
        return path, {"rows": len(text)}

    return make


def _failing(error):
    def make(job):
        jobs.job_directory(job).mkdir(parents=True)
        raise error

    return make


@pytest.fixture
def report_maker(monkeypatch):
    def use(maker):
        monkeypatch.setitem(jobs.MAKERS, Job.Kind.REPORT, f"{__name__}._current")
        monkeypatch.setitem(globals(), "_current", maker)

    return use


def test_a_lead_asks_and_the_job_is_made_and_audited(study_setup, report_maker, settings, tmp_path):
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path
    report_maker(_maker_writing("hello"))
    s = study_setup
    job = jobs.job_request(
        actor=s.lead, access=s.access, kind="report", purpose="analysis", reason="Trial steering"
    )
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.finished_at is not None
    assert jobs.job_result_file(job).read_text() == "hello"
    assert job.summary == {"rows": 5}
    events = list(AuditEvent.objects.filter(object_type="study_job", object_id=str(job.pk)).order_by("id"))
    assert [e.action for e in events] == ["study.report_requested", "study.report_made"]
    assert all(e.actor_id == s.lead.pk for e in events)
    assert events[1].summary["purpose"] == "analysis" and events[1].summary["rows"] == 5
    assert "Trial steering" not in str([e.summary for e in events])  # the reason stays on the job


def test_a_failure_the_user_can_fix_is_recorded_with_its_message(
    study_setup, report_maker, settings, tmp_path
):
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path
    report_maker(_failing(jobs.JobFailed("Too few participants in the control arm")))
    s = study_setup
    job = jobs.job_request(actor=s.lead, access=s.access, kind="report", purpose="analysis")
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.error == "Too few participants in the control arm"
    assert jobs.job_result_file(job) is None
    assert AuditEvent.objects.filter(action="study.report_failed", object_id=str(job.pk)).exists()


def test_an_unexpected_failure_keeps_nothing(study_setup, report_maker, settings, tmp_path):
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path
    report_maker(_failing(ZeroDivisionError("boom")))
    s = study_setup
    job = jobs.job_request(actor=s.lead, access=s.access, kind="report", purpose="analysis")
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "ZeroDivisionError" in job.error and "boom" not in job.error
    assert not jobs.job_directory(job).exists()


def test_only_a_lead_of_the_whole_study_may_ask(study_setup, org):
    s = study_setup
    StudyMember.objects.create(study=s.study, user=s.outsider, role="researcher", added_by=s.lead)
    researcher = selectors.study_access(actor=s.outsider, study_id=s.study.pk)
    with pytest.raises(NotAllowedError):
        jobs.job_request(actor=s.outsider, access=researcher, kind="report", purpose="analysis")
    member = s.access.member
    member.site = s.study.sites.first()
    member.save()
    limited = selectors.study_access(actor=s.lead, study_id=s.study.pk)
    with pytest.raises(NotAllowedError):
        jobs.job_request(actor=s.lead, access=limited, kind="report", purpose="analysis")
    assert not Job.objects.exists()


def test_a_result_path_outside_the_study_files_is_never_served(study_setup, settings, tmp_path):
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path / "files"
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("secret")
    job = Job.objects.create(
        study=study_setup.study,
        kind="report",
        purpose="analysis",
        requested_by=study_setup.lead,
        state=Job.State.DONE,
        result_path=str(outside),
        finished_at=timezone.now() + timedelta(seconds=1),
    )
    assert jobs.job_result_file(job) is None


def test_the_database_worker_makes_a_queued_job(transactional_db, org, report_maker, settings, tmp_path):
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    report_maker(_maker_writing("from the worker"))
    s = make_study_setup(org)
    job = jobs.job_request(actor=s.lead, access=s.access, kind="report", purpose="monitoring")
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED  # waiting for a worker
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert Path(job.result_path).read_text() == "from the worker"

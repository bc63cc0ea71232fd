"""The exports pages: a study lead asks for an export, follows it and downloads the zip (audited); bad input shows
the error summary and asks for nothing; everyone but a lead of the whole study gets 404, anonymous users sign in."""

import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.study import selectors, services
from connecting_people.study.models import Job, StudyMember

from .conftest import START, days

VALID = {
    "purpose": "analysis",
    "reason": "Primary analysis at six months",
    "dates": "days",
    "formats": ["long_csv", "wide_csv", "long_parquet", "wide_parquet"],
}


@pytest.fixture
def study(study_setup, settings, tmp_path):
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path / "study-files"
    s = study_setup
    participant = services.participant_enrol(
        actor=s.lead, access=s.access, study_team_id=s.teams["T01"].pk, enrolled_on=START + days(1),
        consented_on=START + days(1), date_of_birth=START - days(365 * 40),
    )  # fmt: skip
    services.assessment_record(
        actor=s.lead, access=s.access, participant=participant,
        timepoint_id=s.study.timepoints.get(code="baseline").pk, instrument_id="ucla3", answers=[1, 1, 2],
        administered_on=START + days(2),
    )  # fmt: skip
    return s


def _urls(study_id: int, job_id: int) -> list[str]:
    return [
        f"/study/{study_id}/exports/",
        f"/study/{study_id}/exports/{job_id}/",
        f"/study/{study_id}/exports/{job_id}/download/",
    ]


def _done_job(client, study) -> Job:
    client.force_login(study.lead)
    response = client.post(f"/study/{study.study.pk}/exports/", VALID)
    job = Job.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/study/{study.study.pk}/exports/{job.pk}/"
    )
    return job


def test_a_lead_asks_for_an_export_and_downloads_the_zip(client, study):
    job = _done_job(client, study)
    assert (job.state, job.purpose, job.reason, job.options) == (
        "done",
        "analysis",
        "Primary analysis at six months",
        {"dates": "days", "formats": VALID["formats"]},
    )
    page = client.get(f"/study/{study.study.pk}/exports/{job.pk}/").content.decode()
    assert "Download the export (zip)" in page
    assert re.search(r"participants\.csv</td>\s*<td[^>]*>1</td>", page)
    assert job.summary["fingerprint"] in page
    listed = client.get(f"/study/{study.study.pk}/exports/").content.decode()
    assert (
        f"/study/{study.study.pk}/exports/{job.pk}/download/" in listed and "Statistical analysis" in listed
    )

    response = client.get(f"/study/{study.study.pk}/exports/{job.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="cpis-export-{job.pk}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    participants = archive.read(f"cpis-export-{job.pk}/participants.csv").decode()
    assert participants.splitlines()[0].startswith("study_id,site,team,arm,consent_version,age_at_baseline")
    assert len(participants.splitlines()) == 2
    (download,) = AuditEvent.objects.filter(action="study.export_downloaded")
    assert download.actor_id == study.lead.pk and download.object_id == str(job.pk)
    assert download.summary == {"study": "cpis", "job": job.pk, "purpose": "analysis"}


def test_bad_input_shows_the_error_summary_and_asks_for_nothing(client, study):
    client.force_login(study.lead)
    response = client.post(f"/study/{study.study.pk}/exports/", {"dates": "days"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    for message in (
        "Select what the export is for",
        "Enter why you need this export",
        "Select at least one kind of file",
    ):
        assert message in page
    assert "Error: Exports" in page  # the page title says so too
    response = client.post(f"/study/{study.study.pk}/exports/", {**VALID, "reason": "   ", "purpose": "fun"})
    page = response.content.decode()
    assert "Select one of the purposes" in page and "Enter why you need this export" in page
    assert not Job.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="study.export").exists()


def test_a_job_not_finished_says_so_with_a_link_to_check_again(client, study):
    job = Job.objects.create(
        study=study.study,
        kind="export",
        purpose="monitoring",
        reason="Monthly check",
        requested_by=study.lead,
    )
    client.force_login(study.lead)
    url = f"/study/{study.study.pk}/exports/{job.pk}/"
    page = client.get(url).content.decode()
    assert "This export is waiting to start." in page and f'<a href="{url}">Check again</a>' in page
    assert "Download the export" not in page
    assert client.get(f"{url}download/").status_code == 404
    job.state, job.error, job.finished_at = (
        "failed",
        "No usable study key, so nothing was exported",
        timezone.now(),
    )
    job.save()
    page = client.get(url).content.decode()
    assert "The export could not be made" in page and "No usable study key, so nothing was exported" in page
    assert "Check again" not in page
    assert client.get(f"{url}download/").status_code == 404
    assert not AuditEvent.objects.filter(action="study.export_downloaded").exists()


def test_the_list_shows_who_asked_and_when(client, study):
    job = _done_job(client, study)
    page = client.get(f"/study/{study.study.pk}/exports/").content.decode()
    assert f">Export {job.pk}</a>" in page and str(escape(study.lead.display_name)) in page and "Ready" in page


# ---------------------------------------------------------------------------------------------------------
# Who reaches the pages


def _researcher_member(study, *, role="researcher", site=None):
    user = UserFactory(username=f"member_{role}_{site is not None}")
    member(user, Role.RESEARCHER, trust=study.study.sites.first().trust)
    # Made directly: `member_add` no longer limits a lead to a site, but older data may hold one.
    StudyMember.objects.create(study=study.study, user=user, role=role, site=site, added_by=study.lead)
    return user


@pytest.mark.parametrize(
    "who", ["researcher_member", "site_limited_lead", "outsider", "practitioner", "lead", "administrator"]
)
def test_everyone_but_a_lead_of_the_whole_study_gets_404(client, study, org, who):
    job = _done_job(client, study)
    client.logout()
    users = {
        "researcher_member": lambda: _researcher_member(study),
        "site_limited_lead": lambda: _researcher_member(study, role="lead", site=study.study.sites.first()),
        "outsider": lambda: study.outsider,
        "practitioner": lambda: org.practitioner,
        "lead": lambda: org.lead,  # a team lead, not in the study
        "administrator": lambda: org.administrator,
    }
    client.force_login(users[who]())
    for url in _urls(study.study.pk, job.pk):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/study/{study.study.pk}/exports/", VALID).status_code == 404
    assert Job.objects.count() == 1
    assert not AuditEvent.objects.filter(action="study.export_downloaded").exists()


def test_anonymous_users_are_sent_to_sign_in(client, study):
    job = Job.objects.create(study=study.study, kind="export", purpose="analysis", requested_by=study.lead)
    for url in _urls(study.study.pk, job.pk):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"], url


def test_another_studys_job_and_other_kinds_of_job_are_not_found(client, study, tmp_path):
    mine = _done_job(client, study)
    other = services.study_create(
        actor=study.lead,
        data=services.StudyData(code="other", title="Another study", starts_on=START, consent_version="v1"),
    )
    theirs = Job.objects.create(
        study=other, kind="export", purpose="analysis", requested_by=study.lead, state="done",
        result_path=mine.result_path, finished_at=timezone.now() + timedelta(seconds=1),
    )  # fmt: skip
    report = Job.objects.create(
        study=study.study, kind="report", purpose="analysis", requested_by=study.lead, state="done",
        result_path=mine.result_path, finished_at=timezone.now() + timedelta(seconds=1),
    )  # fmt: skip
    for job_id in (theirs.pk, report.pk, 999999):
        for url in _urls(study.study.pk, job_id)[1:]:
            assert client.get(url).status_code == 404, url
    # The lead of both studies reaches the other study's job only under that study.
    assert selectors.study_access(actor=study.lead, study_id=other.pk).is_lead
    assert client.get(f"/study/{other.pk}/exports/{theirs.pk}/").status_code == 200
    assert StudyMember.objects.filter(user=study.lead).count() == 2

"""The report pages: a study lead asks for a report, it is made (the test task backend runs it at once), the page
shows it and it downloads (audited); bad input shows the error summary and asks for nothing; a study too small to
analyse fails with the analysis's reason. Only a lead of the whole study reaches these pages: everyone else gets
404, anonymous users are sent to sign in, and another study's report is not found."""

import json

import pytest
from django.utils import timezone

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.study import jobs, selectors, services
from connecting_people.study.analysis.db import study_analysis
from connecting_people.study.models import Job, StudyMember
from connecting_people.study.report import format as fmt

from .conftest import START
from .test_analysis_rows import BASELINE_ON, enrol, populate, record

PROBLEM = "There is a problem"


def text(response) -> str:
    return response.content.decode()


def ask(s, **changes) -> dict:
    return {
        "purpose": "analysis",
        "reason": "Trial steering committee",
        "seed": "3",
        "replicates": "200",
        **changes,
    }


@pytest.fixture
def files(settings, tmp_path):
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path
    return tmp_path


@pytest.fixture
def lead(client, study_setup, files):
    client.force_login(study_setup.lead)
    return client


def test_a_lead_asks_for_a_report_reads_it_and_downloads_it(lead, study_setup):
    s = study_setup
    populate(s, per_team=8, seed=7)
    base = f"/study/{s.study.pk}/reports/"
    page = text(lead.get(base))
    assert (
        "Make a new report" in page
        and 'name="seed" type="text" value="1"' in page
        and 'name="replicates" type="text" value="2000"' in page
    )
    assert "No reports yet." in page

    response = lead.post(base, ask(s))
    job = Job.objects.get(study=s.study, kind=Job.Kind.REPORT)
    assert response.status_code == 302 and response["Location"] == f"{base}{job.pk}/"
    assert job.state == Job.State.DONE, job.error
    assert job.options == {"seed": 3, "replicates": 200} and job.reason == "Trial steering committee"
    directory = jobs.job_directory(job)
    assert sorted(path.name for path in directory.iterdir()) == [
        "analysis.json",
        "report-body.html",
        "report.html",
    ]
    saved = json.loads((directory / "analysis.json").read_text())
    assert saved == study_analysis(s.study, seed=3, replicates=200)  # the same analysis as the command line
    primary = saved["primary"]
    assert job.summary["primary"]["estimate"] == primary["estimate"]
    assert job.summary["participants"] == {"intervention": 16, "control": 16}

    page = text(lead.get(f"{base}{job.pk}/"))
    assert "Analysis report" in page and "Ready" in page and "Download the report (HTML)" in page
    assert "Main findings" in page and "Cost-effectiveness plane" in page
    estimate = fmt.number(primary["estimate"])
    interval = fmt.interval(primary["ci_low"], primary["ci_high"])
    assert f"difference between arms {estimate} (95% CI {interval})" in page
    main = page.split('id="maincontent"', 1)[1]
    assert " style=" not in main and "<style" not in main and "<script" not in main.split("</main>")[0]

    listing = text(lead.get(base))
    assert f"Report {job.pk}</a>" in listing and f"{base}{job.pk}/download/" in listing

    download = lead.get(f"{base}{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="cpis-report-{job.pk}.html"'
    assert download["Content-Type"] == "text/html; charset=utf-8"
    assert b"".join(download.streaming_content) == (directory / "report.html").read_bytes()
    events = AuditEvent.objects.filter(object_type="study_job", object_id=str(job.pk)).order_by("id")
    assert [event.action for event in events] == [
        "study.report_requested",
        "study.report_made",
        "study.report_downloaded",
    ]
    assert all(event.actor_id == s.lead.pk for event in events)
    assert events[1].summary["primary"]["estimate"] == primary["estimate"]
    assert "Trial steering committee" not in json.dumps([event.summary for event in events])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seed": "abc"}, "Random seed must be a whole number, like 1"),
        ({"seed": "1.5"}, "Random seed must be a whole number, like 1"),
        ({"seed": ""}, "Enter the random seed"),
        ({"replicates": "100"}, "Bootstrap replicates must be between 200 and 10,000"),
        ({"replicates": "20000"}, "Bootstrap replicates must be between 200 and 10,000"),
        ({"purpose": ""}, "Select what the report is for"),
        ({"reason": "x" * 301}, "Why you need this report must be 300 characters or fewer"),
    ],
)
def test_bad_input_shows_the_error_summary_and_asks_for_nothing(lead, study_setup, changes, message):
    response = lead.post(f"/study/{study_setup.study.pk}/reports/", ask(study_setup, **changes))
    assert response.status_code == 200
    page = text(response)
    assert PROBLEM in page and message in page
    assert not Job.objects.exists()


def test_a_study_too_small_to_analyse_fails_with_the_reason(lead, study_setup):
    s = study_setup
    for team in ("T01", "T02"):
        person = enrol(s, team)
        record(s, person, "baseline", "resource_generator_example", [1, 1, 0, 1, 2, 0, 1, 1], BASELINE_ON)
    lead.post(f"/study/{s.study.pk}/reports/", ask(s))
    job = Job.objects.get(study=s.study)
    assert job.state == Job.State.FAILED
    assert job.error.startswith("Too few to analyse")
    assert "each arm needs at least 2 teams and 10 participants" in job.error
    page = text(lead.get(f"/study/{s.study.pk}/reports/{job.pk}/"))
    assert "The report could not be made" in page and "each arm needs at least 2 teams" in page
    assert lead.get(f"/study/{s.study.pk}/reports/{job.pk}/download/").status_code == 404
    assert not jobs.job_directory(job).exists()


def test_a_missing_unit_cost_fails_the_report_naming_the_service(lead, study_setup):
    s = study_setup
    populate(s, per_team=8, seed=7)
    s.study.unit_costs.filter(service="peer_support").delete()
    lead.post(f"/study/{s.study.pk}/reports/", ask(s))
    job = Job.objects.get(study=s.study)
    assert job.state == Job.State.FAILED
    assert "has no unit cost for peer_support" in job.error
    assert "has no unit cost for peer_support" in text(lead.get(f"/study/{s.study.pk}/reports/{job.pk}/"))


# --- who reaches the pages -----------------------------------------------------------------------------------


@pytest.fixture
def world(org, study_setup, files):
    """The `cpis` study with a finished report, a plain researcher member, a lead limited to one site, and
    another study (`other`, led by the outsider) with a report of its own."""
    s = study_setup
    researcher = UserFactory(username="member_researcher")
    member(researcher, Role.RESEARCHER, trust=org.trust)
    services.member_add(
        actor=s.lead, access=s.access, username="member_researcher", role="researcher", site_id=None
    )
    site_lead = UserFactory(username="site_lead")
    member(site_lead, Role.RESEARCHER, trust=org.trust)
    # Made directly: `member_add` no longer limits a lead to a site, but older data may hold one.
    StudyMember.objects.create(
        study=s.study, user=site_lead, role="lead", site=s.study.sites.get(code="site01"), added_by=s.lead
    )
    other = services.study_create(
        actor=s.outsider,
        data=services.StudyData(code="other", title="Another study", starts_on=START, consent_version="v1"),
    )
    return {
        "setup": s,
        "researcher": researcher,
        "site_lead": site_lead,
        "job": finished_report(s.study, s.lead),
        "other": other,
        "other_job": finished_report(other, s.outsider),
    }


def finished_report(study, user) -> Job:
    job = Job.objects.create(
        study=study,
        kind=Job.Kind.REPORT,
        purpose=Job.Purpose.ANALYSIS,
        options={"seed": 1, "replicates": 200},
        requested_by=user,
    )
    directory = jobs.job_directory(job)
    directory.mkdir(parents=True)
    (directory / "report.html").write_text("<!DOCTYPE html><title>Report</title>")
    (directory / "report-body.html").write_text("<h2>Main findings</h2>")
    job.state, job.finished_at, job.result_path = (
        Job.State.DONE,
        timezone.now(),
        str(directory / "report.html"),
    )
    job.save(update_fields=["state", "finished_at", "result_path"])
    return job


def pages(study, job) -> list[str]:
    base = f"/study/{study.pk}/reports/"
    return [base, f"{base}{job.pk}/", f"{base}{job.pk}/download/"]


def test_the_lead_of_the_whole_study_reaches_every_page(client, world):
    s = world["setup"]
    client.force_login(s.lead)
    for url in pages(s.study, world["job"]):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "who",
    [
        "member_researcher",
        "site_lead",
        "outsider",
        "practitioner",
        "lead",
        "implementation_lead",
        "administrator",
    ],
)
def test_everyone_else_gets_not_found_and_asks_for_nothing(client, org, world, who):
    s = world["setup"]
    user = {
        "member_researcher": world["researcher"],
        "site_lead": world["site_lead"],
        "outsider": s.outsider,
    }.get(who) or getattr(org, who)
    client.force_login(user)
    for url in pages(s.study, world["job"]):
        assert client.get(url).status_code == 404, f"{who} {url}"
    assert client.post(pages(s.study, world["job"])[0], ask(s)).status_code == 404
    assert Job.objects.filter(study=s.study).count() == 1
    assert not AuditEvent.objects.filter(action="study.report_downloaded").exists()


def test_anonymous_users_are_sent_to_sign_in(client, world):
    for url in pages(world["setup"].study, world["job"]):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/sign-in/"), url


def test_another_studys_report_is_not_found(client, world):
    s, other, other_job = world["setup"], world["other"], world["other_job"]
    export = Job.objects.create(
        study=s.study, kind=Job.Kind.EXPORT, purpose=Job.Purpose.ANALYSIS, requested_by=s.lead
    )
    client.force_login(s.lead)
    for url in (
        *pages(s.study, other_job)[1:],  # the other study's report through this study
        *pages(other, other_job),  # the other study itself
        *pages(s.study, export)[1:],  # an export is not a report
        f"/study/{s.study.pk}/reports/999999/",
    ):
        assert client.get(url).status_code == 404, url
    assert selectors.job_get(access=s.access, job_id=world["job"].pk, kind="report") == world["job"]

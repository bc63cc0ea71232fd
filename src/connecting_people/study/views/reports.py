"""Analysis reports: ask for one, follow it while it is made in the background, read and download it.

Only a lead of the whole study reaches these pages; any other member, and anyone else, gets 404. The report
holds aggregates only; each download is audited.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import path
from markupsafe import Markup

from connecting_people.study import jobs, selectors
from connecting_people.study.forms.reports import ReportForm
from connecting_people.study.models import Job
from connecting_people.study.report.db import download_name, report_body, report_download_record
from connecting_people.study.views.jobs import job_index, lead_access, state_tag


def _job_view(job: Job) -> dict:
    """What the pages show of one report job."""
    summary = job.summary or {}
    options = job.options or {}
    return {
        "job": job,
        "tag_class": state_tag(job),
        "downloadable": jobs.job_result_file(job) is not None,
        "seed": options.get("seed", summary.get("seed")),
        "replicates": options.get("replicates", summary.get("replicates")),
    }


@login_required
def reports(request, study_id: int):
    return job_index(
        request,
        study_id,
        kind=Job.Kind.REPORT,
        form_class=ReportForm,
        job_view=_job_view,
        section="reports",
        title="Reports",
    )


@login_required
def report(request, study_id: int, job_id: int):
    access = lead_access(request, study_id)
    job = selectors.job_get(access=access, job_id=job_id, kind=Job.Kind.REPORT)
    body = report_body(job) if job.state == Job.State.DONE else None
    return render(
        request,
        "study/reports/report.jinja",
        {
            "study": access.study,
            "access": access,
            "section": "reports",
            **_job_view(job),
            # Written by reporting.make_report from the analysis's numbers, every text escaped when rendered.
            "body": Markup(body) if body else None,
            "page_title": f"Report {job.pk}: {access.study.code.upper()}",
        },
    )


@login_required
def report_download(request, study_id: int, job_id: int):
    access = lead_access(request, study_id)
    job = selectors.job_get(access=access, job_id=job_id, kind=Job.Kind.REPORT)
    found = jobs.job_result_file(job)
    if found is None:
        raise Http404("No file to download")
    report_download_record(actor=request.actor, job=job)
    return FileResponse(
        open(found, "rb"),  # noqa: SIM115 - FileResponse closes it once sent
        as_attachment=True,
        filename=download_name(job),
        content_type="text/html; charset=utf-8",
    )


urls = [
    path("study/<int:study_id>/reports/", reports, name="reports"),
    path("study/<int:study_id>/reports/<int:job_id>/", report, name="report"),
    path("study/<int:study_id>/reports/<int:job_id>/download/", report_download, name="report_download"),
]

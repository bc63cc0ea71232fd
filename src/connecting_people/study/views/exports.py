"""Pseudonymised exports: ask for one (with the reason), follow it while it is made in the background, download it.

Only a lead of the whole study reaches these pages; any other member, and anyone else, gets 404. Each download
is audited.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import path

from connecting_people.study import jobs, selectors
from connecting_people.study.export.db import download_name, export_download_record
from connecting_people.study.forms.exports import DATE_OPTIONS, FORMAT_OPTIONS, ExportForm
from connecting_people.study.models import Job
from connecting_people.study.views.jobs import job_index, lead_access, state_tag

LEFT_OUT = {
    "processing-restricted": "Processing of their record is restricted",
    "no-consent": "No recorded consent",
    "removed-on-request": "Withdrew and asked for their data to be removed",
    "after-withdrawal": "Dated after the participant withdrew",
}
FILE_GROUPS = {
    "measures": "answers and scores",
    "fidelity": "fidelity ratings",
    "maps": "connections maps",
}


def _rows_left_out(summary: dict) -> list[tuple[str, int]]:
    """("Dated after the participant withdrew (answers and scores)", 3) for each "<file>:<reason>" count."""
    rows = []
    for name, count in summary.get("rows_left_out", {}).items():
        group, _, reason = name.partition(":")
        rows.append((f"{LEFT_OUT.get(reason, reason)} ({FILE_GROUPS.get(group, group)})", count))
    return rows


def _job_view(job: Job) -> dict:
    """What the pages show of one export job."""
    summary = job.summary or {}
    options = job.options or {}
    return {
        "job": job,
        "tag_class": state_tag(job),
        "downloadable": jobs.job_result_file(job) is not None,
        "command_line": bool(options.get("directory")),
        "dates": dict(DATE_OPTIONS).get(options.get("dates", "days"), ""),
        "formats": [
            label.split(":")[0] for value, label in FORMAT_OPTIONS if value in options.get("formats", [])
        ],
        "files": sorted(summary.get("files", {}).items()),
        "participants": summary.get("participants"),
        "participants_left_out": [
            (LEFT_OUT.get(reason, reason), count)
            for reason, count in summary.get("participants_left_out", {}).items()
            if count
        ],
        "rows_left_out": _rows_left_out(summary),
        "instruments_not_exported": sorted(summary.get("instruments_not_exported", {}).items()),
        "fidelity_ratings_replaced": summary.get("fidelity_ratings_replaced", 0),
        "fingerprint": summary.get("fingerprint", ""),
    }


@login_required
def exports(request, study_id: int):
    return job_index(
        request,
        study_id,
        kind=Job.Kind.EXPORT,
        form_class=ExportForm,
        job_view=_job_view,
        section="exports",
        title="Exports",
    )


@login_required
def export(request, study_id: int, job_id: int):
    access = lead_access(request, study_id)
    job = selectors.job_get(access=access, job_id=job_id, kind=Job.Kind.EXPORT)
    return render(
        request,
        "study/exports/export.jinja",
        {
            "study": access.study,
            "access": access,
            "section": "exports",
            **_job_view(job),
            "page_title": f"Export {job.pk}: {access.study.code.upper()}",
        },
    )


@login_required
def export_download(request, study_id: int, job_id: int):
    access = lead_access(request, study_id)
    job = selectors.job_get(access=access, job_id=job_id, kind=Job.Kind.EXPORT)
    found = jobs.job_result_file(job)
    if found is None:
        raise Http404("No file to download")
    export_download_record(actor=request.actor, job=job)
    return FileResponse(
        open(found, "rb"),  # noqa: SIM115 - FileResponse closes it once sent
        as_attachment=True,
        filename=f"{download_name(job)}.zip",
        content_type="application/zip",
    )


urls = [
    path("study/<int:study_id>/exports/", exports, name="exports"),
    path("study/<int:study_id>/exports/<int:job_id>/", export, name="export"),
    path("study/<int:study_id>/exports/<int:job_id>/download/", export_download, name="export_download"),
]

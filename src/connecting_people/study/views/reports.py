"""Analysis reports: ask for one, follow it while it is made in the background, read and download it."""

from django.http import Http404
from django.urls import path


def _not_built(request, **kwargs):  # replaced as each page is built
    raise Http404("Not built yet")


urls = [
    path("study/<int:study_id>/reports/", _not_built, name="reports"),
    path("study/<int:study_id>/reports/<int:job_id>/", _not_built, name="report"),
    path("study/<int:study_id>/reports/<int:job_id>/download/", _not_built, name="report_download"),
]

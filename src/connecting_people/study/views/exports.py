"""Pseudonymised exports: ask for one (with the reason), follow it while it is made in the background, download it."""

from django.http import Http404
from django.urls import path


def _not_built(request, **kwargs):  # replaced as each page is built
    raise Http404("Not built yet")


urls = [
    path("study/<int:study_id>/exports/", _not_built, name="exports"),
    path("study/<int:study_id>/exports/<int:job_id>/", _not_built, name="export"),
    path("study/<int:study_id>/exports/<int:job_id>/download/", _not_built, name="export_download"),
]

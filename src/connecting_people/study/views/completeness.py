"""Completeness: recruitment, assessments and missing data by site, arm and timepoint, and the flow diagram."""

from django.http import Http404
from django.urls import path


def _not_built(request, **kwargs):  # replaced as each page is built
    raise Http404("Not built yet")


urls = [
    path("study/<int:study_id>/completeness/", _not_built, name="completeness"),
]

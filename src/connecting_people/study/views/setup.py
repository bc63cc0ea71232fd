"""Study set-up: the list of studies, a new study, its overview and status, members, sites, allocation of teams to arms, timepoints and their schedule, and the unit-cost table."""

from django.http import Http404
from django.urls import path


def _not_built(request, **kwargs):  # replaced as each page is built
    raise Http404("Not built yet")


urls = [
    path("study/", _not_built, name="list"),
    path("study/new/", _not_built, name="create"),
    path("study/<int:study_id>/", _not_built, name="overview"),
    path("study/<int:study_id>/status/", _not_built, name="status"),
    path("study/<int:study_id>/members/", _not_built, name="members"),
    path("study/<int:study_id>/sites/new/", _not_built, name="site_add"),
    path("study/<int:study_id>/teams/allocate/", _not_built, name="allocate"),
    path("study/<int:study_id>/teams/randomise/", _not_built, name="randomise"),
    path("study/<int:study_id>/timepoints/", _not_built, name="timepoints"),
    path("study/<int:study_id>/timepoints/new/", _not_built, name="timepoint_add"),
    path("study/<int:study_id>/timepoints/<int:timepoint_id>/", _not_built, name="timepoint_edit"),
    path("study/<int:study_id>/timepoints/<int:timepoint_id>/schedule/", _not_built, name="schedule"),
    path("study/<int:study_id>/unit-costs/", _not_built, name="unit_costs"),
]

"""Participants: the list, enrolment (research-only by a member; from a person's page by their staff), a participant's page, consent, withdrawal, data entry by timepoint, the to-do list of assessments and the screening log."""

from django.http import Http404
from django.urls import path


def _not_built(request, **kwargs):  # replaced as each page is built
    raise Http404("Not built yet")


urls = [
    path("study/<int:study_id>/participants/", _not_built, name="participants"),
    path("study/<int:study_id>/participants/new/", _not_built, name="enrol"),
    path("study/<int:study_id>/participants/<int:participant_id>/", _not_built, name="participant"),
    path("study/<int:study_id>/participants/<int:participant_id>/consent/", _not_built, name="consent"),
    path("study/<int:study_id>/participants/<int:participant_id>/withdraw/", _not_built, name="withdraw"),
    path("study/<int:study_id>/participants/<int:participant_id>/<int:timepoint_id>/<slug:instrument_id>/", _not_built, name="record"),
    path("study/<int:study_id>/to-do/", _not_built, name="due"),
    path("study/<int:study_id>/screening/", _not_built, name="screening"),
    path("people/<int:person_id>/study/enrol/", _not_built, name="person_enrol"),
]

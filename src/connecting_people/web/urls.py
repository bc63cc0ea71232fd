"""The web pages of this package join the URL namespaces of the apps they belong with, so that their names stay
what every template and test uses (`core:home`, `people:caseload`, `people:overview`): config.urls includes
these two instead of the apps' own url modules."""

from django.urls import path

from connecting_people.core import urls as core_urls
from connecting_people.people import urls as people_urls
from connecting_people.web import views

core = (
    [path("", views.home, name="home"), *core_urls.urlpatterns],
    core_urls.app_name,
)
people = (
    [
        path("people/", views.caseload, name="caseload"),
        path("people/team/", views.team_caseload, name="team"),
        *people_urls.urlpatterns,
        path("people/<int:person_id>/", views.person_overview, name="overview"),
    ],
    people_urls.app_name,
)

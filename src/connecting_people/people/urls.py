from django.urls import path

from connecting_people.people import views

app_name = "people"
urlpatterns = [
    path("people/", views.caseload, name="caseload"),
    path("people/team/", views.team_caseload, name="team"),
    path("people/new/", views.person_new, name="new"),
    path("people/<int:person_id>/", views.person_overview, name="overview"),
    path("people/<int:person_id>/edit/", views.person_edit, name="edit"),
    path("people/<int:person_id>/allocate/", views.person_allocate, name="allocate"),
    path("people/<int:person_id>/close/", views.person_close, name="close"),
    path("people/<int:person_id>/reopen/", views.person_reopen, name="reopen"),
    path("people/<int:person_id>/audit/", views.person_audit, name="audit"),
]

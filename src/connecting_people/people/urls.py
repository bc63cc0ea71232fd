from django.urls import path

from connecting_people.people import views

# The caseloads and the person's page (people:caseload, people:team, people:overview) show plans and studies
# too, so they are web.views, added to this namespace by web.urls.
app_name = "people"
urlpatterns = [
    path("people/new/", views.person_new, name="new"),
    path("people/<int:person_id>/edit/", views.person_edit, name="edit"),
    path("people/<int:person_id>/allocate/", views.person_allocate, name="allocate"),
    path("people/<int:person_id>/close/", views.person_close, name="close"),
    path("people/<int:person_id>/reopen/", views.person_reopen, name="reopen"),
    path("people/<int:person_id>/audit/", views.person_audit, name="audit"),
]

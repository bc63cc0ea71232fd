from django.urls import path

from connecting_people.privacy import views

app_name = "privacy"
urlpatterns = [
    path("data-protection/", views.index, name="index"),
    path("data-protection/people/<int:person_id>/", views.person_page, name="person"),
    path(
        "data-protection/people/<int:person_id>/subject-access/", views.subject_access, name="subject_access"
    ),
    path(
        "data-protection/people/<int:person_id>/subject-access/download/<slug:format>/",
        views.subject_access_download,
        name="subject_access_download",
    ),
    path("data-protection/people/<int:person_id>/restrict/", views.restrict, name="restrict"),
    path("data-protection/people/<int:person_id>/lift/", views.lift, name="lift"),
    path("data-protection/people/<int:person_id>/erase/", views.erase, name="erase"),
    path("data-protection/people/<int:person_id>/erase/confirm/", views.erase_confirm, name="erase_confirm"),
    path("data-protection/erased/", views.erased, name="erased"),
    path("data-protection/restricted/", views.restricted, name="restricted"),
    path("data-protection/retention/", views.retention_page, name="retention"),
]

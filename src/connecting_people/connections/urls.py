from django.urls import path

from connecting_people.connections import views

app_name = "connections"
urlpatterns = [
    path("people/<int:person_id>/map/", views.map_page, name="map"),
    path("people/<int:person_id>/map/new/", views.snapshot_new, name="new"),
    path("people/<int:person_id>/map/add/", views.entry_add_first, name="entry_add_first"),
    path("people/<int:person_id>/map/import/", views.import_files, name="import"),
    path("people/<int:person_id>/map/<int:snapshot_id>/imported/", views.imported, name="imported"),
    path("people/<int:person_id>/map/compare/", views.compare, name="compare"),
    path("people/<int:person_id>/map/<int:snapshot_id>/", views.map_page, name="snapshot"),
    path("people/<int:person_id>/map/<int:snapshot_id>/add/", views.entry_add, name="entry_add"),
    path("people/<int:person_id>/map/<int:snapshot_id>/restore/", views.entry_restore, name="entry_restore"),
    path("people/<int:person_id>/map/<int:snapshot_id>/print/", views.printout, name="print"),
    path("people/<int:person_id>/map/<int:snapshot_id>/export/<slug:format>/", views.export, name="export"),
    path("people/<int:person_id>/map/entries/<int:entry_id>/", views.entry_edit, name="entry_edit"),
    path("people/<int:person_id>/map/entries/<int:entry_id>/ties/", views.entry_ties, name="entry_ties"),
    path("people/<int:person_id>/map/entries/<int:entry_id>/move/", views.entry_move, name="entry_move"),
    path(
        "people/<int:person_id>/map/entries/<int:entry_id>/remove/", views.entry_remove, name="entry_remove"
    ),
]

from django.urls import path

from connecting_people.measures import views

app_name = "measures"
urlpatterns = [
    path("people/<int:person_id>/measures/", views.measures_page, name="history"),
    path("people/<int:person_id>/measures/new/", views.choose_instrument, name="choose"),
    path("people/<int:person_id>/measures/<slug:instrument_id>/new/", views.record, name="record"),
]

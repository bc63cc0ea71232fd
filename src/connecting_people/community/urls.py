from django.urls import path

from connecting_people.community import views

app_name = "community"
urlpatterns = [
    path("community/", views.search, name="search"),
    path("community/new/", views.new, name="new"),
    path("community/<int:opportunity_id>/", views.detail, name="detail"),
    path("community/<int:opportunity_id>/edit/", views.edit, name="edit"),
]

from django.urls import path

from connecting_people.core import views

# The home page (core:home) is web.views.home, added to this namespace by web.urls.
app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("help/", views.help_page, name="help"),
]

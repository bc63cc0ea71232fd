from django.urls import re_path

from connecting_people.api import views

app_name = "api-fallback"

# Anything under /api/ that no API route answers is a problem document, not the pages' "Page not found".
urlpatterns = [re_path(r"^api/(?P<rest>.*)$", views.not_found, name="not_found")]

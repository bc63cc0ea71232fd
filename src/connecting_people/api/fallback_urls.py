from django.urls import re_path

from connecting_people.api import views
from connecting_people.api.fhir import api as fhir

app_name = "api-fallback"

# Anything under /api/ that no API route answers is a problem document, not the pages' "Page not found".
# The same under /fhir/, as an OperationOutcome.
urlpatterns = [
    re_path(r"^api/(?P<rest>.*)$", views.not_found, name="not_found"),
    re_path(r"^fhir/(?P<rest>.*)$", fhir.not_found, name="fhir_not_found"),
]

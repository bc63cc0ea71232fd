"""The project's URLs and error handlers, plus pages that fail on purpose: for the error page tests only (the unit
tests in test_error_pages.py and the browser check in e2e/test_error_pages.py)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from connecting_people.config import urls as project

# The project's handlers where it names them, else Django's own (as the project's URLs would get).
handler400 = getattr(project, "handler400", "django.views.defaults.bad_request")
handler403 = getattr(project, "handler403", "django.views.defaults.permission_denied")
handler404 = getattr(project, "handler404", "django.views.defaults.page_not_found")
handler500 = getattr(project, "handler500", "django.views.defaults.server_error")

SECRET_DETAIL = "detail-that-must-stay-in-the-log-7f3a"


def suspicious(request):
    raise SuspiciousOperation(SECRET_DETAIL)


def refuse(request):
    raise PermissionDenied(SECRET_DETAIL)


def fail(request):
    raise RuntimeError(SECRET_DETAIL)


urlpatterns = [
    path("test-errors/suspicious/", suspicious),
    path("test-errors/refused/", refuse),
    path("test-errors/failed/", fail),
    *project.urlpatterns,
]

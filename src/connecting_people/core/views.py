"""Health check, help, and the error pages (400, 403, 404, 500 and a refused form)."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """200 when the database answers, 503 when it does not. No authentication; says nothing sensitive."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unavailable", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def help_page(request):
    return render(request, "core/help.jinja", {"page_title": "Help and guidance"})


# The error pages say what happened in plain words and nothing of why in detail: the reason Django gives (which
# check failed, which header was wrong) goes to the log (django.security, django.request), not to the page.


def bad_request(request, exception=None):
    return render(
        request,
        "core/400.jinja",
        {"page_title": "Sorry, the service could not read that request"},
        status=400,
    )


def forbidden(request, exception=None):
    return render(request, "core/403.jinja", {"page_title": "You cannot do that here"}, status=403)


def csrf_failure(request, reason=""):
    """A form sent without its valid security token (CSRF_FAILURE_VIEW): most often a page left open past the
    end of a session, opened before signing in again, or sent from another tab or site. The page renders a
    fresh token, so going back and reloading works."""
    return render(request, "core/csrf_failure.jinja", {"page_title": "Your form was not sent"}, status=403)


def not_found(request, exception=None):
    return render(request, "core/404.jinja", {"page_title": "Page not found"}, status=404)


def server_error(request):
    return render(
        request,
        "core/500.jinja",
        {
            "page_title": "Sorry, there is a problem with the service",
            "request_id": getattr(request, "request_id", ""),
        },
        status=500,
    )

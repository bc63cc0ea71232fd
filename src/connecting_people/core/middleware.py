"""Request id and session time limits."""

import logging
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django.utils import timezone

from connecting_people.core.request_context import (
    current_request_id,
    reset_channel,
    reset_request_id,
    set_channel,
    set_request_id,
)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives each request an id (or keeps a well-formed X-Request-ID from the proxy) for logs and audit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = set_request_id(request_id)
        channel = set_channel("")
        try:
            response = self.get_response(request)
        finally:
            reset_channel(channel)
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


SESSION_STARTED = "_connecting_people_started"
SESSION_LAST_SEEN = "_connecting_people_last_seen"


def session_clock_start(request) -> None:
    """Start the idle and absolute clocks afresh: call right after a password sign-in."""
    now = timezone.now().isoformat()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_LAST_SEEN] = now


def sign_in_url_for(request) -> str:
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"


class SessionTimeoutMiddleware:
    """Ends a signed-in session after SESSION_IDLE_TIMEOUT without a request or SESSION_ABSOLUTE_TIMEOUT in all,
    and sends the person to sign in again with a message saying why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now()
            started = _parse(request.session.get(SESSION_STARTED))
            last_seen = _parse(request.session.get(SESSION_LAST_SEEN))
            if started is None:  # signed in some other way than the sign-in page: the clock starts now
                started = now
                request.session[SESSION_STARTED] = now.isoformat()
            idle = last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT
            too_long = now - started > settings.SESSION_ABSOLUTE_TIMEOUT
            if idle or too_long:
                logout(request)
                messages.info(
                    request, "You were signed out to protect people's records. Sign in again to carry on."
                )
                return redirect(sign_in_url_for(request))
            request.session[SESSION_LAST_SEEN] = now.isoformat()
        return self.get_response(request)


def _parse(value: str | None) -> datetime | None:
    """A stored timestamp; None when missing; the distant past when unreadable, so the session ends."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or not timezone.is_aware(parsed):
        return datetime.min.replace(tzinfo=UTC)
    return parsed


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in user hold personal data (or a TOTP secret): browsers and proxies must not keep
    them. Static files and anonymous pages are left to their own caching headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
        return response


class PermissionsPolicyMiddleware:
    """Tells the browser that no page may use the powerful features in settings.PERMISSIONS_POLICY_DENIED (camera,
    microphone, location, payment, USB, ...): the service uses none of them, so an injected script or an embedded
    frame cannot either. Set on every response, static files and redirects included."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DENIED)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class DomainNotFoundMiddleware:
    """A service or selector that finds no such object (or none the actor may reach) raises the domain's
    `NotFoundError`; on a page that is the same 404 answer (see core.errors). NotFoundError is itself a kind of
    Http404, so this only hands Django a plain Http404 with the same message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.http import Http404

        from connecting_people.core.errors import NotFoundError

        if isinstance(exception, NotFoundError):
            raise Http404(exception.message) from exception
        return None

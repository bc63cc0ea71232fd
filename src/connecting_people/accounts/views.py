"""Sign in, sign out, multi-factor authentication and set-up codes, and cover assignments for team leads."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from connecting_people.accounts import mfa, presenters, selectors, services
from connecting_people.accounts.forms import (
    AccessReviewForm,
    CoverForm,
    EnrolmentCodeForm,
    IssueEnrolmentCodeForm,
    MfaTokenForm,
    SignInForm,
)
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import ServiceError
from connecting_people.core.forms import show_service_error
from connecting_people.core.middleware import session_clock_start


def _safe_next(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
@sensitive_post_parameters("password")
def sign_in(request):
    address = selectors.request_client_address(request)
    if request.method == "POST":
        blocked_until = selectors.address_blocked_until(address=address)
        if blocked_until is not None:
            # Refused before the password is looked at, so the limit is not a way to test passwords.
            return _address_blocked(request, blocked_until)
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            login(request, user)
            session_clock_start(request)
            services.sign_in_record_success(user=user, address=address)
            return redirect(_safe_next(request))
        if form.has_error(NON_FIELD_ERRORS):
            _record_failure(request, form, address)
    return render(
        request,
        "accounts/sign_in.jinja",
        {"form": form, "next": _safe_next(request, ""), "page_title": "Sign in"},
    )


def _record_failure(request, form, address: str | None) -> None:
    """A username and password were tried and refused. django-axes has counted it by now: it marks the request
    when this failure reaches the per-username limit or came while the username was locked already."""
    locked = bool(getattr(request, "axes_locked_out", False))
    failures = getattr(request, "axes_failures_since_start", 0) or 0
    services.sign_in_record_failure(
        username=form.data.get("username", "")[:150],
        address=address,
        refused_while_locked=locked and failures > settings.AXES_FAILURE_LIMIT,
        locked_now=locked and failures == settings.AXES_FAILURE_LIMIT,
    )


def _address_blocked(request, blocked_until):
    return render(
        request,
        "accounts/address_blocked.jinja",
        {"page_title": "Too many failed sign-ins", "blocked_until": timezone.localtime(blocked_until)},
        status=429,
    )


def locked_out(request, credentials=None, *args, **kwargs):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request, "accounts/locked_out.jinja", {"page_title": "Account locked", "minutes": minutes}, status=429
    )


def sign_out(request):
    if request.method == "POST":
        if request.user.is_authenticated:
            audit_record(
                actor=request.user, action="user.signed_out", object_type="user", object_id=request.user.pk
            )
        logout(request)
        messages.success(request, "You have signed out.")
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(request, "accounts/sign_out.jinja", {"page_title": "Sign out"})


ENROLMENT_SESSION_KEY = "_connecting_people_mfa_enrolment_device"


@never_cache
@sensitive_post_parameters("token", "code")
@login_required
def mfa_page(request):
    """Enter the 6-digit code; or, with no authenticator app yet, first the set-up code, then scan and confirm."""
    if mfa.confirmed_device(user=request.user) is not None:
        return _mfa_code_step(request, enrolling=None)
    enrolling = mfa.pending_device(user=request.user, device_id=request.session.get(ENROLMENT_SESSION_KEY))
    if enrolling is not None:
        return _mfa_code_step(request, enrolling=enrolling)
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa.enrolment_code_accept(user=request.user, code=form.cleaned_data["code"])
        except ServiceError as error:
            show_service_error(form, error)
        else:
            request.session[ENROLMENT_SESSION_KEY] = device.pk
            return redirect(f"{request.path}?{urlencode({'next': _safe_next(request, '/')})}")
    context = {
        "form": form,
        "next": _safe_next(request, ""),
        "code_hours": settings.CONNECTING_PEOPLE_ENROLMENT_CODE_HOURS,
        "page_title": "Set up your security code",
    }
    return render(request, "accounts/mfa_enrolment_code.jinja", context)


def _mfa_code_step(request, *, enrolling):
    form = MfaTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = mfa.mfa_verify(
            request=request,
            token=form.cleaned_data["token"],
            enrolment_device_id=enrolling.pk if enrolling is not None else None,
        )
        if result:
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            return redirect(_safe_next(request))
        form.add_error("token", _mfa_error(result))
    context = {"form": form, "next": _safe_next(request, ""), "page_title": "Security code"}
    if enrolling is not None:
        context |= {
            "setting_up": True,
            "page_title": "Scan the QR code",
            "qr_svg": mfa.qr_svg(enrolling.config_url),
            "base32_secret": _base32(enrolling.bin_key),
        }
    return render(request, "accounts/mfa.jinja", context)


@never_cache
@login_required
def enrolment_codes(request):
    """Administrators make one-time set-up codes for staff to set up their security code. A code is shown once."""
    if not selectors.scope_for(user=request.user).is_administrator:
        raise Http404
    form = IssueEnrolmentCodeForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            person = selectors.user_by_username(username=form.cleaned_data["username"])
            code, record = mfa.enrolment_code_issue(actor=request.user, user=person)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            issued = {"code": code, "record": record}
            form = IssueEnrolmentCodeForm()
    return render(
        request,
        "accounts/enrolment_codes.jinja",
        {
            "form": form,
            "issued": issued,
            "recent": selectors.enrolment_codes_recent(user=request.user),
            "now": timezone.now(),
            "page_title": "Set-up codes for security codes",
        },
    )


def _mfa_error(result: mfa.MfaResult) -> str:
    if result.wait_seconds:
        wait = f"{result.wait_seconds} second{'' if result.wait_seconds == 1 else 's'}"
        return f"Too many wrong codes. Wait {wait}, then enter the newest code from your authenticator app."
    return "The code is not right. Check your authenticator app and enter the newest code."


def _base32(key: bytes) -> str:
    import base64

    secret = base64.b32encode(key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def access_review(request):
    """Who holds access worth a second look, for administrators to check and record that they did."""
    if not selectors.scope_for(user=request.user).is_administrator:
        raise Http404
    access = selectors.privileged_access(user=request.user)
    form = AccessReviewForm(request.POST or None, initial={"fingerprint": access.fingerprint})
    if request.method == "POST" and form.is_valid():
        try:
            services.access_review_record(
                actor=request.user,
                fingerprint=form.cleaned_data["fingerprint"],
                note=form.cleaned_data["note"],
            )
        except ServiceError as error:
            # Show the list as it is now, so a second try reviews what is really there.
            access = selectors.privileged_access(user=request.user)
            form = AccessReviewForm({"fingerprint": access.fingerprint, "note": form.cleaned_data["note"]})
            form.is_valid()
            show_service_error(form, error)
        else:
            messages.success(request, "Your review is recorded.")
            return redirect("accounts:access_review")
    return render(
        request,
        "accounts/access_review.jinja",
        {
            "access": access,
            "sections": presenters.access_review_sections(access, viewer_id=request.user.pk),
            "form": form,
            "page_title": "Privileged access review",
        },
    )


@login_required
def cover_list(request):
    teams = list(selectors.teams_led_by(user=request.user))
    if not teams:
        raise Http404
    practitioners = [(p, team.name) for team in teams for p in selectors.practitioners_in_team(team=team)]
    form = CoverForm(
        request.POST or None,
        teams=teams,
        practitioners=practitioners,
        initial={"starts_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cover_grant(
                user=request.user,
                team_id=form.cleaned_data["team"],
                practitioner_id=form.cleaned_data["practitioner"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Cover granted.")
            return redirect("accounts:cover")
    return render(
        request,
        "accounts/cover.jinja",
        {
            "form": form,
            "covers": selectors.cover_for_teams(user=request.user),
            "page_title": "Cover",
        },
    )


@login_required
@require_POST
def cover_end(request, cover_id: int):
    services.cover_end(user=request.user, cover_id=cover_id)
    messages.success(request, "Cover ended.")
    return redirect("accounts:cover")

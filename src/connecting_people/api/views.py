"""Pages of the API app: a user's own tokens (make, list, revoke), and the problem answer for an unknown API
address."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connecting_people.api import selectors, services
from connecting_people.api.forms import TokenForm
from connecting_people.api.problems import problem
from connecting_people.api.tokens import SCOPES
from connecting_people.core.errors import ServiceError
from connecting_people.core.forms import show_service_error


@csrf_exempt  # changes nothing, and the API has no session: a PATCH to no route is a 404 problem, not a CSRF page
def not_found(request, rest: str = ""):
    return problem(
        request,
        404,
        "not_found",
        "There is nothing at this address. The API's documents are at /api/v1/docs.",
    )


def _is_verified(request) -> bool:
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


@never_cache
@login_required
def tokens_page(request):
    """Personal access tokens: made here, after the security code, and shown once."""
    form = TokenForm(request.POST or None)
    made = None
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.token_create(
                actor=request.actor,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=int(form.cleaned_data["days"]),
                mfa_verified=_is_verified(request),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            made = {"token": token, "secret": secret}
            form = TokenForm()
    return render(
        request,
        "api/tokens.jinja",
        {
            "form": form,
            "made": made,
            "tokens": selectors.tokens_of(actor=request.actor),
            "scopes": SCOPES,
            "now": timezone.now(),
            "page_title": "API tokens",
        },
    )


@require_POST
@login_required
def token_revoke(request, token_id: int):
    token = services.token_revoke(actor=request.actor, token_id=token_id)
    from django.contrib import messages

    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api:tokens")


@csrf_exempt  # a program's POST to the root gets an answer it can read, not the pages' CSRF refusal
def api_home(request):
    """/api/v1/ opens the interactive documents; anything but reading it is a 405 problem."""
    if request.method in ("GET", "HEAD"):
        return redirect("/api/v1/docs")
    return problem(
        request,
        405,
        "method_not_allowed",
        "Nothing is sent to /api/v1/ itself: see /api/v1/docs.",
        headers={"Allow": "GET"},
    )


@csrf_exempt
def fhir_home(request):
    """/fhir/R4/ shows what the server does (its CapabilityStatement); batch and transaction Bundles sent to it
    are not supported (an OperationOutcome says so)."""
    from connecting_people.api.fhir.api import outcome

    if request.method in ("GET", "HEAD"):
        return redirect("/fhir/R4/metadata")
    return outcome(
        405,
        "not_supported",
        "Batch and transaction Bundles are not supported: send each resource to its own address.",
    )

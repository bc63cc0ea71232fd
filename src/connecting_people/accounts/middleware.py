"""Sends a signed-in member of staff to MFA set-up or verification when MFA is required and not yet done."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

# Only what signing in itself needs is open before the second factor: not every page under /accounts/ (the
# administrators' set-up codes and access review pages live there).
_OPEN_PREFIXES = (
    "/accounts/sign-in/",
    "/accounts/sign-out/",
    "/accounts/security-code/",
    "/static/",
    "/healthz",
    "/openreferral/",  # the public Open Referral API: no personal data (community/openreferral.py)
    # The API signs nobody in with the session: each request carries a token, made only after MFA.
    "/api/",
    "/fhir/",
)


class RequireMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.CONNECTING_PEOPLE_REQUIRE_MFA
            and request.user.is_authenticated
            and not request.user.is_verified()
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            return redirect(f"{reverse('accounts:mfa')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class ActorMiddleware:
    """`request.actor`: who is acting on this request (accounts.actor), made when first used, from the signed-in
    user. Views pass it to services and selectors instead of the user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils.functional import SimpleLazyObject

        from connecting_people.accounts.actor import actor_for

        request.actor = SimpleLazyObject(lambda: actor_for(request.user))
        return self.get_response(request)

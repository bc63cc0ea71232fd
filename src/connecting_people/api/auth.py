"""Bearer tokens: who a request acts as, what it may do (its scopes), how often (its rate limit). A token acts as
its user: the same actor, scope rules and 404s as on the pages, narrowed by the token's scopes. Every audit event
a token's request writes names the token (`via`)."""

import time

from django.core.cache import cache
from ninja.security import HttpBearer

from connecting_people.accounts.actor import actor_for
from connecting_people.api import selectors, services
from connecting_people.core.request_context import set_channel


class RateLimited(Exception):
    def __init__(self, retry_after: int, limit: int):
        super().__init__("rate limited")
        self.retry_after = retry_after
        self.limit = limit


class MissingScope(Exception):
    def __init__(self, scope: str):
        super().__init__(scope)
        self.scope = scope


WINDOW_SECONDS = 60


def _count_request(token) -> tuple[int, int]:
    """Count this request in the token's current minute; (requests so far, seconds until the next minute)."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{token.prefix}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        used = cache.incr(key)
    except ValueError:  # the entry expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        used = 1
    return used, int((window + 1) * WINDOW_SECONDS - now) + 1


class TokenAuth(HttpBearer):
    """`Authorization: Bearer cp_…`. An unknown, revoked or expired token, or a service account's token whose
    account was switched off, is answered 401 (the API never uses the pages' session)."""

    openapi_description = "A personal access token (made on your account page) or a service account's token."

    def authenticate(self, request, token):
        found = selectors.token_for(token)
        if found is None:
            return None
        used, reset = _count_request(found)
        request.rate_limit = (found.rate_limit, max(found.rate_limit - used, 0), reset)
        if used > found.rate_limit:
            raise RateLimited(reset, found.rate_limit)
        request.user = found.user
        request.actor = actor_for(found.user)
        request.api_token = found
        set_channel(f"token:{found.prefix}")
        services.token_used(token=found)
        return found


def require_scope(request, scope: str) -> None:
    """Refuse (403 problem) a request whose token lacks `scope`."""
    token = getattr(request, "api_token", None)
    if token is None or scope not in token.scopes:
        raise MissingScope(scope)

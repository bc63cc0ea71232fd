"""REST API v1: one NinjaAPI, its error handling (RFC 9457 problem JSON for every error) and its routers.
docs/api.md is the guide; the OpenAPI 3.1 document is at /api/v1/openapi.json, the interactive docs (served from
our own static files) at /api/v1/docs."""

import logging

from django.http import Http404
from ninja.errors import AuthenticationError, HttpError, ValidationError

from connecting_people.api.auth import MissingScope, RateLimited, TokenAuth
from connecting_people.api.negotiation import NotAcceptable
from connecting_people.api.paging import Page  # noqa: F401 (re-exported for routers)
from connecting_people.api.preconditions import PreconditionFailed, PreconditionRequired
from connecting_people.api.problems import problem, status_of, validation_errors
from connecting_people.api.responses import BadIdempotencyKey, IdempotencyKeyReused, atomic_writes
from connecting_people.api.v1.openapi import ProblemsInDocument
from connecting_people.core.errors import (
    DomainError,
)

logger = logging.getLogger(__name__)

# Its OpenAPI document declares every problem response (v1/openapi.py).
api = ProblemsInDocument(
    title="Connecting People API",
    version="1",
    description=(
        "Records of the people you support, their connections maps, outcome measures and plans; the community "
        "directory; implementation indicators; a study's pseudonymised data. Every request carries a token "
        "(`Authorization: Bearer cp_…`) and reaches only what its owner reaches on the pages. Errors are RFC 9457 "
        "problem documents. See docs/api.md."
    ),
    auth=TokenAuth(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(DomainError)
def domain_error(request, error: DomainError):
    status = status_of(error)
    errors = None
    if status == 422:
        errors = [
            {
                "pointer": f"/body/{error.field}" if error.field else "/",
                "detail": error.message,
                "code": error.code,
            }
        ]
    detail = "Nothing found with that id that you can reach." if status == 404 else error.message
    return problem(
        request, status, error.code, detail, errors=errors, params=error.params if status != 404 else None
    )


@api.exception_handler(Http404)
def not_found(request, error):
    return problem(request, 404, "not_found", "Nothing found with that id that you can reach.")


@api.exception_handler(ValidationError)
def invalid(request, error: ValidationError):
    errors = validation_errors(error.errors)
    return problem(
        request, 422, "invalid", "The request has values that are not valid: see `errors`.", errors=errors
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request, error):
    return problem(
        request,
        401,
        "token_required",
        "Send a valid token: `Authorization: Bearer cp_…`. Tokens expire and can be revoked.",
        headers={"WWW-Authenticate": 'Bearer realm="connecting-people"'},
    )


@api.exception_handler(MissingScope)
def missing_scope(request, error: MissingScope):
    return problem(
        request,
        403,
        "insufficient_scope",
        f"This token does not have the scope {error.scope}.",
        params={"scope": error.scope},
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{error.scope}"'},
    )


@api.exception_handler(RateLimited)
def rate_limited(request, error: RateLimited):
    return problem(
        request,
        429,
        "rate_limited",
        f"This token may make {error.limit} requests a minute. Try again in {error.retry_after} seconds.",
        headers={"Retry-After": str(error.retry_after)},
    )


@api.exception_handler(PreconditionRequired)
def precondition_required(request, error):
    return problem(
        request,
        428,
        "if_match_required",
        "Send the ETag you last read in an If-Match header, so a change made since is never overwritten.",
    )


@api.exception_handler(PreconditionFailed)
def precondition_failed(request, error: PreconditionFailed):
    return problem(
        request,
        412,
        "stale_record",
        "Someone changed this record since you read it. Read it again and make your change to the new version.",
        params={"current_etag": f'"v{error.current}"'} if error.current else None,
    )


@api.exception_handler(IdempotencyKeyReused)
def key_reused(request, error):
    return problem(
        request,
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different request. Use a new key for each new create.",
    )


@api.exception_handler(BadIdempotencyKey)
def bad_key(request, error):
    return problem(
        request, 400, "bad_idempotency_key", "An Idempotency-Key is 1 to 200 visible ASCII characters."
    )


@api.exception_handler(NotAcceptable)
def not_acceptable(request, error: NotAcceptable):
    return problem(
        request,
        406,
        "not_acceptable",
        f"This resource can be had as {', '.join(error.offered)}: send one of them in Accept.",
        params={"offered": list(error.offered)},
    )


@api.exception_handler(HttpError)
def http_error(request, error: HttpError):
    return problem(request, error.status_code, "http_error", str(error))


@api.exception_handler(Exception)
def server_error(request, error):
    logger.exception("API request failed", exc_info=error)
    return problem(request, 500, "server_error", "Something went wrong on our side. Nothing was changed.")


def _routers() -> None:
    from connecting_people.api.v1 import community, indicators, maps, measures, people, plans, study

    for router in (people.router, maps.router, measures.administrations, plans.router, measures.instruments):
        atomic_writes(router)
    api.add_router("/people", people.router)
    api.add_router("/people", maps.router)
    api.add_router("/people", measures.administrations)
    api.add_router("/people", plans.router)
    api.add_router("/instruments", measures.instruments)
    api.add_router("/community", community.router)
    api.add_router("/indicators", indicators.router)
    api.add_router("/studies", study.router)


_routers()
